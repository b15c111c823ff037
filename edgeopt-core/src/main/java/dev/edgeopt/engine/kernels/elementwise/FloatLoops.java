package dev.edgeopt.engine.kernels.elementwise;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
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

    /**
     * {@code y[yo + i] = op(a[ao + i*as], b[bo + i*bs])} for i in [0, len). Each op has three
     * loops (run/run, run/constant, constant/run) so no vector value ever merges from two sources,
     * which would keep C2 from keeping it in a register.
     */
    public static void binary(BinaryOp op, float[] a, int ao, int as, float[] b, int bo, int bs, float[] y, int yo, int len) {
        int i = 0;
        if (vectorized(op) && (as | bs) != 0) {
            int ub = S.loopBound(len), vl = S.length();
            switch (op) {
                case ADD -> {
                    if (as != 0 && bs != 0) {
                        for (; i < ub; i += vl) {
                            FloatVector x = FloatVector.fromArray(S, a, ao + i), z = FloatVector.fromArray(S, b, bo + i);
                            x.add(z).intoArray(y, yo + i);
                        }
                    } else if (as != 0) {
                        FloatVector z = FloatVector.broadcast(S, b[bo]);
                        for (; i < ub; i += vl) {
                            FloatVector x = FloatVector.fromArray(S, a, ao + i);
                            x.add(z).intoArray(y, yo + i);
                        }
                    } else {
                        FloatVector x = FloatVector.broadcast(S, a[ao]);
                        for (; i < ub; i += vl) {
                            FloatVector z = FloatVector.fromArray(S, b, bo + i);
                            x.add(z).intoArray(y, yo + i);
                        }
                    }
                }
                case SUB -> {
                    if (as != 0 && bs != 0) {
                        for (; i < ub; i += vl) {
                            FloatVector x = FloatVector.fromArray(S, a, ao + i), z = FloatVector.fromArray(S, b, bo + i);
                            x.sub(z).intoArray(y, yo + i);
                        }
                    } else if (as != 0) {
                        FloatVector z = FloatVector.broadcast(S, b[bo]);
                        for (; i < ub; i += vl) {
                            FloatVector x = FloatVector.fromArray(S, a, ao + i);
                            x.sub(z).intoArray(y, yo + i);
                        }
                    } else {
                        FloatVector x = FloatVector.broadcast(S, a[ao]);
                        for (; i < ub; i += vl) {
                            FloatVector z = FloatVector.fromArray(S, b, bo + i);
                            x.sub(z).intoArray(y, yo + i);
                        }
                    }
                }
                case MUL -> {
                    if (as != 0 && bs != 0) {
                        for (; i < ub; i += vl) {
                            FloatVector x = FloatVector.fromArray(S, a, ao + i), z = FloatVector.fromArray(S, b, bo + i);
                            x.mul(z).intoArray(y, yo + i);
                        }
                    } else if (as != 0) {
                        FloatVector z = FloatVector.broadcast(S, b[bo]);
                        for (; i < ub; i += vl) {
                            FloatVector x = FloatVector.fromArray(S, a, ao + i);
                            x.mul(z).intoArray(y, yo + i);
                        }
                    } else {
                        FloatVector x = FloatVector.broadcast(S, a[ao]);
                        for (; i < ub; i += vl) {
                            FloatVector z = FloatVector.fromArray(S, b, bo + i);
                            x.mul(z).intoArray(y, yo + i);
                        }
                    }
                }
                case DIV -> {
                    if (as != 0 && bs != 0) {
                        for (; i < ub; i += vl) {
                            FloatVector x = FloatVector.fromArray(S, a, ao + i), z = FloatVector.fromArray(S, b, bo + i);
                            x.div(z).intoArray(y, yo + i);
                        }
                    } else if (as != 0) {
                        FloatVector z = FloatVector.broadcast(S, b[bo]);
                        for (; i < ub; i += vl) {
                            FloatVector x = FloatVector.fromArray(S, a, ao + i);
                            x.div(z).intoArray(y, yo + i);
                        }
                    } else {
                        FloatVector x = FloatVector.broadcast(S, a[ao]);
                        for (; i < ub; i += vl) {
                            FloatVector z = FloatVector.fromArray(S, b, bo + i);
                            x.div(z).intoArray(y, yo + i);
                        }
                    }
                }
                case MIN -> {
                    if (as != 0 && bs != 0) {
                        for (; i < ub; i += vl) {
                            FloatVector x = FloatVector.fromArray(S, a, ao + i), z = FloatVector.fromArray(S, b, bo + i);
                            x.min(z).intoArray(y, yo + i);
                        }
                    } else if (as != 0) {
                        FloatVector z = FloatVector.broadcast(S, b[bo]);
                        for (; i < ub; i += vl) {
                            FloatVector x = FloatVector.fromArray(S, a, ao + i);
                            x.min(z).intoArray(y, yo + i);
                        }
                    } else {
                        FloatVector x = FloatVector.broadcast(S, a[ao]);
                        for (; i < ub; i += vl) {
                            FloatVector z = FloatVector.fromArray(S, b, bo + i);
                            x.min(z).intoArray(y, yo + i);
                        }
                    }
                }
                case MAX -> {
                    if (as != 0 && bs != 0) {
                        for (; i < ub; i += vl) {
                            FloatVector x = FloatVector.fromArray(S, a, ao + i), z = FloatVector.fromArray(S, b, bo + i);
                            x.max(z).intoArray(y, yo + i);
                        }
                    } else if (as != 0) {
                        FloatVector z = FloatVector.broadcast(S, b[bo]);
                        for (; i < ub; i += vl) {
                            FloatVector x = FloatVector.fromArray(S, a, ao + i);
                            x.max(z).intoArray(y, yo + i);
                        }
                    } else {
                        FloatVector x = FloatVector.broadcast(S, a[ao]);
                        for (; i < ub; i += vl) {
                            FloatVector z = FloatVector.fromArray(S, b, bo + i);
                            x.max(z).intoArray(y, yo + i);
                        }
                    }
                }
                case PRELU -> {
                    if (as != 0 && bs != 0) {
                        for (; i < ub; i += vl) {
                            FloatVector x = FloatVector.fromArray(S, a, ao + i), z = FloatVector.fromArray(S, b, bo + i);
                            x.blend(x.mul(z), x.compare(VectorOperators.LT, 0f)).intoArray(y, yo + i);
                        }
                    } else if (as != 0) {
                        FloatVector z = FloatVector.broadcast(S, b[bo]);
                        for (; i < ub; i += vl) {
                            FloatVector x = FloatVector.fromArray(S, a, ao + i);
                            x.blend(x.mul(z), x.compare(VectorOperators.LT, 0f)).intoArray(y, yo + i);
                        }
                    } else {
                        FloatVector x = FloatVector.broadcast(S, a[ao]);
                        for (; i < ub; i += vl) {
                            FloatVector z = FloatVector.fromArray(S, b, bo + i);
                            x.blend(x.mul(z), x.compare(VectorOperators.LT, 0f)).intoArray(y, yo + i);
                        }
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

    /** Whether {@link #unary} has a vector loop for the op. */
    public static boolean vectorized(UnaryOp op) {
        return switch (op) {
            case NEG, ABS, SQRT, EXP, LOG, RECIPROCAL, ERF, GELU, GELU_TANH, ELU, SELU, CELU, SOFTPLUS, SOFTSIGN, MISH,
                 THRESHOLDED_RELU, SIN, COS, TAN, ASIN, ACOS, ATAN, SINH, COSH -> true;
            default -> false;
        };
    }

    /**
     * {@code y[yo + i] = op(x[xo + i])} for the ops where {@link #vectorized(UnaryOp)}; {@code p0},
     * {@code p1} are the op's parameters. The tail goes through the same vector expression under a
     * mask, so an element's result does not depend on its position. Each op has its own loop: a
     * vector passed to a method C2 does not inline, or merged from two sources, is boxed.
     */
    public static void unary(UnaryOp op, float[] x, int xo, float[] y, int yo, int len, float p0, float p1) {
        int vl = S.length(), ub = S.loopBound(len), i = 0;
        VectorMask<Float> m = S.indexInRange(ub, len);
        switch (op) {
            case NEG -> {
                for (; i < ub; i += vl) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.neg().intoArray(y, yo + i);
                }
                if (ub < len) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + ub, m);
                    v.neg().intoArray(y, yo + ub, m);
                }
            }
            case ABS -> {
                for (; i < ub; i += vl) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.abs().intoArray(y, yo + i);
                }
                if (ub < len) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + ub, m);
                    v.abs().intoArray(y, yo + ub, m);
                }
            }
            case SQRT -> {
                for (; i < ub; i += vl) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.sqrt().intoArray(y, yo + i);
                }
                if (ub < len) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + ub, m);
                    v.sqrt().intoArray(y, yo + ub, m);
                }
            }
            case EXP -> {
                for (; i < ub; i += vl) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.lanewise(VectorOperators.EXP).intoArray(y, yo + i);
                }
                if (ub < len) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + ub, m);
                    v.lanewise(VectorOperators.EXP).intoArray(y, yo + ub, m);
                }
            }
            case LOG -> {
                for (; i < ub; i += vl) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.lanewise(VectorOperators.LOG).intoArray(y, yo + i);
                }
                if (ub < len) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + ub, m);
                    v.lanewise(VectorOperators.LOG).intoArray(y, yo + ub, m);
                }
            }
            case RECIPROCAL -> {
                for (; i < ub; i += vl) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    FloatVector.broadcast(S, 1f).div(v).intoArray(y, yo + i);
                }
                if (ub < len) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + ub, m);
                    FloatVector.broadcast(S, 1f).div(v).intoArray(y, yo + ub, m);
                }
            }
            case ERF -> {
                for (; i < ub; i += vl) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    erf(v).intoArray(y, yo + i);
                }
                if (ub < len) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + ub, m);
                    erf(v).intoArray(y, yo + ub, m);
                }
            }
            case GELU -> {
                for (; i < ub; i += vl) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.mul(0.5f).mul(erf(v.mul(SQRT_HALF)).add(1f)).intoArray(y, yo + i);
                }
                if (ub < len) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + ub, m);
                    v.mul(0.5f).mul(erf(v.mul(SQRT_HALF)).add(1f)).intoArray(y, yo + ub, m);
                }
            }
            case GELU_TANH -> {
                for (; i < ub; i += vl) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.mul(0.5f).mul(v.mul(v).mul(v).mul(0.044715f).add(v).mul(SQRT_2_OVER_PI).lanewise(VectorOperators.TANH).add(1f)).intoArray(y, yo + i);
                }
                if (ub < len) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + ub, m);
                    v.mul(0.5f).mul(v.mul(v).mul(v).mul(0.044715f).add(v).mul(SQRT_2_OVER_PI).lanewise(VectorOperators.TANH).add(1f)).intoArray(y, yo + ub, m);
                }
            }
            case ELU -> {
                for (; i < ub; i += vl) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.blend(v.lanewise(VectorOperators.EXPM1).mul(p0), v.compare(VectorOperators.LT, 0f)).intoArray(y, yo + i);
                }
                if (ub < len) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + ub, m);
                    v.blend(v.lanewise(VectorOperators.EXPM1).mul(p0), v.compare(VectorOperators.LT, 0f)).intoArray(y, yo + ub, m);
                }
            }
            case SELU -> {
                for (; i < ub; i += vl) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.blend(v.lanewise(VectorOperators.EXPM1).mul(p0), v.compare(VectorOperators.LE, 0f)).mul(p1).intoArray(y, yo + i);
                }
                if (ub < len) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + ub, m);
                    v.blend(v.lanewise(VectorOperators.EXPM1).mul(p0), v.compare(VectorOperators.LE, 0f)).mul(p1).intoArray(y, yo + ub, m);
                }
            }
            case CELU -> {
                for (; i < ub; i += vl) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.max(0f).add(v.div(p0).lanewise(VectorOperators.EXPM1).mul(p0).min(0f)).intoArray(y, yo + i);
                }
                if (ub < len) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + ub, m);
                    v.max(0f).add(v.div(p0).lanewise(VectorOperators.EXPM1).mul(p0).min(0f)).intoArray(y, yo + ub, m);
                }
            }
            case SOFTPLUS -> {
                for (; i < ub; i += vl) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    softplus(v).intoArray(y, yo + i);
                }
                if (ub < len) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + ub, m);
                    softplus(v).intoArray(y, yo + ub, m);
                }
            }
            case SOFTSIGN -> {
                for (; i < ub; i += vl) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.div(v.abs().add(1f)).intoArray(y, yo + i);
                }
                if (ub < len) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + ub, m);
                    v.div(v.abs().add(1f)).intoArray(y, yo + ub, m);
                }
            }
            case MISH -> {
                for (; i < ub; i += vl) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.mul(softplus(v).lanewise(VectorOperators.TANH)).intoArray(y, yo + i);
                }
                if (ub < len) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + ub, m);
                    v.mul(softplus(v).lanewise(VectorOperators.TANH)).intoArray(y, yo + ub, m);
                }
            }
            case THRESHOLDED_RELU -> {
                for (; i < ub; i += vl) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    FloatVector.zero(S).blend(v, v.compare(VectorOperators.GT, p0)).intoArray(y, yo + i);
                }
                if (ub < len) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + ub, m);
                    FloatVector.zero(S).blend(v, v.compare(VectorOperators.GT, p0)).intoArray(y, yo + ub, m);
                }
            }
            case SIN -> {
                for (; i < ub; i += vl) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.lanewise(VectorOperators.SIN).intoArray(y, yo + i);
                }
                if (ub < len) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + ub, m);
                    v.lanewise(VectorOperators.SIN).intoArray(y, yo + ub, m);
                }
            }
            case COS -> {
                for (; i < ub; i += vl) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.lanewise(VectorOperators.COS).intoArray(y, yo + i);
                }
                if (ub < len) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + ub, m);
                    v.lanewise(VectorOperators.COS).intoArray(y, yo + ub, m);
                }
            }
            case TAN -> {
                for (; i < ub; i += vl) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.lanewise(VectorOperators.TAN).intoArray(y, yo + i);
                }
                if (ub < len) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + ub, m);
                    v.lanewise(VectorOperators.TAN).intoArray(y, yo + ub, m);
                }
            }
            case ASIN -> {
                for (; i < ub; i += vl) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.lanewise(VectorOperators.ASIN).intoArray(y, yo + i);
                }
                if (ub < len) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + ub, m);
                    v.lanewise(VectorOperators.ASIN).intoArray(y, yo + ub, m);
                }
            }
            case ACOS -> {
                for (; i < ub; i += vl) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.lanewise(VectorOperators.ACOS).intoArray(y, yo + i);
                }
                if (ub < len) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + ub, m);
                    v.lanewise(VectorOperators.ACOS).intoArray(y, yo + ub, m);
                }
            }
            case ATAN -> {
                for (; i < ub; i += vl) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.lanewise(VectorOperators.ATAN).intoArray(y, yo + i);
                }
                if (ub < len) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + ub, m);
                    v.lanewise(VectorOperators.ATAN).intoArray(y, yo + ub, m);
                }
            }
            case SINH -> {
                for (; i < ub; i += vl) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.lanewise(VectorOperators.SINH).intoArray(y, yo + i);
                }
                if (ub < len) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + ub, m);
                    v.lanewise(VectorOperators.SINH).intoArray(y, yo + ub, m);
                }
            }
            case COSH -> {
                for (; i < ub; i += vl) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.lanewise(VectorOperators.COSH).intoArray(y, yo + i);
                }
                if (ub < len) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + ub, m);
                    v.lanewise(VectorOperators.COSH).intoArray(y, yo + ub, m);
                }
            }
            default -> throw new AssertionError(op);
        }
    }

    private static final float SQRT_HALF = (float) Math.sqrt(0.5), SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);

    /** log(1 + e^x) as max(x, 0) + log1p(e^-|x|), which neither overflows nor loses small values. */
    private static FloatVector softplus(FloatVector v) {
        return v.max(0f).add(v.abs().neg().lanewise(VectorOperators.EXP).lanewise(VectorOperators.LOG1P));
    }

    /**
     * erf for float32 as a rational function of x on [-4, 4] (beyond, erf is +-1 in float32): the
     * approximation Eigen and XLA use, accurate to a few float ulps.
     */
    static FloatVector erf(FloatVector v) {
        FloatVector x = v.min(4f).max(-4f), x2 = x.mul(x);
        FloatVector p = x2.fma(-2.72614225801306e-10f, 2.77068142495902e-08f);
        p = x2.fma(p, FloatVector.broadcast(S, -2.10102402082508e-06f));
        p = x2.fma(p, FloatVector.broadcast(S, -5.69250639462346e-05f));
        p = x2.fma(p, FloatVector.broadcast(S, -7.34990630326855e-04f));
        p = x2.fma(p, FloatVector.broadcast(S, -2.95459980854025e-03f));
        p = x2.fma(p, FloatVector.broadcast(S, -1.60960333262415e-02f));
        FloatVector q = x2.fma(-1.45660718464996e-05f, -2.13374055278905e-04f);
        q = x2.fma(q, FloatVector.broadcast(S, -1.68282697438203e-03f));
        q = x2.fma(q, FloatVector.broadcast(S, -7.37332916720468e-03f));
        q = x2.fma(q, FloatVector.broadcast(S, -1.42647390514189e-02f));
        return x.mul(p).div(q);
    }
}
