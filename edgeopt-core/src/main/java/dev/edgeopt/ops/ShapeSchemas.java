package dev.edgeopt.ops;

import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Dim;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Schemas of the shape and data-movement family; see {@link OpRegistry#standard()}.
 *
 * <p>Besides output types, the ops that exported models use to compute shapes (Shape, Size, Gather,
 * Slice, Concat, Unsqueeze, Squeeze, Reshape, Identity...) propagate the symbolic contents of small
 * integer tensors, so that {@code Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1]))} keeps a
 * named batch dimension instead of collapsing to unknown.
 */
public final class ShapeSchemas {
    private ShapeSchemas() {}

    static void register(OpRegistry r) {
        r.register(new Schema("Identity", ShapeSchemas::identity));
        r.register(new Schema("Dropout", ShapeSchemas::dropout));
        r.register(new Schema("Reshape", ShapeSchemas::reshape));
        r.register(new Schema("Flatten", ShapeSchemas::flatten));
        r.register(new Schema("Squeeze", ShapeSchemas::squeeze));
        r.register(new Schema("Unsqueeze", ShapeSchemas::unsqueeze));
        r.register(new Schema("Transpose", ShapeSchemas::transpose));
        r.register(new Schema("Concat", ShapeSchemas::concat));
        r.register(new Schema("Split", ShapeSchemas::split));
        r.register(new Schema("Slice", ShapeSchemas::slice));
        r.register(new Schema("Shape", ShapeSchemas::shape));
        r.register(new Schema("Size", ShapeSchemas::size));
        r.register(new Schema("Gather", ShapeSchemas::gather));
        r.register(new Schema("GatherElements", ShapeSchemas::gatherElements));
        r.register(new Schema("GatherND", ShapeSchemas::gatherNd));
        r.register(new Schema("ScatterElements", ShapeSchemas::scatter));
        r.register(new Schema("Scatter", ShapeSchemas::scatter));
        r.register(new Schema("ScatterND", ShapeSchemas::scatter));
        r.register(new Schema("ConstantOfShape", ShapeSchemas::constantOfShape));
        r.register(new Schema("Constant", ShapeSchemas::constant));
        r.register(new Schema("Expand", ShapeSchemas::expand));
        r.register(new Schema("Tile", ShapeSchemas::tile));
        r.register(new Schema("Pad", ShapeSchemas::pad));
        r.register(new Schema("Range", ShapeSchemas::range));
        r.register(new Schema("DepthToSpace", ShapeSchemas::depthToSpace));
        r.register(new Schema("SpaceToDepth", ShapeSchemas::spaceToDepth));
        r.register(new Schema("EyeLike", ShapeSchemas::eyeLike));
        r.register(new Schema("OneHot", ShapeSchemas::oneHot));
        r.register(new Schema("Trilu", ShapeSchemas::sameAsData));
        r.register(new Schema("NonZero", ShapeSchemas::nonZero));
        r.register(new Schema("Compress", ShapeSchemas::compress));
        r.register(new Schema("ReverseSequence", ShapeSchemas::reverseSequence));
        r.register(new Schema("Unique", ShapeSchemas::unique));
    }

    // ------------------------------------------------------------------ helpers

    /** Input 0's symbolic contents carried to output 0 when both are rank 0 or 1 (same elements). */
    private static void passShapeValue(InferContext ctx, Shape out) {
        if (out.rank() > 1 || !ctx.inputDtype(0).isInteger()) return;
        Dim[] v = ctx.inputShapeValue(0);
        if (v != null) ctx.setOutputShapeValue(0, v);
    }

    /**
     * The exact integer contents of input i when it is a constant, else (or when the input is
     * absent) null. Unlike {@link InferContext#inputShapeValue} negative entries survive.
     */
    private static long[] longs(InferContext ctx, int i) {
        return ctx.hasInput(i) ? ctx.inputLongs(i) : null;
    }

    /** The ints attribute before {@code inputSince}, else the integer input i (null when absent or unknown). */
    private static long[] attrOrInput(InferContext ctx, String attr, int input, int inputSince) {
        return ctx.opset() < inputSince ? ctx.attrInts(attr, null) : longs(ctx, input);
    }

    /** Number of elements of a rank-1 input when its length is static, else -1. */
    private static int staticLength(InferContext ctx, int i) {
        TensorType t = ctx.inputType(i);
        if (t == null || t.shape() == null) return -1;
        Shape s = t.shape();
        if (s.rank() == 0) return 1;
        return s.rank() == 1 && s.dim(0).isKnown() ? (int) s.dim(0).value() : -1;
    }

    private static List<TensorType> one(DType t, Shape s) { return List.of(new TensorType(t, s)); }

    private static List<TensorType> sameAsData(InferContext ctx) { return List.of(ctx.requireType(0)); }

    /** Index inputs are int32 or int64 (the kernels read no other kind). */
    private static void requireIndices(InferContext ctx, int i, String what) {
        DType t = ctx.inputDtype(i);
        if (t != DType.INT64 && t != DType.INT32) throw ctx.fail(what + " must be int32 or int64, got " + t);
    }

    private static List<TensorType> scatter(InferContext ctx) {
        TensorType data = ctx.requireType(0);
        requireIndices(ctx, 1, "indices");
        if (ctx.inputDtype(2) != data.dtype()) throw ctx.fail("updates are " + ctx.inputDtype(2) + ", data is " + data.dtype());
        String red = ctx.attrString("reduction", "none");
        if (!red.equals("none") && (data.dtype() == DType.STRING)) throw ctx.fail("reduction '" + red + "' needs numbers, data is " + data.dtype());
        return List.of(data);
    }

    private static List<TensorType> reverseSequence(InferContext ctx) {
        requireIndices(ctx, 1, "sequence_lens");
        return List.of(ctx.requireType(0));
    }

    // ------------------------------------------------------------------ views and trivial ops

    private static List<TensorType> identity(InferContext ctx) {
        TensorType t = ctx.requireType(0);
        passShapeValue(ctx, t.shape());
        return List.of(t);
    }

    private static List<TensorType> dropout(InferContext ctx) {
        TensorType t = ctx.requireType(0);
        passShapeValue(ctx, t.shape());
        if (ctx.node().outputCount() > 1) {
            // The mask was of the input's type before opset 10.
            return List.of(t, new TensorType(ctx.opset() < 10 ? t.dtype() : DType.BOOL, t.shape()));
        }
        return List.of(t);
    }

    private static List<TensorType> reshape(InferContext ctx) {
        TensorType in = ctx.requireType(0);
        Shape s = in.shape();
        boolean allowZero = ctx.attrInt("allowzero", 0) != 0;
        long[] raw = ctx.opset() < 5 ? ctx.attrInts("shape", null) : longs(ctx, 1);
        Dim[] target;
        if (raw != null) {
            target = new Dim[raw.length];
            int minusOne = -1;
            for (int i = 0; i < raw.length; i++) {
                if (raw[i] == -1) {
                    if (minusOne >= 0) throw ctx.fail("shape " + Arrays.toString(raw) + " has more than one -1");
                    minusOne = i;
                    target[i] = null;
                } else if (raw[i] < -1) {
                    throw ctx.fail("invalid shape entry " + raw[i] + " in " + Arrays.toString(raw));
                } else if (raw[i] == 0 && !allowZero) {
                    if (i >= s.rank()) throw ctx.fail("shape " + Arrays.toString(raw) + " copies dim " + i + " of a rank-" + s.rank() + " input");
                    target[i] = s.dim(i);
                } else {
                    target[i] = Dim.of(raw[i]);
                }
            }
        } else {
            Dim[] sv = ctx.opset() < 5 ? null : ctx.inputShapeValue(1);
            if (sv == null) {
                int n = ctx.opset() < 5 ? -1 : staticLength(ctx, 1);
                // The target's length is data-dependent: even the rank is unknown until run time.
                if (n < 0) return List.of(new TensorType(in.dtype(), null));
                return one(in.dtype(), Infer.unknownShape(n));
            }
            target = new Dim[sv.length];
            for (int i = 0; i < sv.length; i++) {
                Dim d = sv[i];
                if (d.isKnown() && d.value() == 0 && !allowZero) target[i] = i < s.rank() ? s.dim(i) : Dim.unknown();
                else target[i] = d.isUnknown() ? null : d;
            }
        }
        // One entry left open (a -1, or an unknown entry of a symbolic shape) is what makes the
        // element counts agree; two or more stay unknown.
        int open = 0;
        for (Dim d : target) if (d == null) open++;
        Dim numel = s.numelDim();
        Dim known = Dim.of(1);
        for (Dim d : target) if (d != null) known = known.times(d);
        for (int i = 0; i < target.length; i++) {
            if (target[i] != null) continue;
            target[i] = open == 1 ? numel.divide(known) : Dim.unknown();
        }
        if (open == 0 && numel.isKnown() && known.isKnown() && numel.value() != known.value()) {
            throw ctx.fail("cannot reshape " + s + " (" + numel + " elements) to " + Shape.of(target));
        }
        if (open == 1 && numel.isKnown() && known.isKnown() && (known.value() == 0 ? numel.value() != 0 : numel.value() % known.value() != 0)) {
            throw ctx.fail("cannot reshape " + s + " (" + numel + " elements) to " + (raw != null ? Arrays.toString(raw) : Shape.of(target).toString()));
        }
        Shape out = Shape.of(target);
        passShapeValue(ctx, out);
        return one(in.dtype(), out);
    }

    private static List<TensorType> flatten(InferContext ctx) {
        TensorType in = ctx.requireType(0);
        Shape s = in.shape();
        long axis = ctx.attrInt("axis", 1);
        if (axis < 0) axis += s.rank();
        if (axis < 0 || axis > s.rank()) throw ctx.fail("axis " + ctx.attrInt("axis", 1) + " is out of range for rank " + s.rank());
        Dim a = Dim.of(1), b = Dim.of(1);
        for (int i = 0; i < s.rank(); i++) {
            if (i < axis) a = a.times(s.dim(i)); else b = b.times(s.dim(i));
        }
        return one(in.dtype(), Shape.of(a, b));
    }

    private static List<TensorType> squeeze(InferContext ctx) {
        TensorType in = ctx.requireType(0);
        Shape s = in.shape();
        long[] axes = attrOrInput(ctx, "axes", 1, 13);
        boolean axesGiven = ctx.opset() < 13 ? axes != null : ctx.hasInput(1);
        if (axesGiven && axes == null) {
            int n = staticLength(ctx, 1);
            if (n < 0) return List.of(new TensorType(in.dtype(), null));
            return one(in.dtype(), Infer.unknownShape(s.rank() - n));
        }
        boolean[] drop = new boolean[s.rank()];
        if (axes == null) {
            for (int i = 0; i < s.rank(); i++) {
                Dim d = s.dim(i);
                // A symbolic dim is kept (as ONNX does): it is usually a batch, rarely 1.
                if (d.isUnknown()) return List.of(new TensorType(in.dtype(), null));
                drop[i] = d.isKnown() && d.value() == 1;
            }
        } else {
            for (long a : axes) {
                int ax = ctx.axis(a, s.rank());
                if (drop[ax]) throw ctx.fail("axis " + a + " is repeated");
                Dim d = s.dim(ax);
                if (d.isKnown() && d.value() != 1) throw ctx.fail("cannot squeeze axis " + a + " of size " + d.value() + " in " + s);
                drop[ax] = true;
            }
        }
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < s.rank(); i++) if (!drop[i]) out.add(s.dim(i));
        Shape o = Shape.of(out);
        passShapeValue(ctx, o);
        return one(in.dtype(), o);
    }

    private static List<TensorType> unsqueeze(InferContext ctx) {
        TensorType in = ctx.requireType(0);
        Shape s = in.shape();
        long[] axes = attrOrInput(ctx, "axes", 1, 13);
        if (axes == null) {
            if (ctx.opset() < 13) throw ctx.fail("attribute 'axes' is required");
            int n = staticLength(ctx, 1);
            if (n < 0) return List.of(new TensorType(in.dtype(), null));
            return one(in.dtype(), Infer.unknownShape(s.rank() + n));
        }
        int rank = s.rank() + axes.length;
        Dim[] out = new Dim[rank];
        for (long a : axes) {
            int ax = ctx.axis(a, rank);
            if (out[ax] != null) throw ctx.fail("axis " + a + " is repeated");
            out[ax] = Dim.of(1);
        }
        for (int i = 0, k = 0; i < rank; i++) if (out[i] == null) out[i] = s.dim(k++);
        Shape o = Shape.of(out);
        passShapeValue(ctx, o);
        return one(in.dtype(), o);
    }

    private static List<TensorType> transpose(InferContext ctx) {
        TensorType in = ctx.requireType(0);
        Shape s = in.shape();
        int[] perm = perm(ctx, s.rank());
        Dim[] out = new Dim[s.rank()];
        for (int i = 0; i < out.length; i++) out[i] = s.dim(perm[i]);
        return one(in.dtype(), Shape.of(out));
    }

    /** Transpose's permutation (default: reversed axes), validated. */
    static int[] perm(InferContext ctx, int rank) {
        long[] p = ctx.attrInts("perm", null);
        int[] perm = new int[rank];
        if (p == null) {
            for (int i = 0; i < rank; i++) perm[i] = rank - 1 - i;
            return perm;
        }
        if (p.length != rank) throw ctx.fail("perm " + Arrays.toString(p) + " does not match rank " + rank);
        boolean[] seen = new boolean[rank];
        for (int i = 0; i < rank; i++) {
            int a = ctx.axis(p[i], rank);
            if (seen[a]) throw ctx.fail("perm " + Arrays.toString(p) + " is not a permutation");
            seen[a] = true;
            perm[i] = a;
        }
        return perm;
    }

    private static List<TensorType> concat(InferContext ctx) {
        if (!ctx.hasInput(0)) throw ctx.fail("needs at least one input");
        TensorType first = ctx.requireType(0);
        int rank = first.rank();
        if (!ctx.node().hasAttr("axis")) throw ctx.fail("attribute 'axis' is required");
        int axis = ctx.axis(ctx.attrInt("axis", 0), rank);
        Dim[] out = first.shape().dims();
        boolean values = rank == 1 && first.dtype().isInteger();
        List<Dim> contents = new ArrayList<>();
        for (int i = 0; i < ctx.inputCount(); i++) {
            TensorType t = ctx.requireType(i);
            if (t.dtype() != first.dtype()) throw ctx.fail("input " + i + " is " + t.dtype() + ", input 0 is " + first.dtype());
            if (t.rank() != rank) throw ctx.fail("input " + i + " has rank " + t.rank() + ", input 0 has rank " + rank);
            for (int d = 0; d < rank; d++) {
                Dim x = t.shape().dim(d);
                if (d == axis) {
                    if (i > 0) out[d] = out[d].plus(x);
                } else {
                    Dim o = out[d];
                    if (o.isKnown() && x.isKnown() && o.value() != x.value()) {
                        throw ctx.fail("input " + i + " has shape " + t.shape() + ", which does not match " + first.shape() + " outside axis " + axis);
                    }
                    if (!o.isKnown() && (x.isKnown() || o.isUnknown())) out[d] = x;
                }
            }
            if (values) {
                Dim[] v = ctx.inputShapeValue(i);
                if (v == null) values = false; else contents.addAll(Arrays.asList(v));
            }
        }
        Shape o = Shape.of(out);
        if (values && o.dim(0).isKnown() && o.dim(0).value() == contents.size()) ctx.setOutputShapeValue(0, contents.toArray(new Dim[0]));
        return one(first.dtype(), o);
    }

    private static List<TensorType> split(InferContext ctx) {
        TensorType in = ctx.requireType(0);
        Shape s = in.shape();
        int axis = ctx.axis(ctx.attrInt("axis", 0), s.rank());
        int n = ctx.node().outputCount();
        long[] sizes = ctx.opset() < 13 ? ctx.attrInts("split", null) : longs(ctx, 1);
        Dim d = s.dim(axis);
        Dim[] parts = new Dim[n];
        if (sizes != null && sizes.length > 0) {
            if (sizes.length != n) throw ctx.fail("split " + Arrays.toString(sizes) + " has " + sizes.length + " parts for " + n + " outputs");
            long total = 0;
            for (int i = 0; i < n; i++) {
                if (sizes[i] < 0) throw ctx.fail("negative split size in " + Arrays.toString(sizes));
                parts[i] = Dim.of(sizes[i]);
                total += sizes[i];
            }
            if (d.isKnown() && d.value() != total) throw ctx.fail("split " + Arrays.toString(sizes) + " does not add up to dim " + d + " of " + s);
        } else if (ctx.opset() >= 13 && ctx.hasInput(1)) {
            Arrays.fill(parts, Dim.unknown());
        } else {
            long num = ctx.opset() >= 18 && ctx.node().hasAttr("num_outputs") ? ctx.attrInt("num_outputs", n) : n;
            if (num != n) throw ctx.fail("num_outputs " + num + " but the node has " + n + " outputs");
            if (d.isKnown()) {
                long v = d.value();
                if (ctx.opset() >= 18 && ctx.node().hasAttr("num_outputs")) {
                    long chunk = (v + n - 1) / n;
                    for (int i = 0; i < n; i++) parts[i] = Dim.of(Math.max(0, Math.min(chunk, v - chunk * i)));
                } else {
                    if (v % n != 0) throw ctx.fail("dim " + v + " of " + s + " does not split into " + n + " equal parts");
                    Arrays.fill(parts, Dim.of(v / n));
                }
            } else {
                Arrays.fill(parts, d.divide(Dim.of(n)));
            }
        }
        List<TensorType> outs = new ArrayList<>();
        for (int i = 0; i < n; i++) outs.add(new TensorType(in.dtype(), s.withDim(axis, parts[i])));
        Dim[] v = s.rank() == 1 && in.dtype().isInteger() ? ctx.inputShapeValue(0) : null;
        if (v != null) {
            // A split shape vector keeps its symbolic pieces.
            int at = 0;
            for (int i = 0; i < n && parts[i].isKnown() && at + parts[i].value() <= v.length; i++) {
                ctx.setOutputShapeValue(i, Arrays.copyOfRange(v, at, at + (int) parts[i].value()));
                at += (int) parts[i].value();
            }
        }
        return outs;
    }

    /**
     * Slice parameters normalized against concrete dims: for each axis the first index, the step
     * and the count. Shared with the kernel so both clamp the same way.
     */
    public static long[][] sliceRanges(long[] dims, long[] starts, long[] ends, long[] axes, long[] steps,
                                       java.util.function.Function<String, RuntimeException> fail) {
        int rank = dims.length;
        long[] first = new long[rank], step = new long[rank], count = dims.clone();
        Arrays.fill(step, 1);
        if (starts.length != ends.length) throw fail.apply("starts and ends differ in length");
        if (axes != null && axes.length != starts.length) throw fail.apply("axes and starts differ in length");
        if (steps != null && steps.length != starts.length) throw fail.apply("steps and starts differ in length");
        boolean[] seen = new boolean[rank];
        for (int k = 0; k < starts.length; k++) {
            long a = axes == null ? k : axes[k];
            if (a < 0) a += rank;
            if (a < 0 || a >= rank) throw fail.apply("axis " + (axes == null ? k : axes[k]) + " is out of range for rank " + rank);
            int ax = (int) a;
            if (seen[ax]) throw fail.apply("axis " + ax + " is repeated");
            seen[ax] = true;
            long st = steps == null ? 1 : steps[k];
            if (st == 0) throw fail.apply("step 0");
            long d = dims[ax];
            long s = starts[k], e = ends[k];
            if (s < 0) s += d;
            if (e < 0) e += d;
            long n;
            if (d == 0) {
                n = 0;
            } else if (st > 0) {
                s = Math.clamp(s, 0, d);
                e = Math.clamp(e, 0, d);
                n = e > s ? (e - s + st - 1) / st : 0;
            } else {
                // ONNX clamps a backward start to [0, d-1] but a backward end to [-1, d-1].
                s = Math.clamp(s, 0, d - 1);
                e = Math.clamp(e, -1, d - 1);
                n = s > e ? (s - e + (-st) - 1) / (-st) : 0;
            }
            first[ax] = n == 0 ? 0 : s;
            step[ax] = st;
            count[ax] = n;
        }
        return new long[][] {first, step, count};
    }

    private static List<TensorType> slice(InferContext ctx) {
        TensorType in = ctx.requireType(0);
        Shape s = in.shape();
        long[] starts, ends, axes, steps;
        if (ctx.opset() < 10) {
            starts = ctx.attrInts("starts", null);
            ends = ctx.attrInts("ends", null);
            axes = ctx.attrInts("axes", null);
            steps = null;
            if (starts == null || ends == null) throw ctx.fail("attributes 'starts' and 'ends' are required");
        } else {
            starts = longs(ctx, 1);
            ends = longs(ctx, 2);
            axes = longs(ctx, 3);
            steps = longs(ctx, 4);
            boolean unknown = starts == null || ends == null || (ctx.hasInput(3) && axes == null) || (ctx.hasInput(4) && steps == null);
            if (unknown) {
                // Which axes are sliced is unknown: keep only the rank.
                if (ctx.hasInput(3) && axes != null) {
                    Dim[] out = s.dims();
                    for (long a : axes) out[ctx.axis(a, s.rank())] = Dim.unknown();
                    return one(in.dtype(), Shape.of(out));
                }
                return one(in.dtype(), Infer.unknownShape(s.rank()));
            }
        }
        int rank = s.rank();
        Dim[] out = s.dims();
        long[] dims = new long[rank];
        boolean[] symbolic = new boolean[rank];
        for (int i = 0; i < rank; i++) {
            Dim d = s.dim(i);
            if (d.isKnown()) dims[i] = d.value();
            else {
                symbolic[i] = true;
                dims[i] = Long.MAX_VALUE / 4;
            }
        }
        long[][] r = sliceRanges(dims, starts, ends, axes, steps, ctx::fail);
        for (int k = 0; k < starts.length; k++) {
            long a = axes == null ? k : axes[k];
            int ax = ctx.axis(a, rank);
            if (!symbolic[ax]) {
                out[ax] = Dim.of(r[2][ax]);
                continue;
            }
            // With an unknown dim only the whole-axis slice [0:big:1] has a known result.
            long st = steps == null ? 1 : steps[k];
            out[ax] = starts[k] == 0 && ends[k] >= Integer.MAX_VALUE && st == 1 ? s.dim(ax) : Dim.unknown();
        }
        Shape o = Shape.of(out);
        if (rank == 1 && in.dtype().isInteger() && o.dim(0).isKnown()) {
            Dim[] v = ctx.inputShapeValue(0);
            if (v != null && !symbolic[0]) {
                Dim[] sv = new Dim[(int) r[2][0]];
                for (int i = 0; i < sv.length; i++) sv[i] = v[(int) (r[0][0] + i * r[1][0])];
                ctx.setOutputShapeValue(0, sv);
            }
        }
        return one(in.dtype(), o);
    }

    /** Shape's [start, end) range of axes (opset 15 attributes, clamped). */
    static int[] shapeRange(long start, long end, int rank) {
        if (start < 0) start += rank;
        if (end < 0) end += rank;
        int s = (int) Math.clamp(start, 0, rank), e = (int) Math.clamp(end, 0, rank);
        return new int[] {s, Math.max(s, e)};
    }

    private static List<TensorType> shape(InferContext ctx) {
        Shape s = ctx.inputShape(0);
        int[] r = ctx.opset() >= 15 ? shapeRange(ctx.attrInt("start", 0), ctx.attrInt("end", s.rank()), s.rank()) : new int[] {0, s.rank()};
        Dim[] v = Arrays.copyOfRange(s.dims(), r[0], r[1]);
        ctx.setOutputShapeValue(0, v);
        return one(DType.INT64, Shape.of(v.length));
    }

    private static List<TensorType> size(InferContext ctx) {
        ctx.setOutputShapeValue(0, new Dim[] {ctx.inputShape(0).numelDim()});
        return one(DType.INT64, Shape.scalar());
    }

    private static List<TensorType> gather(InferContext ctx) {
        TensorType data = ctx.requireType(0);
        TensorType idx = ctx.requireType(1);
        if (!(idx.dtype() == DType.INT64 || idx.dtype() == DType.INT32)) throw ctx.fail("indices must be int32 or int64, got " + idx.dtype());
        Shape s = data.shape();
        if (s.rank() == 0) throw ctx.fail("data must have rank >= 1");
        int axis = ctx.axis(ctx.attrInt("axis", 0), s.rank());
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < axis; i++) out.add(s.dim(i));
        out.addAll(Arrays.asList(idx.shape().dims()));
        for (int i = axis + 1; i < s.rank(); i++) out.add(s.dim(i));
        Shape o = Shape.of(out);
        if (s.rank() == 1 && data.dtype().isInteger() && o.rank() <= 1) {
            Dim[] v = ctx.inputShapeValue(0);
            long[] ix = longs(ctx, 1);
            if (v != null && ix != null) {
                Dim[] sv = new Dim[ix.length];
                for (int i = 0; i < ix.length; i++) {
                    long k = ix[i] < 0 ? ix[i] + v.length : ix[i];
                    if (k < 0 || k >= v.length) throw ctx.fail("index " + ix[i] + " is out of range for " + v.length + " elements");
                    sv[i] = v[(int) k];
                }
                ctx.setOutputShapeValue(0, sv);
            }
        }
        return one(data.dtype(), o);
    }

    private static List<TensorType> gatherElements(InferContext ctx) {
        TensorType data = ctx.requireType(0);
        requireIndices(ctx, 1, "indices");
        Shape is = ctx.inputShape(1);
        if (is.rank() != data.rank()) throw ctx.fail("indices rank " + is.rank() + " differs from data rank " + data.rank());
        ctx.axis(ctx.attrInt("axis", 0), data.rank());
        return one(data.dtype(), is);
    }

    private static List<TensorType> gatherNd(InferContext ctx) {
        TensorType data = ctx.requireType(0);
        requireIndices(ctx, 1, "indices");
        Shape is = ctx.inputShape(1);
        int b = (int) ctx.attrInt("batch_dims", 0);
        if (is.rank() < 1) throw ctx.fail("indices must have rank >= 1");
        Dim last = is.dim(is.rank() - 1);
        if (!last.isKnown()) return one(data.dtype(), null);
        int k = (int) last.value();
        if (b + k > data.rank()) throw ctx.fail("indices address " + k + " dims after " + b + " batch dims of rank-" + data.rank() + " data");
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < is.rank() - 1; i++) out.add(is.dim(i));
        for (int i = b + k; i < data.rank(); i++) out.add(data.shape().dim(i));
        return one(data.dtype(), Shape.of(out));
    }

    /**
     * The value of a Constant node from whichever value attribute it has. Import turns Constant
     * nodes into initializers; the op exists for graphs built in code and for models checked op by op.
     */
    public static Tensor constantValue(dev.edgeopt.ir.Node n, java.util.function.Function<String, RuntimeException> fail) {
        if (n.attributes().size() != 1) throw fail.apply("needs exactly one value attribute, has " + n.attributes().keySet());
        var e = n.attributes().entrySet().iterator().next();
        dev.edgeopt.ir.Attribute a = e.getValue();
        return switch (e.getKey()) {
            case "value" -> a.asTensor();
            case "value_float" -> Tensor.scalar(a.asFloat()).reshape();
            case "value_floats" -> Tensor.vector(a.asFloats());
            case "value_int" -> Tensor.scalarLong(a.asInt()).reshape();
            case "value_ints" -> Tensor.vector(a.asInts());
            case "value_string" -> Tensor.ofStrings(new String[] {a.asString()});
            case "value_strings" -> Tensor.ofStrings(a.asStrings().clone(), a.asStrings().length);
            default -> throw fail.apply("attribute '" + e.getKey() + "' is not supported");
        };
    }

    private static List<TensorType> constant(InferContext ctx) {
        Tensor t = constantValue(ctx.node(), ctx::fail);
        if (t.rank() <= 1 && t.dtype().isInteger()) {
            Dim[] v = new Dim[t.size()];
            for (int i = 0; i < v.length; i++) v[i] = t.getLong(i) >= 0 ? Dim.of(t.getLong(i)) : Dim.unknown();
            ctx.setOutputShapeValue(0, v);
        }
        return List.of(t.type());
    }

    private static List<TensorType> constantOfShape(InferContext ctx) {
        Tensor v = ctx.node().attrTensor("value");
        DType t = v == null ? DType.FLOAT : v.dtype();
        if (v != null && v.size() != 1) throw ctx.fail("'value' must hold one element");
        Dim[] sv = ctx.inputShapeValue(0);
        if (sv != null) return one(t, Shape.of(sv));
        int n = staticLength(ctx, 0);
        return List.of(new TensorType(t, n < 0 ? null : Infer.unknownShape(n)));
    }

    private static List<TensorType> expand(InferContext ctx) {
        TensorType in = ctx.requireType(0);
        Dim[] sv = ctx.inputShapeValue(1);
        if (sv == null) {
            int n = staticLength(ctx, 1);
            if (n < 0) return List.of(new TensorType(in.dtype(), null));
            return one(in.dtype(), Infer.unknownShape(Math.max(n, in.rank())));
        }
        return one(in.dtype(), Infer.broadcast(ctx, in.shape(), Shape.of(sv)));
    }

    private static List<TensorType> tile(InferContext ctx) {
        TensorType in = ctx.requireType(0);
        long[] reps = longs(ctx, 1);
        if (reps == null) return one(in.dtype(), Infer.unknownShape(in.rank()));
        if (reps.length != in.rank()) throw ctx.fail("repeats " + Arrays.toString(reps) + " do not match rank " + in.rank());
        Dim[] out = in.shape().dims();
        for (int i = 0; i < out.length; i++) {
            if (reps[i] < 0) throw ctx.fail("negative repeat " + reps[i]);
            out[i] = out[i].times(Dim.of(reps[i]));
        }
        return one(in.dtype(), Shape.of(out));
    }

    /** Pad's pads, one (begin, end) pair per axis of the input, expanded from the axes input (opset 18). */
    public static long[] pads(long[] pads, long[] axes, int rank, java.util.function.Function<String, RuntimeException> fail) {
        if (axes == null) {
            if (pads.length != 2L * rank) throw fail.apply("pads " + Arrays.toString(pads) + " must have 2*rank = " + 2 * rank + " entries");
            return pads;
        }
        if (pads.length != 2L * axes.length) throw fail.apply("pads " + Arrays.toString(pads) + " must have 2*" + axes.length + " entries for axes " + Arrays.toString(axes));
        long[] full = new long[2 * rank];
        for (int k = 0; k < axes.length; k++) {
            long a = axes[k] < 0 ? axes[k] + rank : axes[k];
            if (a < 0 || a >= rank) throw fail.apply("axis " + axes[k] + " is out of range for rank " + rank);
            full[(int) a] = pads[k];
            full[(int) a + rank] = pads[k + axes.length];
        }
        return full;
    }

    private static List<TensorType> pad(InferContext ctx) {
        TensorType in = ctx.requireType(0);
        int rank = in.rank();
        long[] p = ctx.opset() < 11 ? ctx.attrInts("pads", null) : longs(ctx, 1);
        String mode = ctx.attrString("mode", "constant");
        if (!List.of("constant", "reflect", "edge", "wrap").contains(mode)) throw ctx.fail("unknown mode '" + mode + "'");
        if (p == null) return one(in.dtype(), Infer.unknownShape(rank));
        long[] axes = ctx.opset() >= 18 ? longs(ctx, 3) : null;
        if (ctx.opset() >= 18 && ctx.hasInput(3) && axes == null) return one(in.dtype(), Infer.unknownShape(rank));
        long[] full = pads(p, axes, rank, ctx::fail);
        Dim[] out = in.shape().dims();
        for (int i = 0; i < rank; i++) {
            long add = full[i] + full[i + rank];
            if (out[i].isKnown()) {
                long v = out[i].value() + add;
                if (v < 0) throw ctx.fail("pads " + Arrays.toString(p) + " remove more than dim " + i + " of " + in.shape());
                out[i] = Dim.of(v);
            } else if (add != 0) {
                out[i] = Dim.unknown();
            }
        }
        return one(in.dtype(), Shape.of(out));
    }

    /** Range's element count, max(ceil((limit - start) / delta), 0). */
    static long rangeCount(double start, double limit, double delta) {
        return Math.max((long) Math.ceil((limit - start) / delta), 0);
    }

    private static List<TensorType> range(InferContext ctx) {
        DType t = ctx.inputDtype(0);
        for (int i = 0; i < 3; i++) {
            if (ctx.inputDtype(i) != t) throw ctx.fail("start, limit and delta must share a dtype");
            if (ctx.inputShape(i).rank() != 0 && !(ctx.inputShape(i).rank() == 1 && ctx.inputShape(i).dim(0).equals(Dim.of(1)))) {
                throw ctx.fail("input " + i + " must be a scalar");
            }
        }
        Tensor s = ctx.inputValue(0), l = ctx.inputValue(1), d = ctx.inputValue(2);
        if (s != null && d != null && l == null && t.isInteger() && s.getLong(0) == 0 && d.getLong(0) == 1) {
            // Range(0, dim, 1), e.g. position ids from a shape: its length is that (symbolic) dim.
            Dim[] lim = ctx.inputShapeValue(1);
            if (lim != null && lim.length == 1) return one(t, Shape.of(lim[0]));
        }
        if (s == null || l == null || d == null) return one(t, Infer.unknownShape(1));
        long n;
        if (t.isInteger()) {
            long a = s.getLong(0), b = l.getLong(0), c = d.getLong(0);
            if (c == 0) throw ctx.fail("delta is 0");
            n = Math.max(Math.ceilDiv(b - a, c), 0);
        } else {
            if (d.getDouble(0) == 0) throw ctx.fail("delta is 0");
            n = rangeCount(s.getDouble(0), l.getDouble(0), d.getDouble(0));
        }
        return one(t, Shape.of(n));
    }

    private static List<TensorType> depthToSpace(InferContext ctx) {
        TensorType in = ctx.requireType(0);
        if (in.rank() != 4) throw ctx.fail("input must be 4-D, got " + in.shape());
        long b = ctx.attrInt("blocksize", 0);
        if (b <= 0) throw ctx.fail("blocksize must be positive");
        String mode = ctx.attrString("mode", "DCR");
        if (!mode.equals("DCR") && !mode.equals("CRD")) throw ctx.fail("unknown mode '" + mode + "'");
        Shape s = in.shape();
        Dim c = s.dim(1);
        if (c.isKnown() && c.value() % (b * b) != 0) throw ctx.fail("channels " + c + " are not divisible by blocksize^2 = " + b * b);
        return one(in.dtype(), Shape.of(s.dim(0), c.divide(Dim.of(b * b)), s.dim(2).times(Dim.of(b)), s.dim(3).times(Dim.of(b))));
    }

    private static List<TensorType> spaceToDepth(InferContext ctx) {
        TensorType in = ctx.requireType(0);
        if (in.rank() != 4) throw ctx.fail("input must be 4-D, got " + in.shape());
        long b = ctx.attrInt("blocksize", 0);
        if (b <= 0) throw ctx.fail("blocksize must be positive");
        Shape s = in.shape();
        for (int i = 2; i < 4; i++) {
            if (s.dim(i).isKnown() && s.dim(i).value() % b != 0) throw ctx.fail("dim " + i + " of " + s + " is not divisible by blocksize " + b);
        }
        return one(in.dtype(), Shape.of(s.dim(0), s.dim(1).times(Dim.of(b * b)), s.dim(2).divide(Dim.of(b)), s.dim(3).divide(Dim.of(b))));
    }

    private static List<TensorType> eyeLike(InferContext ctx) {
        TensorType in = ctx.requireType(0);
        if (in.rank() != 2) throw ctx.fail("input must be 2-D, got " + in.shape());
        DType t = in.dtype();
        if (ctx.node().hasAttr("dtype")) {
            t = DType.fromOnnx((int) ctx.attrInt("dtype", 1));
            if (t == null) throw ctx.fail("unsupported dtype code " + ctx.attrInt("dtype", 1));
        }
        return one(t, in.shape());
    }

    private static List<TensorType> oneHot(InferContext ctx) {
        TensorType idx = ctx.requireType(0);
        if (idx.dtype() == DType.STRING || idx.dtype() == DType.BOOL) throw ctx.fail("indices must be numeric, got " + idx.dtype());
        TensorType values = ctx.requireType(2);
        int rank = idx.rank() + 1;
        int axis = ctx.axis(ctx.attrInt("axis", -1), rank);
        Tensor depth = ctx.inputValue(1);
        Dim d = Dim.unknown();
        if (depth != null) {
            if (depth.size() != 1) throw ctx.fail("depth must hold one element");
            long v = (long) depth.getDouble(0);
            if (v <= 0) throw ctx.fail("depth must be positive, got " + depth.getDouble(0));
            d = Dim.of(v);
        }
        Dim[] out = new Dim[rank];
        for (int i = 0, k = 0; i < rank; i++) out[i] = i == axis ? d : idx.shape().dim(k++);
        return one(values.dtype(), Shape.of(out));
    }

    private static List<TensorType> nonZero(InferContext ctx) {
        TensorType in = ctx.requireType(0);
        if (in.dtype() == DType.STRING) throw ctx.fail("strings are not supported");
        Tensor v = ctx.inputValue(0);
        Dim n = Dim.unknown();
        if (v != null) {
            long c = 0;
            for (int i = 0; i < v.size(); i++) if (v.getDouble(i) != 0) c++;
            n = Dim.of(c);
        }
        return one(DType.INT64, Shape.of(Dim.of(in.rank()), n));
    }

    private static List<TensorType> compress(InferContext ctx) {
        TensorType in = ctx.requireType(0);
        Shape cs = ctx.inputShape(1);
        if (cs.rank() != 1) throw ctx.fail("condition must be 1-D, got " + cs);
        Tensor cond = ctx.inputValue(1);
        boolean hasAxis = ctx.node().hasAttr("axis");
        Dim limit = hasAxis ? in.shape().dim(ctx.axis(ctx.attrInt("axis", 0), in.rank())) : in.shape().numelDim();
        Dim n = Dim.unknown();
        if (cond != null) {
            long c = 0;
            int upto = limit.isKnown() ? (int) Math.min(limit.value(), cond.size()) : cond.size();
            for (int i = 0; i < upto; i++) if (cond.getBool(i)) c++;
            n = Dim.of(c);
        }
        if (!hasAxis) return one(in.dtype(), Shape.of(n));
        int axis = ctx.axis(ctx.attrInt("axis", 0), in.rank());
        return one(in.dtype(), in.shape().withDim(axis, n));
    }

    /**
     * Unique's grouping of the slices of x along an axis (or of its elements when {@code axis} is
     * null): {@code order[g]} is the first index of group g in output order, {@code inverse[k]} the
     * group of slice k, {@code counts[g]} its size. Slices compare lexicographically, as numpy does.
     */
    public record UniqueGroups(int[] first, int[] inverse, long[] counts, int outer, int dim, int inner) {}

    public static UniqueGroups uniqueGroups(Tensor x, Integer axis, boolean sorted) {
        int[] s = x.dims();
        int outer = 1, dim = x.size(), inner = 1;
        if (axis != null) {
            outer = 1;
            inner = 1;
            for (int i = 0; i < axis; i++) outer *= s[i];
            for (int i = axis + 1; i < s.length; i++) inner *= s[i];
            dim = s[axis];
        }
        final int fo = outer, fd = dim, fi = inner;
        boolean exact = !x.dtype().isFloating();
        java.util.Comparator<Integer> bySlice = (a, b) -> {
            for (int o = 0; o < fo; o++) {
                for (int i = 0; i < fi; i++) {
                    int ea = (o * fd + a) * fi + i, eb = (o * fd + b) * fi + i;
                    int c = exact ? Long.compare(x.getLong(ea), x.getLong(eb)) : Double.compare(x.getDouble(ea), x.getDouble(eb));
                    if (c != 0) return c;
                }
            }
            return 0;
        };
        Integer[] idx = new Integer[dim];
        for (int k = 0; k < dim; k++) idx[k] = k;
        Arrays.sort(idx, bySlice); // stable: each group starts at its first occurrence
        int[] groupOf = new int[dim];
        List<Integer> firsts = new ArrayList<>();
        for (int k = 0; k < dim; k++) {
            if (k == 0 || bySlice.compare(idx[k - 1], idx[k]) != 0) firsts.add(idx[k]);
            groupOf[idx[k]] = firsts.size() - 1;
        }
        int g = firsts.size();
        int[] rank = new int[g]; // sorted group -> output position
        Integer[] byFirst = new Integer[g];
        for (int i = 0; i < g; i++) byFirst[i] = i;
        if (!sorted) Arrays.sort(byFirst, (a, b) -> Integer.compare(firsts.get(a), firsts.get(b)));
        for (int pos = 0; pos < g; pos++) rank[byFirst[pos]] = pos;
        int[] first = new int[g];
        long[] counts = new long[g];
        int[] inverse = new int[dim];
        for (int i = 0; i < g; i++) first[rank[i]] = firsts.get(i);
        for (int k = 0; k < dim; k++) {
            inverse[k] = rank[groupOf[k]];
            counts[inverse[k]]++;
        }
        return new UniqueGroups(first, inverse, counts, outer, dim, inner);
    }

    private static List<TensorType> unique(InferContext ctx) {
        TensorType in = ctx.requireType(0);
        if (in.dtype() == DType.STRING) throw ctx.fail("strings are not supported");
        Integer axis = ctx.node().hasAttr("axis") ? ctx.axis(ctx.attrInt("axis", 0), in.rank()) : null;
        Tensor v = ctx.inputValue(0);
        Dim n = Dim.unknown();
        if (v != null) n = Dim.of(uniqueGroups(v, axis, ctx.attrInt("sorted", 1) != 0).first().length);
        Shape y = axis == null ? Shape.of(n) : in.shape().withDim(axis, n);
        Dim len = axis == null ? in.shape().numelDim() : in.shape().dim(axis);
        return List.of(new TensorType(in.dtype(), y), new TensorType(DType.INT64, Shape.of(n)),
                new TensorType(DType.INT64, Shape.of(len)), new TensorType(DType.INT64, Shape.of(n)));
    }
}
