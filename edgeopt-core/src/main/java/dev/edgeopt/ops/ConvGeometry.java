package dev.edgeopt.ops;

import dev.edgeopt.ir.Node;
import java.util.Arrays;

/**
 * The spatial arithmetic of Conv and ConvTranspose (kernel, strides, dilations, pads after
 * {@code auto_pad}, output size), computed once from a node's attributes and its input sizes so the
 * schema and every kernel agree. Sizes are per spatial axis; an input size of -1 means unknown and
 * yields an unknown (-1) output size.
 */
public final class ConvGeometry {
    public final int rank;
    public final long[] kernel, strides, dilations, padsBegin, padsEnd, in, out, outputPadding;
    public final long group;

    private ConvGeometry(int rank, long group) {
        this.rank = rank;
        this.group = group;
        kernel = new long[rank];
        strides = new long[rank];
        dilations = new long[rank];
        padsBegin = new long[rank];
        padsEnd = new long[rank];
        in = new long[rank];
        out = new long[rank];
        outputPadding = new long[rank];
    }

    /** Thrown messages are turned into node errors by the callers. */
    public static final class Invalid extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Invalid(String m) { super(m, null, false, false); }
    }

    private static long[] ints(Node n, String key, int rank, long dflt) {
        long[] v = n.attrInts(key, null);
        if (v == null) {
            v = new long[rank];
            Arrays.fill(v, dflt);
        }
        return v;
    }

    private static void init(ConvGeometry g, Node n, long[] in, long[] wSpatial) {
        int r = g.rank;
        long[] ks = n.attrInts("kernel_shape", null);
        if (ks != null && ks.length != r) throw new Invalid("kernel_shape has " + ks.length + " entries, expected " + r);
        for (int i = 0; i < r; i++) {
            g.kernel[i] = ks != null ? ks[i] : wSpatial[i];
            if (ks != null && wSpatial[i] >= 0 && ks[i] != wSpatial[i]) {
                throw new Invalid("kernel_shape " + Arrays.toString(ks) + " does not match the weight's spatial dims " + Arrays.toString(wSpatial));
            }
        }
        long[] s = ints(n, "strides", r, 1), d = ints(n, "dilations", r, 1);
        if (s.length != r) throw new Invalid("strides has " + s.length + " entries, expected " + r);
        if (d.length != r) throw new Invalid("dilations has " + d.length + " entries, expected " + r);
        for (int i = 0; i < r; i++) {
            if (s[i] < 1) throw new Invalid("strides must be >= 1, got " + Arrays.toString(s));
            if (d[i] < 1) throw new Invalid("dilations must be >= 1, got " + Arrays.toString(d));
            g.strides[i] = s[i];
            g.dilations[i] = d[i];
            g.in[i] = in[i];
        }
    }

    private static long[] explicitPads(Node n, int r) {
        long[] p = n.attrInts("pads", null);
        if (p == null) return new long[2 * r];
        if (p.length != 2 * r) throw new Invalid("pads has " + p.length + " entries, expected " + 2 * r);
        for (long v : p) if (v < 0) throw new Invalid("negative pads " + Arrays.toString(p));
        return p;
    }

    /** Conv: {@code in} are the input's spatial sizes, {@code wSpatial} the weight's (-1 unknown). */
    public static ConvGeometry conv(Node n, long[] in, long[] wSpatial) {
        int r = in.length;
        ConvGeometry g = new ConvGeometry(r, n.attrInt("group", 1));
        if (g.group < 1) throw new Invalid("group must be >= 1, got " + g.group);
        init(g, n, in, wSpatial);
        String autoPad = n.attrString("auto_pad", "NOTSET");
        long[] pads = explicitPads(n, r);
        for (int i = 0; i < r; i++) {
            long dk = (g.kernel[i] - 1) * g.dilations[i] + 1;
            long x = in[i];
            switch (autoPad) {
                case "NOTSET", "" -> {
                    g.padsBegin[i] = pads[i];
                    g.padsEnd[i] = pads[i + r];
                    g.out[i] = x < 0 || g.kernel[i] < 0 ? -1 : floorDiv(x + pads[i] + pads[i + r] - dk, g.strides[i]) + 1;
                }
                case "VALID" -> g.out[i] = x < 0 || g.kernel[i] < 0 ? -1 : floorDiv(x - dk, g.strides[i]) + 1;
                case "SAME_UPPER", "SAME_LOWER" -> {
                    if (x < 0 || g.kernel[i] < 0) {
                        g.out[i] = -1;
                    } else {
                        long o = (x + g.strides[i] - 1) / g.strides[i];
                        long total = Math.max(0, (o - 1) * g.strides[i] + dk - x);
                        long small = total / 2;
                        g.padsBegin[i] = autoPad.equals("SAME_UPPER") ? small : total - small;
                        g.padsEnd[i] = total - g.padsBegin[i];
                        g.out[i] = o;
                    }
                }
                default -> throw new Invalid("unknown auto_pad '" + autoPad + "'");
            }
            if (g.out[i] == 0 || g.out[i] < -1) throw new Invalid("output spatial size is " + g.out[i] + " (input " + x + ", kernel " + g.kernel[i] + ")");
        }
        return g;
    }

    /** ConvTranspose: output size from output_shape or from pads, strides and output_padding. */
    public static ConvGeometry convTranspose(Node n, long[] in, long[] wSpatial) {
        int r = in.length;
        ConvGeometry g = new ConvGeometry(r, n.attrInt("group", 1));
        if (g.group < 1) throw new Invalid("group must be >= 1, got " + g.group);
        init(g, n, in, wSpatial);
        long[] op = n.attrInts("output_padding", null);
        if (op != null && op.length != r) throw new Invalid("output_padding has " + op.length + " entries, expected " + r);
        long[] os = n.attrInts("output_shape", null);
        if (os != null && os.length == r + 2) os = Arrays.copyOfRange(os, 2, r + 2);
        if (os != null && os.length != r) throw new Invalid("output_shape has " + os.length + " entries, expected " + r);
        String autoPad = n.attrString("auto_pad", "NOTSET");
        long[] pads = explicitPads(n, r);
        for (int i = 0; i < r; i++) {
            g.outputPadding[i] = op == null ? 0 : op[i];
            long dk = (g.kernel[i] - 1) * g.dilations[i] + 1;
            long x = in[i];
            if (x < 0 || g.kernel[i] < 0) {
                g.out[i] = os != null ? os[i] : -1;
                continue;
            }
            long full = g.strides[i] * (x - 1) + g.outputPadding[i] + dk;
            if (os != null || autoPad.equals("SAME_UPPER") || autoPad.equals("SAME_LOWER")) {
                long o = os != null ? os[i] : x * g.strides[i];
                long total = full - o;
                // ONNX: SAME_UPPER puts the odd padding unit at the end, everything else at the start.
                // A negative total (output_shape beyond the full output) extends the end with bias only.
                long half = Math.floorDiv(total, 2);
                g.padsBegin[i] = autoPad.equals("SAME_UPPER") ? half : total - half;
                g.padsEnd[i] = total - g.padsBegin[i];
                g.out[i] = o;
            } else {
                if (autoPad.equals("NOTSET") || autoPad.isEmpty()) {
                    g.padsBegin[i] = pads[i];
                    g.padsEnd[i] = pads[i + r];
                } else if (!autoPad.equals("VALID")) {
                    throw new Invalid("unknown auto_pad '" + autoPad + "'");
                }
                g.out[i] = full - g.padsBegin[i] - g.padsEnd[i];
            }
            if (g.out[i] <= 0) throw new Invalid("output spatial size is " + g.out[i]);
        }
        return g;
    }

    private static long floorDiv(long a, long b) { return Math.floorDiv(a, b); }

    public long kernelSize() {
        long p = 1;
        for (long k : kernel) p *= k;
        return p;
    }

    public int[] ints(long[] v) {
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) r[i] = Math.toIntExact(v[i]);
        return r;
    }
}
