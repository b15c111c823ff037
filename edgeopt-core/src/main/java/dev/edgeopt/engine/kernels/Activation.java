package dev.edgeopt.engine.kernels;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.ir.Node;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Pointwise activations shared by the standalone activation kernels and the fused epilogues of
 * Conv/Gemm/MatMul, so a fused {@code Conv+HardSwish} computes exactly what {@code Conv} then
 * {@code HardSwish} computes.
 *
 * <p>Parameters follow ONNX: LeakyRelu(alpha), Clip(min, max), HardSigmoid(alpha, beta).
 */
public enum Activation {
    NONE, RELU, CLIP, LEAKY_RELU, SIGMOID, HARD_SIGMOID, HARD_SWISH, TANH;

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** The ONNX op name of this activation ("" for NONE). */
    public String opName() {
        return switch (this) {
            case NONE -> "";
            case RELU -> "Relu";
            case CLIP -> "Clip";
            case LEAKY_RELU -> "LeakyRelu";
            case SIGMOID -> "Sigmoid";
            case HARD_SIGMOID -> "HardSigmoid";
            case HARD_SWISH -> "HardSwish";
            case TANH -> "Tanh";
        };
    }

    /** The activation for an ONNX op name, or null when it is not one of these. */
    public static Activation ofOp(String op) {
        for (Activation a : values()) if (a != NONE && a.opName().equals(op)) return a;
        return null;
    }

    /**
     * The activation a fused node names in its {@code activation} attribute, with its
     * {@code activation_params} (the attribute convention of ONNX Runtime's FusedConv).
     */
    public static Activation fromNode(Node n) {
        String s = n.attrString("activation", "");
        if (s.isEmpty()) return NONE;
        Activation a = ofOp(s);
        if (a == null) throw new EdgeoptException("node " + n.describe() + ": unknown fused activation '" + s + "'");
        return a;
    }

    /** Default parameters as ONNX defines them, used when a node gives none. */
    public float[] defaults() {
        return switch (this) {
            case CLIP -> new float[] {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY};
            case LEAKY_RELU -> new float[] {0.01f};
            case HARD_SIGMOID -> new float[] {0.2f, 0.5f};
            default -> new float[0];
        };
    }

    public float apply(float x, float p0, float p1) {
        return switch (this) {
            case NONE -> x;
            case RELU -> Math.max(x, 0f);
            case CLIP -> Math.min(Math.max(x, p0), p1);
            case LEAKY_RELU -> x >= 0 ? x : x * p0;
            case SIGMOID -> sigmoid(x);
            case HARD_SIGMOID -> Math.max(0f, Math.min(1f, p0 * x + p1));
            case HARD_SWISH -> x * Math.max(0f, Math.min(1f, x / 6f + 0.5f));
            case TANH -> (float) Math.tanh(x);
        };
    }

    static float sigmoid(float x) {
        // Split by sign so exp never overflows; matches 1/(1+e^-x) to float precision.
        if (x >= 0) return (float) (1.0 / (1.0 + Math.exp(-x)));
        double e = Math.exp(x);
        return (float) (e / (1.0 + e));
    }

    /** Applies in place to {@code a[off, off+len)}; vectorized. */
    public void applyInPlace(float[] a, int off, int len, float p0, float p1) {
        apply(a, off, a, off, len, p0, p1);
    }

    /**
     * {@code dst[doff + i] = f(src[soff + i])} for i in [0, len); the ranges may be the same (in
     * place) but must not otherwise overlap. Every activation has a vector loop; Sigmoid and Tanh use
     * the Vector API's EXP and TANH (within an ulp or two of {@link #apply}).
     */
    public void apply(float[] src, int soff, float[] dst, int doff, int len, float p0, float p1) {
        if (this == NONE) {
            if (src != dst || soff != doff) System.arraycopy(src, soff, dst, doff, len);
            return;
        }
        int i = 0;
        int bound = S.loopBound(len);
        switch (this) {
            case RELU -> {
                for (; i < bound; i += S.length()) FloatVector.fromArray(S, src, soff + i).max(0f).intoArray(dst, doff + i);
            }
            case CLIP -> {
                for (; i < bound; i += S.length()) FloatVector.fromArray(S, src, soff + i).max(p0).min(p1).intoArray(dst, doff + i);
            }
            case LEAKY_RELU -> {
                for (; i < bound; i += S.length()) {
                    FloatVector v = FloatVector.fromArray(S, src, soff + i);
                    v.blend(v.mul(p0), v.compare(VectorOperators.LT, 0f)).intoArray(dst, doff + i);
                }
            }
            case HARD_SIGMOID -> {
                for (; i < bound; i += S.length()) {
                    FloatVector.fromArray(S, src, soff + i).fma(p0, p1).max(0f).min(1f).intoArray(dst, doff + i);
                }
            }
            case HARD_SWISH -> {
                float sixth = 1f / 6f;
                for (; i < bound; i += S.length()) {
                    FloatVector v = FloatVector.fromArray(S, src, soff + i);
                    v.mul(v.fma(sixth, 0.5f).max(0f).min(1f)).intoArray(dst, doff + i);
                }
            }
            case SIGMOID -> {
                FloatVector one = FloatVector.broadcast(S, 1f);
                for (; i < bound; i += S.length()) {
                    // e^-x overflows to +inf for very negative x, giving 1/inf = 0 as it should.
                    FloatVector v = FloatVector.fromArray(S, src, soff + i);
                    one.div(v.neg().lanewise(VectorOperators.EXP).add(one)).intoArray(dst, doff + i);
                }
            }
            case TANH -> {
                for (; i < bound; i += S.length()) {
                    FloatVector.fromArray(S, src, soff + i).lanewise(VectorOperators.TANH).intoArray(dst, doff + i);
                }
            }
            default -> { }
        }
        for (; i < len; i++) dst[doff + i] = apply(src[soff + i], p0, p1);
    }
}
