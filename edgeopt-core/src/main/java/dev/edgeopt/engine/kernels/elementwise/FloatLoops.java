package dev.edgeopt.engine.kernels.elementwise;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API inner loops over float arrays. Each operand is a run ({@code step} 1) or one repeated
 * element ({@code step} 0). The op switch sits outside the loops so each loop body has a constant
 * vector operation, which the JIT needs to emit SIMD instructions.
 */
public final class FloatLoops {
    private FloatLoops() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** Whether {@link #binary} has a vector loop for the op (else it runs scalar). */
    public static boolean vectorized(BinaryOp op) {
        return switch (op) {
            case ADD, SUB, MUL, DIV, MIN, MAX, PRELU -> true;
            default -> false;
        };
    }

    /** {@code y[yo + i] = op(a[ao + i*as], b[bo + i*bs])} for i in [0, len). */
    public static void binary(BinaryOp op, float[] a, int ao, int as, float[] b, int bo, int bs, float[] y, int yo, int len) {
        int i = 0;
        if (vectorized(op) && (as | bs) != 0) {
            int ub = S.loopBound(len), vl = S.length();
            FloatVector ca = as == 0 ? FloatVector.broadcast(S, a[ao]) : null;
            FloatVector cb = bs == 0 ? FloatVector.broadcast(S, b[bo]) : null;
            switch (op) {
                case ADD -> { for (; i < ub; i += vl) va(ca, a, ao + i).add(va(cb, b, bo + i)).intoArray(y, yo + i); }
                case SUB -> { for (; i < ub; i += vl) va(ca, a, ao + i).sub(va(cb, b, bo + i)).intoArray(y, yo + i); }
                case MUL -> { for (; i < ub; i += vl) va(ca, a, ao + i).mul(va(cb, b, bo + i)).intoArray(y, yo + i); }
                case DIV -> { for (; i < ub; i += vl) va(ca, a, ao + i).div(va(cb, b, bo + i)).intoArray(y, yo + i); }
                case MIN -> { for (; i < ub; i += vl) va(ca, a, ao + i).min(va(cb, b, bo + i)).intoArray(y, yo + i); }
                case MAX -> { for (; i < ub; i += vl) va(ca, a, ao + i).max(va(cb, b, bo + i)).intoArray(y, yo + i); }
                case PRELU -> {
                    for (; i < ub; i += vl) {
                        FloatVector x = va(ca, a, ao + i);
                        x.blend(x.mul(va(cb, b, bo + i)), x.compare(VectorOperators.LT, 0f)).intoArray(y, yo + i);
                    }
                }
                default -> throw new AssertionError(op);
            }
        }
        switch (op) {
            case ADD -> { for (; i < len; i++) y[yo + i] = a[ao + i * as] + b[bo + i * bs]; }
            case MUL -> { for (; i < len; i++) y[yo + i] = a[ao + i * as] * b[bo + i * bs]; }
            default -> { for (; i < len; i++) y[yo + i] = op.apply(a[ao + i * as], b[bo + i * bs]); }
        }
    }

    private static FloatVector va(FloatVector constant, float[] a, int off) {
        return constant != null ? constant : FloatVector.fromArray(S, a, off);
    }

    /** Whether {@link #unary} has a vector loop for the op. */
    public static boolean vectorized(UnaryOp op) {
        return switch (op) {
            case NEG, ABS, SQRT, EXP, LOG, RECIPROCAL -> true;
            default -> false;
        };
    }

    /** {@code y[yo + i] = op(x[xo + i])} for the ops where {@link #vectorized(UnaryOp)}. */
    public static void unary(UnaryOp op, float[] x, int xo, float[] y, int yo, int len) {
        int i = 0, ub = S.loopBound(len), vl = S.length();
        switch (op) {
            case NEG -> { for (; i < ub; i += vl) FloatVector.fromArray(S, x, xo + i).neg().intoArray(y, yo + i); }
            case ABS -> { for (; i < ub; i += vl) FloatVector.fromArray(S, x, xo + i).abs().intoArray(y, yo + i); }
            case SQRT -> { for (; i < ub; i += vl) FloatVector.fromArray(S, x, xo + i).sqrt().intoArray(y, yo + i); }
            case EXP -> { for (; i < ub; i += vl) FloatVector.fromArray(S, x, xo + i).lanewise(VectorOperators.EXP).intoArray(y, yo + i); }
            case LOG -> { for (; i < ub; i += vl) FloatVector.fromArray(S, x, xo + i).lanewise(VectorOperators.LOG).intoArray(y, yo + i); }
            case RECIPROCAL -> {
                FloatVector one = FloatVector.broadcast(S, 1f);
                for (; i < ub; i += vl) one.div(FloatVector.fromArray(S, x, xo + i)).intoArray(y, yo + i);
            }
            default -> throw new AssertionError(op);
        }
        for (; i < len; i++) y[yo + i] = (float) op.apply((double) x[xo + i], 0, 0);
    }
}
