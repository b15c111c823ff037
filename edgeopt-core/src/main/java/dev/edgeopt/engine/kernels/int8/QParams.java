package dev.edgeopt.engine.kernels.int8;

import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Tensor;

/**
 * The quantization parameters of one QLinearConv / QLinearMatMul / QGemm node and the output stage
 * they define: per output channel, the weight zero point and the requantization multiplier
 * {@code x_scale * w_scale[c] * alpha / y_scale} as a {@link Requantize.Multiplier}, or (QGemm
 * without y_scale) the float scale {@code x_scale * w_scale[c] * alpha}.
 *
 * <p>When every scale and zero point is a constant, {@link #bind} is done once at kernel creation;
 * otherwise (the ONNX backend tests feed them as graph inputs) it is redone on each run from the
 * tensors, into the same arrays.
 */
final class QParams {
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
        if (xt != DType.INT8 && xt != DType.UINT8) throw kc.fail("input must be int8 or uint8, got " + xt);
        if (wt != DType.INT8 && wt != DType.UINT8) throw kc.fail("weight input must be int8 or uint8, got " + wt);
        xUnsigned = xt == DType.UINT8;
        wUnsigned = wt == DType.UINT8;
        requireScalar(kc, xs, "input scale", DType.FLOAT);
        if (this.xz >= 0) requireScalar(kc, xz, "input zero point", xt);
        requirePerChannel(kc, ws, "weight scale", DType.FLOAT, channelAxis);
        if (this.wz >= 0) requirePerChannel(kc, wz, "weight zero point", wt, channelAxis);
        floatOut = this.ys < 0;
        if (floatOut) {
            if (this.yz >= 0) throw kc.fail("y_zero_point without y_scale");
            yType = DType.FLOAT;
        } else {
            requireScalar(kc, ys, "output scale", DType.FLOAT);
            if (this.yz < 0) throw kc.fail("y_zero_point is required with y_scale");
            yType = kc.inDtype(yz);
            if (yType != DType.INT8 && yType != DType.UINT8) throw kc.fail("y_zero_point must be int8 or uint8, got " + yType);
            requireScalar(kc, yz, "output zero point", yType);
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

    private static void requireScalar(KernelContext kc, int i, String what, DType t) {
        if (!kc.hasInput(i)) throw kc.fail(what + " is required");
        if (kc.inDtype(i) != t) throw kc.fail(what + " must be " + t + ", got " + kc.inDtype(i));
        if (Tensor.numel(kc.inShape(i)) != 1) throw kc.fail(what + " must have one element, got shape " + java.util.Arrays.toString(kc.inShape(i)));
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
        xZp = xz < 0 ? 0 : (int) in[xz].getLong(0);
        yZp = yz < 0 ? 0 : (int) in[yz].getLong(0);
        double sx = in[xs].getFloat(0), sy = ys < 0 ? 1 : in[ys].getFloat(0);
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
