package dev.edgeopt.engine.kernels.int8;

import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.kernels.QuantMath;
import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Tensor;

/**
 * The one reader of the QLinear ops' quantization parameters: every int8 kernel gets its scales and
 * zero points here, with the same checks and the same one-line errors (requantization itself is
 * {@link Requantize}).
 *
 * <ul>
 *   <li>{@link #scalar}: the per-tensor scale and zero point of one 8-bit tensor, read from
 *       constant inputs at creation (QLinearAdd/Mul/Concat, the pools, QLinearLookup).</li>
 *   <li>An instance: a whole QLinearConv / QLinearMatMul / QGemm node. x and y are read by the same
 *       per-tensor reading; per output channel it holds the weight zero point and the
 *       requantization multiplier {@code x_scale * w_scale[c] * alpha / y_scale} as a
 *       {@link Requantize.Multiplier}, or (QGemm without y_scale) the float scale
 *       {@code x_scale * w_scale[c] * alpha}. When every parameter is a constant, {@link #bind} is
 *       done once at creation; otherwise (the ONNX backend tests feed them as graph inputs) it is
 *       redone on each run from the tensors, into the same arrays.</li>
 * </ul>
 */
final class QParams {
    /** The scale and zero point of one per-tensor quantized int8 or uint8 tensor. */
    record Scalar(float scale, int zeroPoint, boolean unsigned) {
        int qmin() { return unsigned ? 0 : -128; }

        int qmax() { return unsigned ? 255 : 127; }

        /** The float value of quantized {@code q}, as DequantizeLinear computes it. */
        float dequantize(int q) { return QuantMath.dequantize(q, zeroPoint, scale); }

        /** Float to quantized, as QuantizeLinear computes it. */
        int quantize(float x) { return (int) QuantMath.quantize(x, scale, zeroPoint, qmin(), qmax()); }
    }

    /**
     * Scale input {@code si} and zero point input {@code zi} (absent: 0) of an 8-bit tensor of type
     * {@code t}, both constants.
     */
    static Scalar scalar(KernelContext kc, int si, int zi, DType t) {
        require8(kc, t, "input");
        String sw = "scale (input " + si + ")", zw = "zero point (input " + zi + ")";
        checkScalar(kc, si, sw, DType.FLOAT);
        Tensor s = kc.constant(si);
        if (s == null) throw kc.fail(sw + " must be a constant");
        int zp = 0;
        if (kc.hasInput(zi)) {
            checkScalar(kc, zi, zw, t);
            Tensor z = kc.constant(zi);
            if (z == null) throw kc.fail(zw + " must be a constant");
            zp = zeroPoint(z);
        }
        return new Scalar(scale(s, sw, kc), zp, t == DType.UINT8);
    }

    private static void require8(KernelContext kc, DType t, String what) {
        if (t != DType.INT8 && t != DType.UINT8) throw kc.fail(what + " must be int8 or uint8, got " + t);
    }

    /** Input {@code i} is present, of type {@code t}, with one element. */
    private static void checkScalar(KernelContext kc, int i, String what, DType t) {
        if (!kc.hasInput(i)) throw kc.fail(what + " is required");
        if (kc.inDtype(i) != t) throw kc.fail(what + " must be " + t + ", got " + kc.inDtype(i));
        if (Tensor.numel(kc.inShape(i)) != 1) throw kc.fail(what + " must have one element, got shape " + java.util.Arrays.toString(kc.inShape(i)));
    }

    /** A per-tensor scale: positive and finite (kc null at run time, when it is not a constant). */
    private static float scale(Tensor s, String what, KernelContext kc) {
        float v = s.getFloat(0);
        if (!(v > 0) || Float.isInfinite(v)) {
            String msg = what + " must be positive and finite, got " + v;
            if (kc != null) throw kc.fail(msg);
            throw new dev.edgeopt.EdgeoptException(msg);
        }
        return v;
    }

    private static int zeroPoint(Tensor z) { return (int) z.getLong(0); }

    final int channels;
    final boolean xUnsigned, wUnsigned;
    final boolean floatOut;
    final DType yType;
    final int lo, hi;
    final float alpha;
    private final int xs, xz, ws, wz, ys, yz; // input indices; -1 when absent
    final boolean constant;
    /** Zero points of x and y; per-channel weight zero points. */
    int xZp, yZp;
    final int[] wZp;
    /** Per channel: fixed-point multiplier and shift, or the float scale for a float output. */
    final int[] mult, shift;
    final float[] fscale;

    QParams(KernelContext kc, int channels, int xs, int xz, int ws, int wz, int ys, int yz, float alpha, String channelAxis) {
        this.channels = channels;
        this.xs = xs;
        this.xz = kc.hasInput(xz) ? xz : -1;
        this.ws = ws;
        this.wz = kc.hasInput(wz) ? wz : -1;
        this.ys = kc.hasInput(ys) ? ys : -1;
        this.yz = kc.hasInput(yz) ? yz : -1;
        this.alpha = alpha;
        DType xt = kc.inDtype(0), wt = kc.inDtype(3);
        require8(kc, xt, "input");
        require8(kc, wt, "weight input");
        xUnsigned = xt == DType.UINT8;
        wUnsigned = wt == DType.UINT8;
        checkScalar(kc, xs, "input scale", DType.FLOAT);
        if (this.xz >= 0) checkScalar(kc, xz, "input zero point", xt);
        requirePerChannel(kc, ws, "weight scale", DType.FLOAT, channelAxis);
        if (this.wz >= 0) requirePerChannel(kc, wz, "weight zero point", wt, channelAxis);
        floatOut = this.ys < 0;
        if (floatOut) {
            if (this.yz >= 0) throw kc.fail("y_zero_point without y_scale");
            yType = DType.FLOAT;
        } else {
            checkScalar(kc, ys, "output scale", DType.FLOAT);
            if (this.yz < 0) throw kc.fail("y_zero_point is required with y_scale");
            yType = kc.inDtype(yz);
            require8(kc, yType, "y_zero_point");
            checkScalar(kc, yz, "output zero point", yType);
        }
        if (kc.outDtype(0) != yType) throw kc.fail("output type " + kc.outDtype(0) + " differs from " + yType);
        lo = yType == DType.UINT8 ? 0 : -128;
        hi = yType == DType.UINT8 ? 255 : 127;
        wZp = new int[channels];
        mult = new int[channels];
        shift = new int[channels];
        fscale = new float[channels];
        boolean c = kc.constant(xs) != null && kc.constant(ws) != null;
        for (int i : new int[] {this.xz, this.wz, this.ys, this.yz}) c &= i < 0 || kc.constant(i) != null;
        constant = c;
        if (constant) {
            Tensor[] in = new Tensor[kc.inputCount()];
            for (int i = 0; i < in.length; i++) in[i] = kc.constant(i);
            bindNow(in, kc);
        }
    }

    private void requirePerChannel(KernelContext kc, int i, String what, DType t, String axis) {
        if (!kc.hasInput(i)) throw kc.fail(what + " is required");
        if (kc.inDtype(i) != t) throw kc.fail(what + " must be " + t + ", got " + kc.inDtype(i));
        int[] s = kc.inShape(i);
        int n = Tensor.numel(s);
        if (s.length > 1 || (n != 1 && n != channels)) {
            throw kc.fail(what + " must be a scalar or have " + channels + " values (one per " + axis + "), got shape " + java.util.Arrays.toString(s));
        }
    }

    /** Re-reads non-constant parameters; a no-op when they were constant. */
    void bind(Tensor[] in) {
        if (!constant) bindNow(in, null);
    }

    private void bindNow(Tensor[] in, KernelContext kc) {
        xZp = xz < 0 ? 0 : zeroPoint(in[xz]);
        yZp = yz < 0 ? 0 : zeroPoint(in[yz]);
        double sx = scale(in[xs], "input scale", kc), sy = ys < 0 ? 1 : scale(in[ys], "output scale", kc);
        Tensor w = in[ws];
        for (int c = 0; c < channels; c++) {
            wZp[c] = wz < 0 ? 0 : (int) in[wz].getLong(in[wz].size() == 1 ? 0 : c);
            float sw = w.getFloat(w.size() == 1 ? 0 : c);
            if (floatOut) {
                // As ONNX Runtime's QGemm: the float product a_scale * b_scale * alpha.
                fscale[c] = (float) sx * sw * alpha;
                continue;
            }
            double m = sx * sw * alpha / sy;
            if (!(m >= 0) || Double.isInfinite(m)) {
                String msg = "scales give the requantization multiplier " + m + " for channel " + c + " (scales must be positive and finite)";
                if (kc != null) throw kc.fail(msg);
                throw new dev.edgeopt.EdgeoptException(msg);
            }
            Requantize.Multiplier q = Requantize.quantizeMultiplier(m);
            mult[c] = q.multiplier();
            shift[c] = q.shift();
        }
    }
}
