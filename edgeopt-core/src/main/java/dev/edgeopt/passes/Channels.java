package dev.edgeopt.passes;

import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;

/**
 * Per-channel arithmetic on constant weights, shared by the folding passes: reading a constant as
 * one value per channel, and scaling/shifting Conv, ConvTranspose and Gemm weights. Sums run in
 * double so a fold adds no more error than one float rounding per weight.
 */
final class Channels {
    private Channels() {}

    /**
     * The constant as one float per channel when, broadcast against a rank-{@code rank} tensor, it
     * varies only along {@code axis} (or not at all); else null.
     */
    static float[] perChannel(Value c, int rank, int axis, int channels) {
        float[] f = Rewrites.floats(c);
        if (f == null) return null;
        int[] d = c.constant().dims();
        if (d.length > rank) return null;
        int off = rank - d.length;
        for (int i = 0; i < d.length; i++) {
            if (i + off != axis && d[i] != 1) return null;
        }
        int ca = axis - off;
        int n = ca >= 0 ? d[ca] : 1;
        if (n != 1 && n != channels) return null;
        float[] r = new float[channels];
        for (int k = 0; k < channels; k++) r[k] = f[n == 1 ? 0 : k];
        return r;
    }

    /** BatchNormalization's inference affine form y = s*x + t, or null when it cannot be folded. */
    static double[][] batchNorm(Graph g, Node bn) {
        if (!Rewrites.is(bn, "BatchNormalization") || bn.inputCount() < 5) return null;
        if (bn.attrInt("training_mode", 0) != 0 || bn.attrInt("spatial", 1) != 1) return null;
        if (g.opset() < 7 && bn.attrInt("is_test", 0) == 0) return null;
        if (!Rewrites.onlyFirstOutputUsed(g, bn)) return null;
        float[] scale = Rewrites.floats(bn.input(1)), b = Rewrites.floats(bn.input(2));
        float[] mean = Rewrites.floats(bn.input(3)), var = Rewrites.floats(bn.input(4));
        if (scale == null || b == null || mean == null || var == null) return null;
        int c = scale.length;
        if (b.length != c || mean.length != c || var.length != c) return null;
        double eps = bn.attrFloat("epsilon", 1e-5f);
        double[] s = new double[c], t = new double[c];
        for (int i = 0; i < c; i++) {
            s[i] = scale[i] / Math.sqrt((double) var[i] + eps);
            t[i] = b[i] - mean[i] * s[i];
        }
        return new double[][] {s, t};
    }

    /** A constant rank>=3 FLOAT weight's data and dims, else null. */
    static Tensor weight(Value w, int minRank) {
        if (w == null || !w.isConstant() || w.constant().dtype() != DType.FLOAT || w.constant().rank() < minRank) return null;
        return w.constant();
    }

    /** Conv weight [M, C/g, k...] scaled per output channel. */
    static Tensor scaleConvOut(Tensor w, double[] s) {
        int m = w.dim(0), per = w.size() / m;
        float[] src = w.toFloatArray(), dst = new float[src.length];
        for (int o = 0; o < m; o++) for (int i = 0; i < per; i++) dst[o * per + i] = (float) (src[o * per + i] * s[o]);
        return Tensor.of(dst, w.shape());
    }

    /** ConvTranspose weight [C, M/g, k...] scaled per output channel (output channel g*(M/g)+j). */
    static Tensor scaleConvTransposeOut(Tensor w, double[] s, int group) {
        int cin = w.dim(0), mg = w.dim(1), k = w.size() / (cin * mg), cg = cin / group;
        float[] src = w.toFloatArray(), dst = new float[src.length];
        for (int ci = 0; ci < cin; ci++) {
            int gi = ci / cg;
            for (int j = 0; j < mg; j++) {
                double f = s[gi * mg + j];
                int base = (ci * mg + j) * k;
                for (int q = 0; q < k; q++) dst[base + q] = (float) (src[base + q] * f);
            }
        }
        return Tensor.of(dst, w.shape());
    }

    /** The bias as doubles (zeros when absent), or null when present but not a constant of length m. */
    static double[] bias(Value b, int m) {
        if (b == null) return new double[m];
        float[] f = Rewrites.floats(b);
        if (f == null || f.length != m) return null;
        double[] d = new double[m];
        for (int i = 0; i < m; i++) d[i] = f[i];
        return d;
    }

    static Tensor vector(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return Tensor.of(f, f.length);
    }

    /** Whether a Conv (or pool) node pads nothing, so a per-channel shift of its input commutes with it. */
    static boolean noPadding(Node conv) {
        String ap = conv.attrString("auto_pad", "NOTSET");
        if (ap.equals("VALID")) return true;
        if (!ap.equals("NOTSET")) return false;
        long[] pads = conv.attrInts("pads", null);
        if (pads == null) return true;
        for (long p : pads) if (p != 0) return false;
        return true;
    }

    /**
     * Folds y = s*x + t (per input channel of a Conv with no padding) into the Conv's weights:
     * W'[o,c] = W[o,c]*s[c], b'[o] = b[o] + sum_c,k W[o,c,k]*t[c]. Returns {W', b'} or null.
     */
    static Tensor[] affineIntoFollowingConv(Node conv, double[] s, double[] t) {
        Tensor w = weight(conv.input(1), 3);
        if (w == null || !noPadding(conv)) return null;
        int m = w.dim(0), cg = w.dim(1), k = w.size() / (m * cg);
        long group = conv.attrInt("group", 1);
        if (group <= 0 || m % group != 0 || cg * group != s.length) return null;
        double[] b = bias(conv.input(2), m);
        if (b == null) return null;
        int mg = (int) (m / group);
        float[] src = w.toFloatArray(), dst = new float[src.length];
        for (int o = 0; o < m; o++) {
            int gi = o / mg;
            double acc = b[o];
            for (int c = 0; c < cg; c++) {
                int ch = gi * cg + c, base = (o * cg + c) * k;
                for (int q = 0; q < k; q++) {
                    dst[base + q] = (float) (src[base + q] * s[ch]);
                    acc += src[base + q] * t[ch];
                }
            }
            b[o] = acc;
        }
        return new Tensor[] {Tensor.of(dst, w.shape()), vector(b)};
    }

    /**
     * Folds y = s*Gemm(A,B,C) + t (per output column) into the Gemm: columns of B scaled, and
     * C' = beta*C*s + t with beta 1. Returns {B', C'} or null when B or C is not a usable constant.
     */
    static Tensor[] affineIntoGemm(Node gemm, double[] s, double[] t) {
        return affineIntoGemm(gemm.input(1), gemm.attrInt("transB", 0) != 0, gemm.input(2), gemm.attrFloat("beta", 1f), s, t);
    }

    static Tensor[] affineIntoGemm(Value bv, boolean transB, Value cv, double beta, double[] s, double[] t) {
        if (bv == null || !bv.isConstant() || bv.constant().dtype() != DType.FLOAT || bv.constant().rank() != 2) return null;
        Tensor b = bv.constant();
        int n = transB ? b.dim(0) : b.dim(1), k = transB ? b.dim(1) : b.dim(0);
        if (s.length != n) return null;
        float[] src = b.toFloatArray(), dst = new float[src.length];
        for (int i = 0; i < src.length; i++) {
            int col = transB ? i / k : i % n;
            dst[i] = (float) (src[i] * s[col]);
        }
        Tensor c;
        if (cv == null) {
            c = vector(t);
        } else {
            float[] cf = Rewrites.floats(cv);
            if (cf == null) return null;
            int[] cd = cv.constant().dims();
            boolean vec = cf.length == 1 || (cf.length == n && cd[cd.length - 1] == n);
            if (vec) {
                double[] r = new double[n];
                for (int j = 0; j < n; j++) r[j] = beta * cf[cf.length == 1 ? 0 : j] * s[j] + t[j];
                c = vector(r);
            } else if (cd.length == 2 && cd[1] == n) {
                float[] r = new float[cf.length];
                for (int i = 0; i < r.length; i++) r[i] = (float) (beta * cf[i] * s[i % n] + t[i % n]);
                c = Tensor.of(r, cd);
            } else {
                return null;
            }
        }
        return new Tensor[] {Tensor.of(dst, b.shape()), c};
    }
}
