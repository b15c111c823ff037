package dev.edgeopt.engine.kernels.conv;

import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.ops.ConvGeometry;

/**
 * Concrete Conv/ConvTranspose sizes with 1-D and 2-D problems lifted to 3-D (leading spatial axes
 * of size 1), so every kernel handles one layout: x [N, C, D, H, W], w, y [N, M, OD, OH, OW].
 */
public final class ConvShape {
    public final int n, c, m, group, cg, mg;
    public final int d, h, w, od, oh, ow;
    public final int kd, kh, kw, sd, sh, sw, dd, dh, dw, pd, ph, pw;
    public final int spatialRank;

    private ConvShape(KernelContext kc, ConvGeometry g, int[] x, int m, boolean transpose) {
        int r = g.rank;
        if (r > 3) throw kc.fail("only 1-D, 2-D and 3-D convolutions are supported, got " + r + "-D");
        spatialRank = r;
        n = x[0];
        c = x[1];
        this.m = m;
        group = Math.toIntExact(g.group);
        cg = c / group;
        mg = m / group;
        int[] in = lift(g.ints(g.in), 1), out = lift(g.ints(g.out), 1), k = lift(g.ints(g.kernel), 1);
        int[] s = lift(g.ints(g.strides), 1), dil = lift(g.ints(g.dilations), 1), p = lift(g.ints(g.padsBegin), 0);
        d = in[0]; h = in[1]; w = in[2];
        od = out[0]; oh = out[1]; ow = out[2];
        kd = k[0]; kh = k[1]; kw = k[2];
        sd = s[0]; sh = s[1]; sw = s[2];
        dd = dil[0]; dh = dil[1]; dw = dil[2];
        pd = p[0]; ph = p[1]; pw = p[2];
        if (c % group != 0 || m % group != 0) {
            throw kc.fail("channels " + c + " -> " + m + " not divisible by group " + group + (transpose ? " (ConvTranspose)" : ""));
        }
    }

    /** A copy with another group and other input rows, top padding and output rows (for row bands). */
    private ConvShape(ConvShape o, int group, int h, int ph, int oh) {
        spatialRank = o.spatialRank;
        n = o.n;
        c = o.c;
        m = o.m;
        this.group = group;
        cg = c / group;
        mg = m / group;
        d = o.d; this.h = h; w = o.w;
        od = o.od; this.oh = oh; ow = o.ow;
        kd = o.kd; kh = o.kh; kw = o.kw;
        sd = o.sd; sh = o.sh; sw = o.sw;
        dd = o.dd; dh = o.dh; dw = o.dw;
        pd = o.pd; this.ph = ph; pw = o.pw;
    }

    /**
     * The depthwise conv of a fused block ({@code dev.edgeopt} InvertedResidual): input {@code x}
     * [N, C, H, W] with the geometry's window, group = C = M.
     */
    static ConvShape depthwise(KernelContext kc, ConvGeometry g, int[] x) {
        ConvShape s = new ConvShape(kc, g, x, x[1], false);
        return new ConvShape(s, s.c, s.h, s.ph, s.oh);
    }

    /**
     * This conv restricted to a band of output rows: {@code h} input rows starting at padded row
     * {@code ph} (its top padding, 0 inside the image) and {@code oh} output rows.
     */
    ConvShape rows(int h, int ph, int oh) { return new ConvShape(this, group, h, ph, oh); }

    private static int[] lift(int[] v, int fill) {
        int[] r = {fill, fill, fill};
        System.arraycopy(v, 0, r, 3 - v.length, v.length);
        return r;
    }

    private static long[] spatial(int[] s) {
        long[] r = new long[s.length - 2];
        for (int i = 0; i < r.length; i++) r[i] = s[i + 2];
        return r;
    }

    public static ConvShape conv(KernelContext kc) {
        int[] x = kc.inShape(0), wt = kc.inShape(1);
        if (x.length < 3 || wt.length != x.length) throw kc.fail("bad Conv input/weight ranks " + x.length + "/" + wt.length);
        ConvGeometry g;
        try {
            g = ConvGeometry.conv(kc.node(), spatial(x), spatial(wt));
        } catch (ConvGeometry.Invalid e) {
            throw kc.fail(e.getMessage());
        }
        ConvShape s = new ConvShape(kc, g, x, wt[0], false);
        if (wt[1] * s.group != s.c) throw kc.fail("input has " + s.c + " channels but weight expects " + wt[1] + " x group " + s.group);
        return s;
    }

    public static ConvShape convTranspose(KernelContext kc) {
        int[] x = kc.inShape(0), wt = kc.inShape(1);
        if (x.length < 3 || wt.length != x.length) throw kc.fail("bad ConvTranspose input/weight ranks " + x.length + "/" + wt.length);
        ConvGeometry g;
        try {
            g = ConvGeometry.convTranspose(kc.node(), spatial(x), spatial(wt));
        } catch (ConvGeometry.Invalid e) {
            throw kc.fail(e.getMessage());
        }
        if (wt[0] != x[1]) throw kc.fail("input has " + x[1] + " channels but weight has " + wt[0]);
        return new ConvShape(kc, g, x, wt[1] * Math.toIntExact(g.group), true);
    }

    public int inPlane() { return d * h * w; }

    public int outPlane() { return od * oh * ow; }

    public int kernelSize() { return kd * kh * kw; }

    /** No spatial window at all: the conv is a plain GEMM over the input's channels. */
    public boolean pointwise() {
        return kernelSize() == 1 && sd == 1 && sh == 1 && sw == 1 && pd == 0 && ph == 0 && pw == 0
                && od == d && oh == h && ow == w;
    }
}
