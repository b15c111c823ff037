package dev.edgeopt.engine.kernels.elementwise;

/**
 * Binary elementwise operations under their ONNX names. The float32 loops of the common ones are
 * vectorized in {@link FloatLoops}; every op also has scalar double, signed and unsigned long and
 * bool forms for the other dtypes.
 */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, POW, MOD, FMOD, PRELU, MIN, MAX, BITSHIFT_LEFT, BITSHIFT_RIGHT,
    AND, OR, XOR, EQUAL, LESS, LESS_OR_EQUAL, GREATER, GREATER_OR_EQUAL;

    public boolean isLogical() { return this == AND || this == OR || this == XOR; }

    public double apply(double a, double b) {
        return switch (this) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case POW -> Math.pow(a, b);
            case MOD -> {
                // Python's modulo: the result takes the divisor's sign.
                double r = a % b;
                yield r != 0 && (r < 0) != (b < 0) ? r + b : r;
            }
            case FMOD -> a % b;
            case PRELU -> a < 0 ? a * b : a;
            case MIN -> Math.min(a, b);
            case MAX -> Math.max(a, b);
            case EQUAL -> a == b ? 1 : 0;
            case LESS -> a < b ? 1 : 0;
            case LESS_OR_EQUAL -> a <= b ? 1 : 0;
            case GREATER -> a > b ? 1 : 0;
            case GREATER_OR_EQUAL -> a >= b ? 1 : 0;
            case AND -> (a != 0 && b != 0) ? 1 : 0;
            case OR -> (a != 0 || b != 0) ? 1 : 0;
            case XOR -> ((a != 0) != (b != 0)) ? 1 : 0;
            case BITSHIFT_LEFT, BITSHIFT_RIGHT -> throw new UnsupportedOperationException("bit shift on floating point");
        };
    }

    public float apply(float a, float b) {
        return switch (this) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case PRELU -> a < 0 ? a * b : a;
            case MIN -> Math.min(a, b);
            case MAX -> Math.max(a, b);
            default -> (float) apply((double) a, (double) b);
        };
    }

    /** Integer semantics; {@code unsigned} selects unsigned division, remainder, comparison and shifts. */
    public long apply(long a, long b, boolean unsigned) {
        return switch (this) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> unsigned ? Long.divideUnsigned(a, b) : a / b;
            case POW -> (long) Math.pow(a, b);
            case MOD -> {
                if (unsigned) yield Long.remainderUnsigned(a, b);
                long r = a % b;
                yield r != 0 && (r < 0) != (b < 0) ? r + b : r;
            }
            case FMOD -> unsigned ? Long.remainderUnsigned(a, b) : a % b;
            case PRELU -> a < 0 ? a * b : a;
            case MIN -> cmp(a, b, unsigned) <= 0 ? a : b;
            case MAX -> cmp(a, b, unsigned) >= 0 ? a : b;
            case BITSHIFT_LEFT -> b >= 64 ? 0 : a << b;
            case BITSHIFT_RIGHT -> b >= 64 ? 0 : a >>> b;
            case EQUAL -> a == b ? 1 : 0;
            case LESS -> cmp(a, b, unsigned) < 0 ? 1 : 0;
            case LESS_OR_EQUAL -> cmp(a, b, unsigned) <= 0 ? 1 : 0;
            case GREATER -> cmp(a, b, unsigned) > 0 ? 1 : 0;
            case GREATER_OR_EQUAL -> cmp(a, b, unsigned) >= 0 ? 1 : 0;
            case AND -> (a != 0 && b != 0) ? 1 : 0;
            case OR -> (a != 0 || b != 0) ? 1 : 0;
            case XOR -> ((a != 0) != (b != 0)) ? 1 : 0;
        };
    }

    private static int cmp(long a, long b, boolean unsigned) {
        return unsigned ? Long.compareUnsigned(a, b) : Long.compare(a, b);
    }
}
