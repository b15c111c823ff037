package dev.edgeopt.engine.kernels.elementwise;

/** The reductions of the Reduce* ops, under their ONNX names. */
public enum ReduceOp {
    MEAN, SUM, MAX, MIN, PROD, L1, L2, LOG_SUM, LOG_SUM_EXP, SUM_SQUARE;

    public static ReduceOp ofOnnx(String op) {
        return switch (op) {
            case "ReduceMean" -> MEAN;
            case "ReduceSum" -> SUM;
            case "ReduceMax" -> MAX;
            case "ReduceMin" -> MIN;
            case "ReduceProd" -> PROD;
            case "ReduceL1" -> L1;
            case "ReduceL2" -> L2;
            case "ReduceLogSum" -> LOG_SUM;
            case "ReduceLogSumExp" -> LOG_SUM_EXP;
            case "ReduceSumSquare" -> SUM_SQUARE;
            default -> throw new IllegalArgumentException("not a reduction: " + op);
        };
    }

    /** Whether integer inputs reduce exactly in long arithmetic (the others need real numbers). */
    public boolean integerOk() {
        return this == SUM || this == MAX || this == MIN || this == PROD || this == L1 || this == SUM_SQUARE || this == MEAN;
    }
}
