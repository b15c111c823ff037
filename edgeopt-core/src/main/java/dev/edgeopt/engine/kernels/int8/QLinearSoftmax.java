package dev.edgeopt.engine.kernels.int8;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Tensor;

/**
 * com.microsoft QLinearSoftmax (X, x_scale, x_zero_point, y_scale, y_zero_point; attributes
 * {@code axis} and {@code opset}, as ONNX Runtime defines them): softmax on 8-bit tensors in
 * integers only.
 *
 * <p>Per row: {@code d = max(x) - x} is in [0, 255], so {@code exp(-d * x_scale)} takes 256 values,
 * tabulated at creation as int32 {@code T[d] = round(2^b exp(-d x_scale))} with {@code b} as large as
 * lets a row of {@code D} of them sum in int32 (the input zero point cancels in {@code d}). The row
 * sum {@code S} gives one exact rational multiplier {@code k / S}
 * ({@link Requantize#quantizeRatioPacked}), and each output is
 * {@code Requantize.requantize(T[d], k / S, y_zero_point)}: {@code round(k T[d] / S) + zp}, clamped
 * (a contiguous row through {@link Requantize#requantizeVector}, the same bytes in vector lanes:
 * scalar, the kernel was 2x slower than DQ -> float Softmax -> Q on 1000-element rows).
 *
 * <p>{@code k = 1 / y_scale} must be an integer (y_scale = 1/256 is the convention: softmax lies in
 * [0, 1]). ORT computes {@code floor(1 / y_scale)} and multiplies by it, so for any other y_scale
 * its result is not the quantized softmax; the kernel rejects such a y_scale rather than copy or
 * silently differ from it. ORT sums float table entries and rounds half to even; the two agree
 * except on near-ties (one step). One known divergence: with int8 and zero point -128, ORT wraps
 * a probability that rounds to 256/256 to -128 (it clamps only above 255); this kernel saturates it
 * to 127, and the export writes such nodes back as DQ -> Softmax -> Q
 * ({@link dev.edgeopt.passes.LowerQdq#raiseWrappingSoftmax}).
 *
 * <p>opset < 13: each row is everything from {@code axis} on; opset >= 13: a row is the one
 * {@code axis} dimension, read with a stride when it is not the last. {@code axis} defaults to -1.
 */
final class QLinearSoftmax implements Kernel {
    /** Rows longer than this would leave fewer than 14 bits per table entry. */
    static final int MAX_ROW = 1 << 16;

    private final int[] table = new int[256];
    private final int outer, rowLen, inner;
    private final int k, yZp, lo, hi;
    private final boolean unsigned;
    /** One row's table values, requantized from there in vector lanes when the row is contiguous. */
    private final dev.edgeopt.engine.Scratch.Ref exps;

    QLinearSoftmax(KernelContext kc) {
        DType xt = kc.inDtype(0);
        QParams.Scalar in = QParams.scalar(kc, 1, 2, xt), out = QParams.scalar(kc, 3, 4, kc.outDtype(0));
        if (in.unsigned() != out.unsigned()) throw kc.fail("input and output must both be int8 or both uint8, got " + xt + " and " + kc.outDtype(0));
        unsigned = in.unsigned();
        long opset = kc.attrInt("opset", -1);
        if (opset < 1) throw kc.fail("attribute 'opset' (the Softmax opset whose axis rule applies) is required");
        int[] s = kc.inShape(0);
        int rank = s.length;
        // ORT's schema gives axis the default -1 at every opset (its kernel's opset-dependent default
        // never applies); lower-qdq always writes the Softmax's axis explicitly.
        long axis = kc.attrInt("axis", -1);
        if (axis < -rank || axis >= rank || rank == 0) throw kc.fail("axis " + axis + " is out of range for rank " + rank);
        int a = (int) (axis < 0 ? axis + rank : axis);
        int o = 1, r = 1, i = 1;
        for (int d = 0; d < a; d++) o *= s[d];
        if (opset < 13) {
            for (int d = a; d < rank; d++) r *= s[d];
        } else {
            r = s[a];
            for (int d = a + 1; d < rank; d++) i *= s[d];
        }
        outer = o;
        rowLen = r;
        inner = i;
        if (rowLen > MAX_ROW) throw kc.fail("softmax rows of " + rowLen + " elements are not supported (at most " + MAX_ROW + ")");
        float inv = 1f / out.scale();
        if (inv != Math.rint(inv) || inv < 1 || inv > 65536) {
            throw kc.fail("y_scale must be 1/k for an integer k (e.g. 1/256), got " + out.scale() + " (ONNX Runtime multiplies by floor(1/y_scale))");
        }
        k = (int) inv;
        exps = kc.scratch(DType.INT32, Math.max(1, rowLen));
        yZp = out.zeroPoint();
        lo = out.qmin();
        hi = out.qmax();
        // b bits per entry: a row of rowLen entries, each at most 2^b, stays below 2^31.
        int b = 31 - (32 - Integer.numberOfLeadingZeros(Math.max(1, rowLen)));
        double xs = in.scale();
        for (int d = 0; d < 256; d++) table[d] = (int) Math.round(Math.scalb(Math.exp(-d * xs), b));
    }

    @Override public void run(Tensor[] in, Tensor[] out) {
        byte[] x = in[0].bytes(), y = out[0].bytes();
        int xo = in[0].offset(), yo = out[0].offset();
        int mask = unsigned ? 0xFF : -1, stride = inner, len = rowLen;
        if (len == 0) return;
        int[] e = exps.ints();
        int eo = exps.offset();
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * len * inner + i;
                int max = Integer.MIN_VALUE;
                for (int j = 0, p = base; j < len; j++, p += stride) max = Math.max(max, x[xo + p] & mask);
                int sum = 0;
                for (int j = 0, p = base; j < len; j++, p += stride) sum += e[eo + j] = table[max - (x[xo + p] & mask)];
                long m = Requantize.quantizeRatioPacked(k, sum);
                int mult = (int) (m >>> 32), shift = (int) m;
                if (stride == 1) {
                    Requantize.requantizeVector(e, eo, y, yo + base, len, mult, shift, yZp, lo, hi);
                } else {
                    for (int j = 0, p = base; j < len; j++, p += stride) y[yo + p] = (byte) Requantize.requantize(e[eo + j], mult, shift, yZp, lo, hi);
                }
            }
        }
    }
}
