package dev.edgeopt.engine.kernels.elementwise;

import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.engine.kernels.Activation;
import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Tensor;

/**
 * {@code out[0] = op(in[0])} elementwise. float32 goes through {@link Activation}'s vector loops
 * (so standalone and fused activations agree) or {@link FloatLoops}; other ops and dtypes run
 * scalar loops. Clip's bounds may be runtime inputs 1 and 2 (opset 11+), read once per run.
 */
public final class UnaryKernel extends RangeKernel {
    private final UnaryOp op;
    private final Activation act;
    private final DType dtype;
    private final double p0Init, p1Init;
    private final boolean boundsFromInputs;
    private double p0, p1;
    private long l0, l1;

    /**
     * @param boundsFromInputs read p0/p1 from inputs 1 and 2 when present (Clip, opset 11+); absent
     *     inputs keep {@code p0}/{@code p1}
     */
    public UnaryKernel(ThreadPool pool, UnaryOp op, DType dtype, int n, double p0, double p1, boolean boundsFromInputs) {
        super(pool, n, 16);
        this.op = op;
        this.dtype = dtype;
        this.p0Init = p0;
        this.p1Init = p1;
        this.boundsFromInputs = boundsFromInputs;
        Activation a = Activation.ofOp(switch (op) {
            case RELU -> "Relu";
            case CLIP -> "Clip";
            case LEAKY_RELU -> "LeakyRelu";
            case SIGMOID -> "Sigmoid";
            case HARD_SIGMOID -> "HardSigmoid";
            case HARD_SWISH -> "HardSwish";
            case TANH -> "Tanh";
            default -> "";
        });
        this.act = dtype == DType.FLOAT ? a : null;
    }

    /** Whether the op can run on this dtype. */
    public static boolean supports(UnaryOp op, DType t) {
        if (t == DType.BOOL) return op == UnaryOp.NOT;
        if (op == UnaryOp.NOT) return false;
        if (t.isFloating()) return true;
        if (t == DType.STRING) return false;
        return op.integerOk() && !(t.isUnsigned() && op == UnaryOp.NEG);
    }

    @Override protected void prepareRun() {
        p0 = p0Init;
        p1 = p1Init;
        boolean integral = !dtype.isFloating();
        l0 = dtype.isUnsigned() ? 0 : Long.MIN_VALUE;
        l1 = dtype.isUnsigned() ? -1L : Long.MAX_VALUE;
        if (boundsFromInputs) {
            if (in.length > 1 && in[1] != null) {
                if (integral) l0 = in[1].getLong(0); else p0 = in[1].getDouble(0);
            }
            if (in.length > 2 && in[2] != null) {
                if (integral) l1 = in[2].getLong(0); else p1 = in[2].getDouble(0);
            }
        }
    }

    @Override protected void range(int start, int end) {
        Tensor x = in[0], y = out[0];
        int len = end - start;
        switch (dtype) {
            case FLOAT -> {
                float[] a = x.floats(), b = y.floats();
                int xo = x.offset() + start, yo = y.offset() + start;
                float f0 = (float) p0, f1 = (float) p1;
                if (act != null) act.apply(a, xo, b, yo, len, f0, f1);
                else if (FloatLoops.vectorized(op)) FloatLoops.unary(op, a, xo, b, yo, len, f0, f1);
                else for (int i = 0; i < len; i++) b[yo + i] = (float) op.apply((double) a[xo + i], p0, p1);
            }
            case DOUBLE -> {
                double[] a = x.doubles(), b = y.doubles();
                int xo = x.offset() + start, yo = y.offset() + start;
                for (int i = 0; i < len; i++) b[yo + i] = op.apply(a[xo + i], p0, p1);
            }
            case FLOAT16, BFLOAT16 -> {
                for (int i = start; i < end; i++) y.setDouble(i, op.apply(x.getDouble(i), p0, p1));
            }
            case BOOL -> {
                boolean[] a = x.bools(), b = y.bools();
                int xo = x.offset() + start, yo = y.offset() + start;
                for (int i = 0; i < len; i++) b[yo + i] = !a[xo + i];
            }
            default -> {
                boolean u = dtype.isUnsigned();
                for (int i = start; i < end; i++) y.setLong(i, op.apply(x.getLong(i), l0, l1, u));
            }
        }
    }
}
