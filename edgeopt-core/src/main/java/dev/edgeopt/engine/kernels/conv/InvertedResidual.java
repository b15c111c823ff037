package dev.edgeopt.engine.kernels.conv;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.Scratch;
import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.engine.kernels.Activation;
import dev.edgeopt.engine.kernels.gemm.SerialGemm;
import dev.edgeopt.engine.kernels.gemm.Sgemm;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ops.ConvGeometry;
import dev.edgeopt.ops.FusedOps;
import dev.edgeopt.tensor.Tensor;
import java.util.function.IntConsumer;

/**
 * The {@value FusedOps#DOMAIN} {@code InvertedResidual} block (MobileNetV2): an optional 1x1
 * expansion with a clamp, a 3x3 depthwise conv with a clamp, a linear 1x1 projection and an
 * optional residual add of the block's input, computed in bands of output rows. Per band, the
 * input rows the band's depthwise window reads are copied (few channels) into the padded,
 * stride-deinterleaved layout of {@link PaddedPlane}; the expansion GEMM runs on those padded rows
 * and so writes the expanded rows straight into the depthwise conv's padded planes (its values on
 * padding positions are zeroed after), which the 3x3 kernels read in place; the depthwise output
 * band is the projection's B operand, and the projection writes the band's rows of the output.
 * Neither the expanded tensor nor the depthwise output is written whole, and no expanded plane is
 * copied into the depthwise layout (the unfused depthwise conv copies and, at stride 2,
 * deinterleaves every plane).
 *
 * <p>Bands are split over the pool in contiguous runs; inside a run each band keeps the expanded
 * rows it shares with the previous band (two rows at stride 1, one at stride 2) instead of
 * computing them again, so only the first band of each run recomputes its halo. The arithmetic
 * is that of the unfused kernels ({@link GemmConv}'s packed GEMM with its register epilogue,
 * {@link DepthwiseConv}'s 3x3 kernels); only the residual is added before the projection's bias
 * where the band is whole register panels (one rounding apart).
 */
public final class InvertedResidual implements Kernel {
    /** Input indices: X, expansion weight and bias (absent without expansion), depthwise, projection. */
    public static final int X = 0, W_EXPAND = 1, B_EXPAND = 2, W_DW = 3, B_DW = 4, W_PROJECT = 5, B_PROJECT = 6;
    /**
     * Scratch bytes a band's slabs (expanded rows, depthwise rows, packed projection input) may
     * take. Measured (LinalgBench#mobilenetBlocks): bands sized for the 1 MB L2 were not faster
     * than whole-plane bands on this machine (its 32 MB L3 holds the unbanded tensors, and each
     * band repeats per-channel setup and ragged GEMM panels), so bands are large and mostly split
     * the work between threads. Read when a kernel is created, so tests can force small bands.
     */
    public static final String BAND_BYTES_PROPERTY = "edgeopt.irblock.bandBytes";
    static final long DEFAULT_BAND_BYTES = 4L << 20;
    private static final int SPARE = PaddedPlane.SPARE;

    private final int n, cin, mid, cout, h, w, oh, ow;
    private final boolean expand, residual;
    private final ConvShape dw;
    private final PaddedPlane[] planes; // fill geometry of each band
    private final int band, bands, tasks, rowLen;
    private final int[] colOff;
    /** Positions of a padded row that hold no input (padding, or columns no output reads). */
    private final int[] padPos;
    private final float[] wExpand, wDw, wProject, bDw;
    private final float dLo, dHi;
    private final SerialGemm[] gemms;
    private final Sgemm.Epilogue[] epExpand, epProject;
    private final float[][] tails;
    private final Scratch.Ref eBuf, xBuf, padBuf, dBuf, yBuf;
    /** Floats per channel plane of the padded slabs, per task's depthwise output slab. */
    private final int plane, dSize, yPitch;
    private final ThreadPool pool;
    private final IntConsumer body = this::task;
    private Tensor x, y;

    public InvertedResidual(KernelContext kc) {
        for (int i = 0; i < kc.inputCount(); i++) {
            if (kc.hasInput(i) && kc.inDtype(i) != DType.FLOAT) throw kc.fail("InvertedResidual supports float32 only, input " + i + " is " + kc.inDtype(i));
        }
        if (!kc.hasInput(W_DW) || !kc.hasInput(W_PROJECT)) throw kc.fail("needs depthwise and projection weights (inputs 3 and 5)");
        int[] xs = kc.inShape(X);
        if (xs.length != 4) throw kc.fail("input must be 4-D [N, C, H, W], got rank " + xs.length);
        n = xs[0];
        cin = xs[1];
        h = xs[2];
        w = xs[3];
        expand = kc.hasInput(W_EXPAND);
        Tensor we = expand ? constant(kc, W_EXPAND) : null, wd = constant(kc, W_DW), wp = constant(kc, W_PROJECT);
        mid = expand ? we.dim(0) : cin;
        if (expand && (we.rank() != 4 || we.dim(1) != cin || we.dim(2) != 1 || we.dim(3) != 1)) {
            throw kc.fail("expansion weight " + java.util.Arrays.toString(we.shape()) + " is not [M, " + cin + ", 1, 1]");
        }
        if (wd.rank() != 4 || wd.dim(0) != mid || wd.dim(1) != 1 || wd.dim(2) != 3 || wd.dim(3) != 3) {
            throw kc.fail("depthwise weight " + java.util.Arrays.toString(wd.shape()) + " is not [" + mid + ", 1, 3, 3]");
        }
        cout = wp.dim(0);
        if (wp.rank() != 4 || wp.dim(1) != mid || wp.dim(2) != 1 || wp.dim(3) != 1) {
            throw kc.fail("projection weight " + java.util.Arrays.toString(wp.shape()) + " is not [N, " + mid + ", 1, 1]");
        }
        ConvGeometry g;
        try {
            g = ConvGeometry.conv(kc.node(), new long[] {h, w}, new long[] {3, 3});
        } catch (ConvGeometry.Invalid e) {
            throw kc.fail(e.getMessage());
        }
        dw = ConvShape.depthwise(kc, g, new int[] {n, mid, h, w});
        if (dw.dh != 1 || dw.dw != 1) throw kc.fail("depthwise dilations must be 1");
        if (dw.sh != dw.sw || dw.sh > 2) throw kc.fail("depthwise strides must be 1 or 2 on both axes");
        oh = dw.oh;
        ow = dw.ow;
        residual = kc.attrInt("residual", 0) != 0;
        if (residual && (cout != cin || oh != h || ow != w)) {
            throw kc.fail("residual needs the output shape of the input: " + cin + "x" + h + "x" + w + " vs " + cout + "x" + oh + "x" + ow);
        }
        float[] eb = clamp(kc, "expand"), db = clamp(kc, "depthwise");
        dLo = db[0];
        dHi = db[1];
        pool = kc.pool();

        wExpand = expand ? packed(we, mid, cin) : null;
        wProject = packed(wp, cout, mid);
        wDw = new float[mid * 9];
        System.arraycopy(wd.floats(), wd.offset(), wDw, 0, wDw.length);
        bDw = new float[mid];
        if (kc.hasInput(B_DW)) copyBias(kc, B_DW, bDw);

        // Band height: the slabs of one band (expanded rows, depthwise rows and their packed copy
        // for the projection) within BAND_BYTES, and at least one band per thread.
        long perRow = 4L * mid * ((long) dw.sh * w + 2L * ow);
        int b = (int) Math.max(1, Math.min(oh, Long.getLong(BAND_BYTES_PROPERTY, DEFAULT_BAND_BYTES) / perRow));
        b = Math.min(b, Math.max(1, (oh + kc.threads() - 1) / kc.threads()));
        band = b;
        bands = (oh + band - 1) / band;
        tasks = Math.max(1, Math.min(kc.threads(), n * bands));
        planes = new PaddedPlane[bands];
        for (int i = 0; i < bands; i++) {
            int o0 = i * band, o1 = Math.min(oh, o0 + band);
            int top = o0 * dw.sh - dw.ph, lo = Math.max(0, top), hi = Math.min(h, (o1 - 1) * dw.sh - dw.ph + dw.kh);
            planes[i] = new PaddedPlane(dw.rows(hi - lo, lo - top, o1 - o0));
        }
        PaddedPlane p0 = planes[0];
        rowLen = p0.rowLen;
        colOff = p0.colOff;
        int padRows = (band - 1) * dw.sh + dw.kh;
        int valid = Math.min(w, rowLen - dw.pw), nPad = 0;
        int[] pads = new int[rowLen];
        for (int pos = 0; pos < rowLen; pos++) {
            int c = (pos % p0.phaseLen) * dw.sw + pos / p0.phaseLen - dw.pw;
            if (c < 0 || c >= valid) pads[nPad++] = pos;
        }
        padPos = java.util.Arrays.copyOf(pads, nPad);
        // GEMMs run on whole register panels (NR columns): a ragged last panel would go through
        // the scalar tile copy, a third of the columns on 7x7 maps. The expansion's extra columns
        // read and write past the band's rows inside the padded slabs, the projection's land in
        // a slab of their own (yBuf) when the band's pixels are not whole panels.
        plane = padRows * rowLen + Sgemm.NR + SPARE;
        dSize = mid * band * ow + Sgemm.NR + SPARE;
        yPitch = Sgemm.roundUp(band * ow, Sgemm.NR);
        // With an expansion, the expanded band is written straight into padded planes (one per
        // channel) that the depthwise kernels read in place; without, each input plane is copied
        // into one padded buffer.
        eBuf = expand ? kc.scratch(DType.FLOAT, Math.multiplyExact(tasks, mid * plane)) : null;
        xBuf = expand ? kc.scratch(DType.FLOAT, Math.multiplyExact(tasks, cin * plane)) : null;
        padBuf = expand ? null : kc.scratch(DType.FLOAT, Math.multiplyExact(tasks, plane));
        dBuf = kc.scratch(DType.FLOAT, Math.multiplyExact(tasks, dSize));
        yBuf = kc.scratch(DType.FLOAT, Math.multiplyExact(tasks, cout * yPitch));
        gemms = new SerialGemm[tasks];
        epExpand = new Sgemm.Epilogue[tasks];
        epProject = new Sgemm.Epilogue[tasks];
        tails = new float[tasks][SPARE];
        float[] be = null, bp = null;
        if (expand && kc.hasInput(B_EXPAND)) copyBias(kc, B_EXPAND, be = new float[mid]);
        if (kc.hasInput(B_PROJECT)) copyBias(kc, B_PROJECT, bp = new float[cout]);
        for (int t = 0; t < tasks; t++) {
            gemms[t] = new SerialGemm();
            epExpand[t] = new Sgemm.Epilogue();
            epExpand[t].setActivation(Activation.CLIP, eb[0], eb[1]);
            epExpand[t].rowBias = be;
            epProject[t] = new Sgemm.Epilogue();
            epProject[t].rowBias = bp;
        }
    }

    private static Tensor constant(KernelContext kc, int i) {
        Tensor t = kc.constant(i);
        if (t == null) throw kc.fail("input " + i + " (a weight) must be constant");
        return t;
    }

    private static void copyBias(KernelContext kc, int i, float[] dst) {
        Tensor t = constant(kc, i);
        if (t.size() != dst.length) throw kc.fail("bias input " + i + " has " + t.size() + " elements, expected " + dst.length);
        System.arraycopy(t.floats(), t.offset(), dst, 0, dst.length);
    }

    private static float[] packed(Tensor wt, int m, int k) {
        float[] p = new float[Sgemm.packedASize(m, k)];
        Sgemm.packA(wt.floats(), wt.offset(), k, 1, m, k, 1f, p, 0);
        return p;
    }

    /** The clamp bounds of {@code <stage>_activation} (none, Relu or Clip with its params). */
    private static float[] clamp(KernelContext kc, String stage) {
        String a = kc.attrString(stage + "_activation", "");
        float[] p = kc.attrFloats(stage + "_activation_params", new float[0]);
        return switch (a) {
            case "" -> new float[] {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY};
            case "Relu" -> new float[] {0f, Float.POSITIVE_INFINITY};
            case "Clip" -> new float[] {p.length > 0 ? p[0] : Float.NEGATIVE_INFINITY, p.length > 1 ? p[1] : Float.POSITIVE_INFINITY};
            default -> throw kc.fail(stage + "_activation '" + a + "' is not supported (none, Relu or Clip)");
        };
    }

    @Override public void run(Tensor[] in, Tensor[] out) {
        x = in[X];
        y = out[0];
        pool.parallelFor(tasks, body);
        x = y = null;
    }

    private void task(int t) {
        int items = n * bands, per = (items + tasks - 1) / tasks;
        int i0 = t * per, i1 = Math.min(items, i0 + per);
        float[] xa = x.floats(), ya = y.floats(), da = dBuf.floats();
        int dOff = dBuf.offset() + t * dSize;
        SerialGemm gemm = gemms[t];
        int xPlane = h * w, oPlane = oh * ow;
        int prevTop = 0, prevHi = 0;
        for (int it = i0; it < i1; it++) {
            int img = it / bands, bi = it % bands;
            int o0 = bi * band, o1 = Math.min(oh, o0 + band), nb = o1 - o0;
            int top = o0 * dw.sh - dw.ph, lo = Math.max(0, top), hi = Math.min(h, (o1 - 1) * dw.sh - dw.ph + dw.kh);
            int rowsB = (nb - 1) * dw.sh + dw.kh;
            int xImg = x.offset() + img * cin * xPlane;
            PaddedPlane pp = planes[bi];
            if (expand) {
                float[] ea = eBuf.floats(), xp = xBuf.floats();
                int eo = eBuf.offset() + t * mid * plane, xo = xBuf.offset() + t * cin * plane;
                // Padded row r of a band holds input row top + r. Rows the previous band of this
                // run expanded are moved, not recomputed.
                int keep = it > i0 && bi > 0 && prevHi > lo ? prevHi - lo : 0;
                int from = (lo - prevTop) * rowLen, to = (lo - top) * rowLen;
                if (keep > 0 && from != to) {
                    for (int m = 0; m < mid; m++) System.arraycopy(ea, eo + m * plane + from, ea, eo + m * plane + to, keep * rowLen);
                }
                int first = lo + keep;
                if (first < hi) {
                    // Expansion commutes with the padded layout's column order: expand the padded
                    // input rows, then zero what landed on padding (the clamped bias).
                    for (int k = 0; k < cin; k++) pp.fill(xa, xImg + k * xPlane + lo * w, xp, xo + k * plane);
                    int r0 = (first - top) * rowLen, nr = hi - first;
                    gemm.gemmPackedAEp(mid, Sgemm.roundUp(nr * rowLen, Sgemm.NR), cin, wExpand, 0, xp, xo + r0, plane, ea, eo + r0, plane, false, epExpand[t]);
                    for (int m = 0; m < mid; m++) {
                        for (int r = 0, rb = eo + m * plane + r0; r < nr; r++, rb += rowLen) {
                            for (int q : padPos) ea[rb + q] = 0f;
                        }
                    }
                }
                // Rows above and below the image.
                if (lo > top || hi - top < rowsB) {
                    for (int m = 0; m < mid; m++) {
                        int base = eo + m * plane;
                        java.util.Arrays.fill(ea, base, base + (lo - top) * rowLen, 0f);
                        java.util.Arrays.fill(ea, base + (hi - top) * rowLen, base + rowsB * rowLen, 0f);
                    }
                }
                prevTop = top;
                prevHi = hi;
                for (int m = 0; m < mid; m++) {
                    // Stores past a channel's band land on the next channel's, computed after it,
                    // or on the slab's spare floats.
                    DepthwiseConv.plane3x3Any(ea, eo + m * plane, rowLen, colOff, dw.sh, dw.sw, nb, ow, da, dOff + m * nb * ow,
                            bDw[m], wDw, m * 9, tails[t], true, dLo, dHi);
                }
            } else {
                float[] pad = padBuf.floats();
                int po = padBuf.offset() + t * plane;
                // The padding positions are the same for every channel of a band.
                java.util.Arrays.fill(pad, po, po + pp.size(), 0f);
                for (int m = 0; m < mid; m++) {
                    pp.fill(xa, xImg + m * xPlane + lo * w, pad, po);
                    DepthwiseConv.plane3x3Any(pad, po, rowLen, colOff, dw.sh, dw.sw, nb, ow, da, dOff + m * nb * ow,
                            bDw[m], wDw, m * 9, tails[t], true, dLo, dHi);
                }
            }
            // Projection into the band's rows of the output, on top of the input when residual.
            int yo = y.offset() + img * cout * oPlane + o0 * ow;
            int np = nb * ow;
            if (np % Sgemm.NR == 0) {
                if (residual) {
                    for (int c = 0; c < cout; c++) System.arraycopy(xa, xImg + c * xPlane + o0 * w, ya, yo + c * oPlane, np);
                }
                gemm.gemmPackedAEp(cout, np, mid, wProject, 0, da, dOff, np, ya, yo, oPlane, residual, epProject[t]);
            } else {
                float[] yb = yBuf.floats();
                int ybo = yBuf.offset() + t * cout * yPitch;
                gemm.gemmPackedAEp(cout, Sgemm.roundUp(np, Sgemm.NR), mid, wProject, 0, da, dOff, np, yb, ybo, yPitch, false, epProject[t]);
                for (int c = 0; c < cout; c++) {
                    int src = ybo + c * yPitch, dst = yo + c * oPlane;
                    if (residual) {
                        int xr = xImg + c * xPlane + o0 * w;
                        for (int i = 0; i < np; i++) ya[dst + i] = yb[src + i] + xa[xr + i];
                    } else {
                        System.arraycopy(yb, src, ya, dst, np);
                    }
                }
            }
        }
    }
}
