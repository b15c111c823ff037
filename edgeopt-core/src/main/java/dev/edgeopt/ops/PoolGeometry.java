package dev.edgeopt.ops;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.ir.Node;
import java.util.Arrays;

/**
 * Window geometry of the sliding-window pools (MaxPool, AveragePool, LpPool) and of MaxUnpool's
 * inverse, per spatial axis: kernel, stride, dilation, the two pads and the output size.
 *
 * <p>Shape inference and the kernels both build it from the node, so the output size the schema
 * promises is the one the kernel fills. Rules, as ONNX and ONNX Runtime apply them:
 * <ul>
 *   <li>NOTSET: {@code out = floor((in + pb + pe - ek) / s) + 1} with {@code ek = (k-1)*d + 1};
 *       with {@code ceil_mode} the division rounds up, but a last window that would start inside
 *       the end padding is dropped (PyTorch's rule, which ONNX adopted).</li>
 *   <li>SAME_UPPER / SAME_LOWER: {@code out = ceil(in / s)}; the total pad that makes it so is
 *       split evenly, the odd element going to the end (UPPER) or the beginning (LOWER).</li>
 *   <li>VALID: no padding, {@code out = floor((in - ek) / s) + 1}.</li>
 * </ul>
 * An input size of -1 (unknown) gives output size -1 and unknown pads.
 */
public final class PoolGeometry {
    public final int rank;
    public final long[] kernel;
    public final long[] strides;
    public final long[] dilations;
    public final long[] padBegin;
    public final long[] padEnd;
    public final long[] in;
    public final long[] out;
    public final boolean ceilMode;

    private PoolGeometry(long[] kernel, long[] strides, long[] dilations, long[] padBegin, long[] padEnd,
                         long[] in, long[] out, boolean ceilMode) {
        this.rank = kernel.length;
        this.kernel = kernel;
        this.strides = strides;
        this.dilations = dilations;
        this.padBegin = padBegin;
        this.padEnd = padEnd;
        this.in = in;
        this.out = out;
        this.ceilMode = ceilMode;
    }

    private static EdgeoptException fail(Node n, String m) {
        return new EdgeoptException("node " + n.describe() + ": " + m);
    }

    /**
     * Reads kernel_shape, strides, dilations, pads, auto_pad and ceil_mode from {@code node}.
     *
     * @param inSpatial the spatial input sizes, -1 where unknown
     * @param allowCeil whether the op version has ceil_mode (else the attribute must be absent)
     * @param allowDilations whether the op version has dilations
     */
    public static PoolGeometry of(Node node, long[] inSpatial, boolean allowCeil, boolean allowDilations) {
        int r = inSpatial.length;
        if (r < 1) throw fail(node, "input needs at least one spatial dimension (rank >= 3)");
        long[] k = node.attrInts("kernel_shape", null);
        if (k == null) throw fail(node, "attribute kernel_shape is required");
        if (k.length != r) throw fail(node, "kernel_shape " + Arrays.toString(k) + " has " + k.length + " dims but the input has " + r + " spatial dims");
        long[] s = node.attrInts("strides", null);
        s = s == null ? ones(r) : s.clone();
        long[] d = node.attrInts("dilations", null);
        if (d != null && !allowDilations) {
            for (long v : d) if (v != 1) throw fail(node, "dilations are not defined for this op version");
        }
        d = d == null ? ones(r) : d.clone();
        long[] pads = node.attrInts("pads", null);
        long ceilAttr = node.attrInt("ceil_mode", 0);
        if (ceilAttr != 0 && !allowCeil) throw fail(node, "ceil_mode is not defined for this op version");
        boolean ceil = ceilAttr != 0;
        String autoPad = node.attrString("auto_pad", "NOTSET");
        if (s.length != r) throw fail(node, "strides has " + s.length + " values, expected " + r);
        if (d.length != r) throw fail(node, "dilations has " + d.length + " values, expected " + r);
        for (int i = 0; i < r; i++) {
            if (k[i] < 1) throw fail(node, "kernel_shape must be positive, got " + Arrays.toString(k));
            if (s[i] < 1) throw fail(node, "strides must be positive, got " + Arrays.toString(s));
            if (d[i] < 1) throw fail(node, "dilations must be positive, got " + Arrays.toString(d));
        }
        long[] pb = new long[r], pe = new long[r], out = new long[r];
        switch (autoPad) {
            case "NOTSET", "" -> {
                if (pads != null) {
                    if (pads.length != 2 * r) throw fail(node, "pads has " + pads.length + " values, expected " + 2 * r);
                    for (int i = 0; i < r; i++) {
                        pb[i] = pads[i];
                        pe[i] = pads[i + r];
                        if (pb[i] < 0 || pe[i] < 0) throw fail(node, "negative pads " + Arrays.toString(pads));
                    }
                }
                for (int i = 0; i < r; i++) {
                    if (inSpatial[i] < 0) { out[i] = -1; continue; }
                    long ek = (k[i] - 1) * d[i] + 1;
                    long num = inSpatial[i] + pb[i] + pe[i] - ek;
                    if (num < 0) throw fail(node, "window " + ek + " is larger than the padded input " + (inSpatial[i] + pb[i] + pe[i]) + " on spatial axis " + i);
                    long o = (ceil ? Math.ceilDiv(num, s[i]) : Math.floorDiv(num, s[i])) + 1;
                    if (ceil && (o - 1) * s[i] >= inSpatial[i] + pb[i]) o--;
                    out[i] = o;
                }
            }
            case "SAME_UPPER", "SAME_LOWER" -> {
                for (int i = 0; i < r; i++) {
                    if (inSpatial[i] < 0) { out[i] = -1; pb[i] = pe[i] = -1; continue; }
                    long ek = (k[i] - 1) * d[i] + 1;
                    long o = Math.ceilDiv(inSpatial[i], s[i]);
                    long total = Math.max(0, (o - 1) * s[i] + ek - inSpatial[i]);
                    pb[i] = autoPad.equals("SAME_UPPER") ? total / 2 : total - total / 2;
                    pe[i] = total - pb[i];
                    out[i] = o;
                }
            }
            case "VALID" -> {
                for (int i = 0; i < r; i++) {
                    if (inSpatial[i] < 0) { out[i] = -1; continue; }
                    long ek = (k[i] - 1) * d[i] + 1;
                    long num = inSpatial[i] - ek;
                    if (num < 0) throw fail(node, "window " + ek + " is larger than the input " + inSpatial[i] + " on spatial axis " + i);
                    out[i] = (ceil ? Math.ceilDiv(num, s[i]) : Math.floorDiv(num, s[i])) + 1;
                }
            }
            default -> throw fail(node, "unknown auto_pad '" + autoPad + "'");
        }
        return new PoolGeometry(k.clone(), s, d, pb, pe, inSpatial.clone(), out, ceil);
    }

    private static long[] ones(int r) {
        long[] a = new long[r];
        Arrays.fill(a, 1);
        return a;
    }

    /** The extent of one window on axis i, dilation included. */
    public long effectiveKernel(int i) { return (kernel[i] - 1) * dilations[i] + 1; }

    public long kernelSize() {
        long n = 1;
        for (long v : kernel) n *= v;
        return n;
    }
}
