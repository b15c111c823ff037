package dev.edgeopt.engine.kernels.elementwise;

/**
 * Unary elementwise operations under their ONNX names, with their ONNX parameters as {@code p0},
 * {@code p1} (alpha, beta, gamma, min, max). Scalar math is in double and rounded once to the
 * output type, so float32 results are as accurate as float32 can hold.
 */
public enum UnaryOp {
    RELU, LEAKY_RELU, CLIP, SIGMOID, HARD_SIGMOID, HARD_SWISH, TANH, ERF, ELU, SELU, CELU, SOFTPLUS, SOFTSIGN,
    GELU, GELU_TANH, MISH, THRESHOLDED_RELU, SQRT, NEG, ABS, EXP, LOG, RECIPROCAL, FLOOR, CEIL, ROUND, SIGN,
    SIN, COS, TAN, ASIN, ACOS, ATAN, SINH, COSH, ASINH, ACOSH, ATANH, NOT;

    /** The op for an ONNX op type (Gelu maps to GELU; its tanh approximation is chosen by the caller). */
    public static UnaryOp ofOnnx(String op) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < op.length(); i++) {
            char c = op.charAt(i);
            if (i > 0 && Character.isUpperCase(c) && !Character.isUpperCase(op.charAt(i - 1))) b.append('_');
            b.append(Character.toUpperCase(c));
        }
        return valueOf(b.toString());
    }

    /** Whether the op is defined on integer types (the rest are floating-point only). */
    public boolean integerOk() {
        return this == RELU || this == NEG || this == ABS || this == SIGN || this == CLIP || this == NOT;
    }

    public double apply(double x, double p0, double p1) {
        return switch (this) {
            case RELU -> x > 0 ? x : (x == 0 || x < 0 ? 0 : x);
            case LEAKY_RELU -> x >= 0 ? x : x * p0;
            case CLIP -> Math.min(Math.max(x, p0), p1);
            case SIGMOID -> x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
            case HARD_SIGMOID -> Math.max(0, Math.min(1, p0 * x + p1));
            case HARD_SWISH -> x * Math.max(0, Math.min(1, x / 6 + 0.5));
            case TANH -> Math.tanh(x);
            case ERF -> Erf.erf(x);
            case ELU -> x < 0 ? p0 * (Math.exp(x) - 1) : x;
            case SELU -> x > 0 ? p1 * x : p1 * (p0 * Math.exp(x) - p0);
            case CELU -> Math.max(0, x) + Math.min(0, p0 * (Math.exp(x / p0) - 1));
            case SOFTPLUS -> softplus(x);
            case SOFTSIGN -> x / (1 + Math.abs(x));
            case GELU -> 0.5 * x * (1 + Erf.erf(x / Math.sqrt(2)));
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case MISH -> x * Math.tanh(softplus(x));
            case THRESHOLDED_RELU -> x > p0 ? x : 0;
            case SQRT -> Math.sqrt(x);
            case NEG -> -x;
            case ABS -> Math.abs(x);
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case RECIPROCAL -> 1 / x;
            case FLOOR -> Math.floor(x);
            case CEIL -> Math.ceil(x);
            case ROUND -> Math.rint(x); // half to even, as ONNX and numpy round
            case SIGN -> Math.signum(x);
            case SIN -> Math.sin(x);
            case COS -> Math.cos(x);
            case TAN -> Math.tan(x);
            case ASIN -> Math.asin(x);
            case ACOS -> Math.acos(x);
            case ATAN -> Math.atan(x);
            case SINH -> Math.sinh(x);
            case COSH -> Math.cosh(x);
            case ASINH -> x == Double.NEGATIVE_INFINITY ? x : Math.copySign(Math.log(Math.abs(x) + Math.sqrt(x * x + 1)), x);
            case ACOSH -> Math.log(x + Math.sqrt(x * x - 1));
            case ATANH -> 0.5 * Math.log((1 + x) / (1 - x));
            case NOT -> x == 0 ? 1 : 0;
        };
    }

    private static double softplus(double x) {
        // log(1 + e^x) without overflow for large x.
        return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
    }

    /** Integer form for the ops where {@link #integerOk()}; {@code p0}, {@code p1} are Clip's bounds. */
    public long apply(long x, long p0, long p1, boolean unsigned) {
        return switch (this) {
            case RELU -> unsigned ? x : Math.max(x, 0);
            case NEG -> -x;
            case ABS -> unsigned ? x : Math.abs(x);
            case SIGN -> unsigned ? (x != 0 ? 1 : 0) : Long.signum(x);
            case CLIP -> unsigned ? (Long.compareUnsigned(x, p0) < 0 ? p0 : Long.compareUnsigned(x, p1) > 0 ? p1 : x)
                    : Math.min(Math.max(x, p0), p1);
            case NOT -> x == 0 ? 1 : 0;
            default -> throw new UnsupportedOperationException(this + " on integers");
        };
    }
}
