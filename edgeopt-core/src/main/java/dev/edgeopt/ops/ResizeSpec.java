package dev.edgeopt.ops;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.ir.Node;
import dev.edgeopt.tensor.Tensor;
import java.util.Arrays;

/**
 * What a Resize or Upsample node asks for, per axis: output size, scale and region of interest,
 * plus the interpolation settings. Shape inference and the kernel both read it, so they agree.
 *
 * <p>Versions: Upsample-7 takes scales as an attribute and Upsample-9 and Resize-10 as input 1;
 * they map coordinates asymmetrically and pick nearest neighbours by truncation (by ceiling when
 * shrinking), as ONNX Runtime does. Resize-11+ takes (X, roi, scales, sizes) and reads
 * coordinate_transformation_mode, nearest_mode, cubic_coeff_a, exclude_outside and
 * extrapolation_value; Resize-18+ adds axes, keep_aspect_ratio_policy and antialias.
 *
 * <p>Output sizes from scales are {@code floor(in * scale)}; with sizes the scale is
 * {@code out / in}.
 */
public final class ResizeSpec {
    public enum Mode { NEAREST, LINEAR, CUBIC }

    public final Mode mode;
    public final String coordinateMode;
    /** "round_prefer_floor", "round_prefer_ceil", "floor", "ceil", or "simple" (Upsample/Resize-10). */
    public final String nearestMode;
    public final double cubicA;
    public final boolean excludeOutside;
    public final float extrapolation;
    public final boolean antialias;
    /** Per axis; out entries are -1 when unknown. */
    public final long[] in, out;
    public final double[] scales, roiStart, roiEnd;

    private ResizeSpec(Mode mode, String coordinateMode, String nearestMode, double cubicA, boolean excludeOutside,
                       float extrapolation, boolean antialias, long[] in, long[] out, double[] scales, double[] roiStart, double[] roiEnd) {
        this.mode = mode;
        this.coordinateMode = coordinateMode;
        this.nearestMode = nearestMode;
        this.cubicA = cubicA;
        this.excludeOutside = excludeOutside;
        this.extrapolation = extrapolation;
        this.antialias = antialias;
        this.in = in;
        this.out = out;
        this.scales = scales;
        this.roiStart = roiStart;
        this.roiEnd = roiEnd;
    }

    private static EdgeoptException fail(Node n, String m) { return new EdgeoptException("node " + n.describe() + ": " + m); }

    /** Index of the scales input (-1: attribute), roi input and sizes input for the op version. */
    static int scalesInput(Node n, int opset) {
        if (n.opType().equals("Upsample")) return opset >= 9 ? 1 : -1;
        return opset >= 11 ? 2 : 1;
    }

    /**
     * @param in input dims, -1 where unknown
     * @param inputs the node's input values where known (null entries: unknown or absent)
     * @param present whether each input is present (non-empty name)
     * @return the spec; its {@code out} has -1 where the size depends on unknown values
     */
    public static ResizeSpec of(Node n, int opset, long[] in, Tensor[] inputs, boolean[] present) {
        boolean upsample = n.opType().equals("Upsample");
        int r = in.length;
        String modeName = n.attrString("mode", "nearest");
        Mode mode = switch (modeName) {
            case "nearest" -> Mode.NEAREST;
            case "linear", "bilinear" -> Mode.LINEAR;
            case "cubic" -> {
                if (upsample || opset < 11) throw fail(n, "mode 'cubic' needs Resize opset >= 11");
                yield Mode.CUBIC;
            }
            default -> throw fail(n, "unknown mode '" + modeName + "'");
        };
        boolean v11 = !upsample && opset >= 11;
        String coord = v11 ? n.attrString("coordinate_transformation_mode", "half_pixel") : "asymmetric";
        switch (coord) {
            case "half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize" -> { }
            case "half_pixel_symmetric" -> {
                if (opset < 19) throw fail(n, "coordinate_transformation_mode half_pixel_symmetric needs opset >= 19");
            }
            default -> throw fail(n, "unknown coordinate_transformation_mode '" + coord + "'");
        }
        String nearest = v11 ? n.attrString("nearest_mode", "round_prefer_floor") : "simple";
        switch (nearest) {
            case "round_prefer_floor", "round_prefer_ceil", "floor", "ceil", "simple" -> { }
            default -> throw fail(n, "unknown nearest_mode '" + nearest + "'");
        }
        double a = n.attrFloat("cubic_coeff_a", -0.75f);
        boolean exclude = n.attrInt("exclude_outside", 0) != 0;
        float extrap = n.attrFloat("extrapolation_value", 0f);
        boolean antialias = opset >= 18 && n.attrInt("antialias", 0) != 0;
        String policy = opset >= 18 ? n.attrString("keep_aspect_ratio_policy", "stretch") : "stretch";
        if (!policy.equals("stretch") && !policy.equals("not_larger") && !policy.equals("not_smaller")) {
            throw fail(n, "unknown keep_aspect_ratio_policy '" + policy + "'");
        }
        // Axes the scales/sizes refer to (opset 18); default all.
        long[] axesAttr = opset >= 18 ? n.attrInts("axes", null) : null;
        int[] axes = new int[axesAttr == null ? r : axesAttr.length];
        for (int i = 0; i < axes.length; i++) {
            long ax = axesAttr == null ? i : axesAttr[i] < 0 ? axesAttr[i] + r : axesAttr[i];
            if (ax < 0 || ax >= r) throw fail(n, "axis " + axesAttr[i] + " is out of range for rank " + r);
            axes[i] = (int) ax;
        }

        double[] scales = new double[r], rs = new double[r], re = new double[r];
        long[] out = new long[r];
        Arrays.fill(scales, 1.0);
        Arrays.fill(re, 1.0);
        for (int i = 0; i < r; i++) out[i] = in[i];

        int si = scalesInput(n, opset);
        float[] sc = null;
        long[] sz = null;
        boolean scalesGiven, sizesGiven = false, unknown = false;
        if (si < 0) {
            sc = n.attrFloats("scales", null);
            if (sc == null) throw fail(n, "attribute scales is required");
            scalesGiven = true;
        } else {
            scalesGiven = si < present.length && present[si];
            if (scalesGiven) {
                Tensor t = inputs[si];
                if (t == null) unknown = true;
                else if (t.size() == 0) scalesGiven = false;
                else sc = t.toFloatArray();
            }
            if (v11 && 3 < present.length && present[3]) {
                Tensor t = inputs[3];
                if (t == null) {
                    unknown = true;
                    sizesGiven = true;
                } else if (t.size() > 0) {
                    sz = t.toLongArray();
                    sizesGiven = true;
                }
            }
            if (v11 && 1 < present.length && present[1] && coord.equals("tf_crop_and_resize")) {
                Tensor t = inputs[1];
                if (t == null) {
                    unknown = true;
                } else if (t.size() > 0) {
                    float[] roi = t.toFloatArray();
                    if (roi.length != 2 * axes.length) throw fail(n, "roi has " + roi.length + " values, expected " + 2 * axes.length);
                    for (int i = 0; i < axes.length; i++) {
                        rs[axes[i]] = roi[i];
                        re[axes[i]] = roi[i + axes.length];
                    }
                }
            }
        }
        if (scalesGiven && sizesGiven) throw fail(n, "only one of scales and sizes may be given");
        if (!scalesGiven && !sizesGiven && !unknown) throw fail(n, "one of scales and sizes is required");
        if (unknown) {
            Arrays.fill(out, -1);
            Arrays.fill(scales, Double.NaN);
            return new ResizeSpec(mode, coord, nearest, a, exclude, extrap, antialias, in, out, scales, rs, re);
        }
        if (sc != null) {
            if (sc.length != axes.length) throw fail(n, "scales has " + sc.length + " values, expected " + axes.length);
            for (int i = 0; i < axes.length; i++) {
                int ax = axes[i];
                if (!(sc[i] > 0)) throw fail(n, "scales must be positive, got " + Arrays.toString(sc));
                scales[ax] = sc[i];
                out[ax] = in[ax] < 0 ? -1 : (long) Math.floor(in[ax] * (double) sc[i]);
            }
        } else {
            if (sz.length != axes.length) throw fail(n, "sizes has " + sz.length + " values, expected " + axes.length);
            for (long v : sz) if (v <= 0) throw fail(n, "sizes must be positive, got " + Arrays.toString(sz));
            if (policy.equals("stretch")) {
                for (int i = 0; i < axes.length; i++) {
                    int ax = axes[i];
                    out[ax] = sz[i];
                    scales[ax] = in[ax] < 0 ? Double.NaN : (double) sz[i] / in[ax];
                }
            } else {
                double s = policy.equals("not_larger") ? Double.MAX_VALUE : 0;
                boolean known = true;
                for (int i = 0; i < axes.length; i++) {
                    int ax = axes[i];
                    if (in[ax] < 0) { known = false; continue; }
                    double q = (double) sz[i] / in[ax];
                    s = policy.equals("not_larger") ? Math.min(s, q) : Math.max(s, q);
                }
                for (int ax : axes) {
                    scales[ax] = known ? s : Double.NaN;
                    out[ax] = known ? (long) Math.floor(s * in[ax] + 0.5) : -1;
                }
            }
        }
        for (int i = 0; i < r; i++) if (out[i] == 0) throw fail(n, "output dim " + i + " would be 0");
        return new ResizeSpec(mode, coord, nearest, a, exclude, extrap, antialias, in, out, scales, rs, re);
    }

    /**
     * The input coordinate of output index {@code x} on {@code axis}, computed in float32 as ONNX
     * Runtime does (nearest modes are sensitive to it: {@code 1.5f / 0.6f} is exactly 2.5 in float
     * but not in double). {@code Double.NaN} marks a tf_crop_and_resize coordinate outside the
     * input, which takes the extrapolation value.
     */
    public double sourceCoordinate(int axis, long x) {
        float scale = (float) scales[axis];
        float xf = x;
        float inW = in[axis];
        float outW = scale * inW; // ONNX's reference uses the real-valued output width
        float xo = switch (coordinateMode) {
            case "align_corners" -> outW == 1 ? 0 : xf * (inW - 1) / (outW - 1);
            case "asymmetric" -> xf / scale;
            case "tf_half_pixel_for_nn" -> (xf + 0.5f) / scale;
            case "pytorch_half_pixel" -> out[axis] > 1 ? (xf + 0.5f) / scale - 0.5f : 0f;
            case "half_pixel_symmetric" -> {
                float adjustment = out[axis] / outW;
                float center = inW / 2;
                yield center * (1 - adjustment) + (xf + 0.5f) / scale - 0.5f;
            }
            case "tf_crop_and_resize" -> {
                float rs = (float) roiStart[axis], re = (float) roiEnd[axis];
                float v = out[axis] == 1 ? (re - rs) * (inW - 1) / 2 : xf * (re - rs) * (inW - 1) / (out[axis] - 1);
                v += rs * (inW - 1);
                yield v < 0 || v > inW - 1 ? Float.NaN : v;
            }
            default -> (xf + 0.5f) / scale - 0.5f; // half_pixel
        };
        return xo;
    }

    /** Whether the axis maps every output index to the same input index with weight 1. */
    public boolean isIdentity(int axis) {
        if (out[axis] != in[axis] || scales[axis] != 1.0) return false;
        return !coordinateMode.equals("tf_crop_and_resize") || roiStart[axis] == 0 && roiEnd[axis] == 1;
    }
}
