package dev.edgeopt.engine.kernels;

import dev.edgeopt.engine.Kernel;
import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.KernelRegistry;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ops.ShapeSchemas;
import dev.edgeopt.tensor.Tensor;
import java.util.Arrays;

/**
 * Kernels of the shape and data-movement family; see {@link KernelRegistry#standard()}.
 *
 * <p>These kernels move elements without reading them, so every dtype works through
 * {@link Move} and {@link StridedCopy}. Output shapes arrive concrete, so most kernels derive
 * their layout from the shapes alone; inputs that shape inference needed as values (Slice starts,
 * Pad pads...) are constants by the time a kernel is prepared, because the plan folds everything
 * that depends only on shapes.
 */
public final class ShapeKernels {
    private ShapeKernels() {}

    public static void register(KernelRegistry r) {
        for (String op : new String[] {"Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze"}) {
            r.register(op, ShapeKernels::copy);
            r.registerView(op);
        }
        r.register("Dropout", ShapeKernels::dropout);
        r.registerView("Dropout", ShapeKernels::dropoutIsView);
        r.register("Transpose", ShapeKernels::transpose);
        r.register("Concat", ShapeKernels::concat);
        r.register("Split", ShapeKernels::split);
        r.register("Slice", ShapeKernels::slice);
        r.register("Shape", ShapeKernels::shape);
        r.register("Size", ShapeKernels::size);
        r.register("Gather", ShapeKernels::gather);
        r.register("GatherElements", ShapeKernels::gatherElements);
        r.register("GatherND", ShapeKernels::gatherNd);
        r.register("ScatterElements", ShapeKernels::scatterElements);
        r.register("Scatter", ShapeKernels::scatterElements);
        r.register("ScatterND", ShapeKernels::scatterNd);
        r.register("ConstantOfShape", ShapeKernels::constantOfShape);
        r.register("Constant", ShapeKernels::constant);
        r.register("Expand", ShapeKernels::expand);
        r.register("Tile", ShapeKernels::tile);
        r.register("Pad", ShapeKernels::pad);
        r.register("Range", ShapeKernels::range);
        r.register("DepthToSpace", ShapeKernels::depthToSpace);
        r.register("SpaceToDepth", ShapeKernels::spaceToDepth);
        r.register("EyeLike", ShapeKernels::eyeLike);
        r.register("OneHot", ShapeKernels::oneHot);
        r.register("Trilu", ShapeKernels::trilu);
        r.register("NonZero", ShapeKernels::nonZero);
        r.register("Compress", ShapeKernels::compress);
        r.register("ReverseSequence", ShapeKernels::reverseSequence);
        r.register("Unique", ShapeKernels::unique);
    }

    // ------------------------------------------------------------------ helpers

    private static int prod(int[] s, int from, int to) {
        int p = 1;
        for (int i = from; i < to; i++) p *= s[i];
        return p;
    }

    /** The integer contents of a constant input, or a failure naming what must be constant. */
    private static long[] constLongs(KernelContext kc, int i, String what) {
        Tensor t = kc.constant(i);
        if (t == null) throw kc.fail(what + " must be known when the plan is built (a constant or computed from shapes)");
        return t.toLongArray();
    }

    private static long[] optConstLongs(KernelContext kc, int i, String what) {
        return kc.hasInput(i) ? constLongs(kc, i, what) : null;
    }

    /** The EdgeoptException for a bad index found at run time (indices are data, not known at preparation). */
    private static RuntimeException badIndex(KernelContext kc, long index, long dim) {
        return kc.fail("index " + index + " is out of range for a dimension of size " + dim);
    }

    // ------------------------------------------------------------------ views and copies

    /** Identity-like ops: output 0 is input 0's elements in order; runs only when the planner could not alias. */
    static Kernel copy(KernelContext kc) {
        return (in, out) -> in[0].copyTo(out[0]);
    }

    /** Dropout is the identity in inference; it is a view only when no mask is requested. */
    static boolean dropoutIsView(Node n) {
        if (n.outputCount() > 1) {
            // Import names omitted outputs, so "requested" means read by a node or the graph.
            dev.edgeopt.ir.Value m = n.output(1);
            dev.edgeopt.ir.Graph g = n.graph();
            if (g == null || !g.uses(m).isEmpty() || g.isGraphOutput(m)) return false;
        }
        // A training_mode input that may be true makes it random: not a view.
        if (n.inputCount() > 2 && n.input(2) != null) {
            Tensor t = n.input(2).constant();
            return t != null && !t.getBool(0);
        }
        return true;
    }

    static Kernel dropout(KernelContext kc) {
        boolean mask = kc.outputCount() > 1 && kc.outType(1) != null;
        Tensor one = mask ? Tensor.allocate(kc.outDtype(1), 1) : null;
        if (mask) one.setDouble(0, 1);
        // Training mode with a non-zero ratio draws a random mask; known at preparation it is
        // refused there, otherwise when the run asks for it.
        Tensor trainingConst = kc.hasInput(2) ? kc.constant(2) : null;
        boolean maybeTraining = kc.hasInput(2) && (trainingConst == null || trainingConst.getBool(0));
        if (trainingConst != null && trainingConst.getBool(0)) {
            Tensor ratio = kc.hasInput(1) ? kc.constant(1) : null;
            if (!kc.hasInput(1) || ratio != null && ratio.getDouble(0) != 0) throw kc.fail(TRAINING_DROPOUT);
        }
        return (in, out) -> {
            if (maybeTraining && in[2].getBool(0)) {
                double ratio = in.length > 1 && in[1] != null ? in[1].getDouble(0) : 0.5;
                if (ratio != 0) throw kc.fail(TRAINING_DROPOUT);
            }
            in[0].copyTo(out[0]);
            if (mask) Move.fill(one.data(), 0, out[1].data(), out[1].offset(), out[1].size());
        };
    }

    private static final String TRAINING_DROPOUT = "training-mode dropout with a non-zero ratio (a random mask) is not supported by the inference engine";

    // ------------------------------------------------------------------ layout

    static Kernel transpose(KernelContext kc) {
        int[] s = kc.inShape(0);
        int rank = s.length;
        long[] p = kc.attrInts("perm", null);
        int[] perm = new int[rank];
        for (int i = 0; i < rank; i++) perm[i] = p == null ? rank - 1 - i : kc.axis(p[i], rank);
        int[] st = Tensor.strides(s);
        int[] dims = new int[rank], ss = new int[rank];
        for (int i = 0; i < rank; i++) {
            dims[i] = s[perm[i]];
            ss[i] = st[perm[i]];
        }
        StridedCopy c = StridedCopy.dense(dims, ss);
        var pool = kc.pool();
        return (in, out) -> c.run(in[0].data(), in[0].offset(), out[0].data(), out[0].offset(), pool);
    }

    static Kernel concat(KernelContext kc) {
        int[] os = kc.outShape(0);
        int axis = kc.axis(kc.attrInt("axis", 0), os.length);
        int outer = prod(os, 0, axis), innerUnit = prod(os, axis + 1, os.length);
        int n = kc.inputCount();
        int[] run = new int[n];
        for (int i = 0; i < n; i++) run[i] = kc.inShape(i)[axis] * innerUnit;
        int total = os[axis] * innerUnit;
        return (in, out) -> {
            Object dst = out[0].data();
            int base = out[0].offset();
            int at = 0;
            for (int i = 0; i < n; i++) {
                int len = run[i];
                if (len == 0) continue;
                Object src = in[i].data();
                int so = in[i].offset();
                for (int o = 0; o < outer; o++) System.arraycopy(src, so + o * len, dst, base + o * total + at, len);
                at += len;
            }
        };
    }

    static Kernel split(KernelContext kc) {
        int[] s = kc.inShape(0);
        int axis = kc.axis(kc.attrInt("axis", 0), s.length);
        int outer = prod(s, 0, axis), innerUnit = prod(s, axis + 1, s.length);
        int n = kc.outputCount();
        int[] run = new int[n];
        int sum = 0;
        for (int i = 0; i < n; i++) {
            run[i] = kc.outShape(i)[axis] * innerUnit;
            sum += kc.outShape(i)[axis];
        }
        if (sum != s[axis]) throw kc.fail("outputs take " + sum + " of dim " + s[axis]);
        int total = s[axis] * innerUnit;
        return (in, out) -> {
            Object src = in[0].data();
            int base = in[0].offset();
            int at = 0;
            for (int i = 0; i < n; i++) {
                int len = run[i];
                if (len == 0) continue;
                Object dst = out[i].data();
                int d = out[i].offset();
                for (int o = 0; o < outer; o++) System.arraycopy(src, base + o * total + at, dst, d + o * len, len);
                at += len;
            }
        };
    }

    static Kernel slice(KernelContext kc) {
        int[] s = kc.inShape(0);
        long[] starts, ends, axes, steps;
        if (kc.opset() < 10) {
            starts = kc.attrInts("starts", null);
            ends = kc.attrInts("ends", null);
            axes = kc.attrInts("axes", null);
            steps = null;
        } else {
            starts = constLongs(kc, 1, "starts");
            ends = constLongs(kc, 2, "ends");
            axes = optConstLongs(kc, 3, "axes");
            steps = optConstLongs(kc, 4, "steps");
        }
        long[] dims = new long[s.length];
        for (int i = 0; i < s.length; i++) dims[i] = s[i];
        long[][] r = ShapeSchemas.sliceRanges(dims, starts, ends, axes, steps, kc::fail);
        int[] st = Tensor.strides(s);
        int[] cnt = new int[s.length], ss = new int[s.length];
        int off = 0;
        for (int i = 0; i < s.length; i++) {
            cnt[i] = (int) r[2][i];
            ss[i] = (int) (st[i] * r[1][i]);
            off += (int) (r[0][i] * st[i]);
        }
        if (!Arrays.equals(cnt, kc.outShape(0))) throw kc.fail("slice gives " + Arrays.toString(cnt) + ", inferred " + Arrays.toString(kc.outShape(0)));
        StridedCopy c = StridedCopy.dense(cnt, ss);
        int start = off;
        return (in, out) -> c.run(in[0].data(), in[0].offset() + start, out[0].data(), out[0].offset());
    }

    static Kernel expand(KernelContext kc) {
        int[] os = kc.outShape(0);
        int[] ss = dev.edgeopt.tensor.Broadcast.strides(kc.inShape(0), os);
        StridedCopy c = StridedCopy.dense(os, ss);
        return (in, out) -> c.run(in[0].data(), in[0].offset(), out[0].data(), out[0].offset());
    }

    static Kernel tile(KernelContext kc) {
        int[] s = kc.inShape(0), os = kc.outShape(0);
        int[] st = Tensor.strides(s);
        // Output [r0*d0, r1*d1, ...] read row-major is [r0, d0, r1, d1, ...] with the repeat axes at stride 0.
        int[] dims = new int[2 * s.length], ss = new int[2 * s.length];
        for (int i = 0; i < s.length; i++) {
            dims[2 * i] = s[i] == 0 ? 0 : os[i] / s[i];
            dims[2 * i + 1] = s[i];
            ss[2 * i + 1] = st[i];
        }
        StridedCopy c = StridedCopy.dense(dims, ss);
        return (in, out) -> c.run(in[0].data(), in[0].offset(), out[0].data(), out[0].offset());
    }

    /** DepthToSpace and SpaceToDepth: a reshape to 6-d, a transpose, a reshape back. */
    private static Kernel blockTranspose(KernelContext kc, int[] six, int[] perm) {
        int[] st = Tensor.strides(six);
        int[] dims = new int[6], ss = new int[6];
        for (int i = 0; i < 6; i++) {
            dims[i] = six[perm[i]];
            ss[i] = st[perm[i]];
        }
        StridedCopy c = StridedCopy.dense(dims, ss);
        return (in, out) -> c.run(in[0].data(), in[0].offset(), out[0].data(), out[0].offset());
    }

    static Kernel depthToSpace(KernelContext kc) {
        int[] s = kc.inShape(0);
        int b = (int) kc.attrInt("blocksize", 0);
        int n = s[0], c = s[1] / (b * b), h = s[2], w = s[3];
        if (kc.attrString("mode", "DCR").equals("DCR")) return blockTranspose(kc, new int[] {n, b, b, c, h, w}, new int[] {0, 3, 4, 1, 5, 2});
        return blockTranspose(kc, new int[] {n, c, b, b, h, w}, new int[] {0, 1, 4, 2, 5, 3});
    }

    static Kernel spaceToDepth(KernelContext kc) {
        int[] s = kc.inShape(0);
        int b = (int) kc.attrInt("blocksize", 0);
        return blockTranspose(kc, new int[] {s[0], s[1], s[2] / b, b, s[3] / b, b}, new int[] {0, 3, 5, 1, 2, 4});
    }

    static Kernel pad(KernelContext kc) {
        int[] s = kc.inShape(0), os = kc.outShape(0);
        int rank = s.length;
        long[] p = kc.opset() < 11 ? kc.attrInts("pads", null) : constLongs(kc, 1, "pads");
        long[] axes = kc.opset() >= 18 ? optConstLongs(kc, 3, "axes") : null;
        long[] pads = ShapeSchemas.pads(p, axes, rank, kc::fail);
        String mode = kc.attrString("mode", "constant");
        int[] ist = Tensor.strides(s), ost = Tensor.strides(os);
        if (mode.equals("constant")) {
            float attrValue = kc.attrFloat("value", 0f);
            boolean fromInput = kc.opset() >= 11 && kc.hasInput(2);
            Tensor fill = Tensor.allocate(kc.outDtype(0), 1);
            if (!fromInput && attrValue != 0) fill.setDouble(0, attrValue);
            // One pass over output rows (last axis): a row outside the input along some outer axis
            // is all fill; otherwise fill, one contiguous copy of the surviving input, fill.
            int inner = rank == 0 ? 1 : os[rank - 1];
            int rows = rank == 0 ? 1 : prod(os, 0, rank - 1);
            int[] rowBase = new int[rows];
            for (int row = 0; row < rows; row++) {
                int rem = row, base = 0;
                for (int i = rank - 2; i >= 0 && base >= 0; i--) {
                    int x = rem % os[i] - (int) pads[i];
                    rem /= os[i];
                    base = x < 0 || x >= s[i] ? -1 : base + x * ist[i];
                }
                rowBase[row] = base;
            }
            int b = rank == 0 ? 0 : (int) pads[rank - 1];
            int lead = Math.max(0, b), skip = Math.max(0, -b);
            int len = rank == 0 ? 1 : Math.max(0, Math.min(s[rank - 1] - skip, inner - lead));
            int tail = inner - lead - len;
            return (in, out) -> {
                Tensor v = fromInput && in[2] != null ? in[2] : fill;
                Object src = in[0].data(), dst = out[0].data(), val = v.data();
                int so = in[0].offset() + skip, vo = v.offset(), d = out[0].offset();
                if (dst instanceof float[] y) {
                    // The common case without per-call dispatch: borders are one or two elements.
                    float[] x = (float[]) src;
                    float f = ((float[]) val)[vo];
                    for (int row = 0; row < rows; row++, d += inner) {
                        int base = rowBase[row];
                        if (base < 0) {
                            Arrays.fill(y, d, d + inner, f);
                            continue;
                        }
                        for (int k = 0; k < lead; k++) y[d + k] = f;
                        System.arraycopy(x, so + base, y, d + lead, len);
                        for (int k = d + lead + len; k < d + inner; k++) y[k] = f;
                    }
                    return;
                }
                for (int row = 0; row < rows; row++, d += inner) {
                    int base = rowBase[row];
                    if (base < 0) {
                        Move.fill(val, vo, dst, d, inner);
                        continue;
                    }
                    Move.fill(val, vo, dst, d, lead);
                    System.arraycopy(src, so + base, dst, d + lead, len);
                    Move.fill(val, vo, dst, d + lead + len, tail);
                }
            };
        }
        if (!mode.equals("edge") && !mode.equals("reflect") && !mode.equals("wrap")) throw kc.fail("unknown mode '" + mode + "'");
        // Per axis, the source index of every output index; the copy then gathers rows.
        int[][] map = new int[rank][];
        for (int i = 0; i < rank; i++) {
            int b = (int) pads[i], d = s[i];
            map[i] = new int[os[i]];
            if (d == 0 && os[i] > 0) throw kc.fail(mode + " padding of an empty axis " + i);
            for (int o = 0; o < os[i]; o++) {
                int x = o - b;
                if (mode.equals("edge")) x = Math.clamp(x, 0, d - 1);
                else if (mode.equals("wrap")) x = Math.floorMod(x, d);
                else {
                    if (d == 1) x = 0;
                    else {
                        int period = 2 * (d - 1);
                        x = Math.floorMod(x, period);
                        if (x >= d) x = period - x;
                    }
                }
                map[i][o] = x * ist[i];
            }
        }
        int inner = rank == 0 ? 1 : os[rank - 1];
        int rows = rank == 0 ? 1 : prod(os, 0, rank - 1);
        int[] rowBase = new int[rows];
        for (int row = 0; row < rows; row++) {
            int rem = row, base = 0;
            for (int i = rank - 2; i >= 0; i--) {
                base += map[i][rem % os[i]];
                rem /= os[i];
            }
            rowBase[row] = base;
        }
        int[] last = rank == 0 ? new int[] {0} : map[rank - 1];
        return (in, out) -> {
            Object src = in[0].data(), dst = out[0].data();
            int so = in[0].offset(), d = out[0].offset();
            for (int row = 0; row < rows; row++) Move.gather(src, so + rowBase[row], last, 0, dst, d + row * inner, inner);
        };
    }

    // ------------------------------------------------------------------ shape queries

    static Kernel shape(KernelContext kc) {
        int[] s = kc.inShape(0);
        int lo = 0, hi = s.length;
        if (kc.opset() >= 15) {
            long start = kc.attrInt("start", 0), end = kc.attrInt("end", s.length);
            if (start < 0) start += s.length;
            if (end < 0) end += s.length;
            lo = (int) Math.clamp(start, 0, s.length);
            hi = Math.max(lo, (int) Math.clamp(end, 0, s.length));
        }
        long[] v = new long[hi - lo];
        for (int i = lo; i < hi; i++) v[i - lo] = s[i];
        return (in, out) -> System.arraycopy(v, 0, out[0].longs(), out[0].offset(), v.length);
    }

    static Kernel size(KernelContext kc) {
        long n = Tensor.numel(kc.inShape(0));
        return (in, out) -> out[0].longs()[out[0].offset()] = n;
    }

    // ------------------------------------------------------------------ indexing

    static Kernel gather(KernelContext kc) {
        int[] s = kc.inShape(0);
        int axis = kc.axis(kc.attrInt("axis", 0), s.length);
        int outer = prod(s, 0, axis), dim = s[axis], inner = prod(s, axis + 1, s.length);
        int nIdx = Tensor.numel(kc.inShape(1));
        return (in, out) -> {
            Object src = in[0].data(), ix = in[1].data(), dst = out[0].data();
            int so = in[0].offset(), io = in[1].offset(), d = out[0].offset();
            for (int j = 0; j < nIdx; j++) {
                long k = Move.index(ix, io + j);
                if (k < 0) k += dim;
                if (k < 0 || k >= dim) throw badIndex(kc, Move.index(ix, io + j), dim);
                for (int o = 0; o < outer; o++) {
                    System.arraycopy(src, so + (o * dim + (int) k) * inner, dst, d + (o * nIdx + j) * inner, inner);
                }
            }
        };
    }

    static Kernel gatherElements(KernelContext kc) {
        int[] s = kc.inShape(0), is = kc.inShape(1);
        int rank = s.length;
        int axis = kc.axis(kc.attrInt("axis", 0), rank);
        int[] st = Tensor.strides(s);
        int n = Tensor.numel(is);
        int[] idx = new int[rank];
        return (in, out) -> {
            Object src = in[0].data(), ix = in[1].data(), dst = out[0].data();
            int so = in[0].offset(), io = in[1].offset(), d = out[0].offset();
            Arrays.fill(idx, 0);
            int base = 0; // offset of idx in data, without the axis term
            for (int e = 0; e < n; e++) {
                long k = Move.index(ix, io + e);
                if (k < 0) k += s[axis];
                if (k < 0 || k >= s[axis]) throw badIndex(kc, Move.index(ix, io + e), s[axis]);
                System.arraycopy(src, so + base + (int) k * st[axis], dst, d + e, 1);
                for (int a = rank - 1; a >= 0; a--) {
                    idx[a]++;
                    if (a != axis) base += st[a];
                    if (idx[a] < is[a]) break;
                    if (a != axis) base -= st[a] * is[a];
                    idx[a] = 0;
                }
            }
        };
    }

    /** Scatter reductions (opset 16/18); none overwrites, so the last duplicate wins. */
    private enum Reduction { NONE, ADD, MUL, MAX, MIN }

    private static Reduction reduction(KernelContext kc) {
        String r = kc.attrString("reduction", "none");
        return switch (r) {
            case "none" -> Reduction.NONE;
            case "add" -> Reduction.ADD;
            case "mul" -> Reduction.MUL;
            case "max" -> Reduction.MAX;
            case "min" -> Reduction.MIN;
            default -> throw kc.fail("unknown reduction '" + r + "'");
        };
    }

    /** out[o] = reduce(out[o], upd[u]) element-wise over the dtype. */
    private static void apply(Reduction r, Tensor out, int o, Tensor upd, int u) {
        if (r == Reduction.NONE) {
            System.arraycopy(upd.data(), upd.offset() + u, out.data(), out.offset() + o, 1);
            return;
        }
        if (out.dtype() == DType.INT64 || out.dtype() == DType.UINT64 || out.dtype() == DType.BOOL) {
            long a = out.getLong(o), b = upd.getLong(u);
            long v = switch (r) {
                case ADD -> out.dtype() == DType.BOOL ? a | b : a + b;
                case MUL -> out.dtype() == DType.BOOL ? a & b : a * b;
                case MAX -> out.dtype() == DType.UINT64 ? (Long.compareUnsigned(a, b) >= 0 ? a : b) : Math.max(a, b);
                case MIN -> out.dtype() == DType.UINT64 ? (Long.compareUnsigned(a, b) <= 0 ? a : b) : Math.min(a, b);
                case NONE -> b;
            };
            out.setLong(o, v);
            return;
        }
        double a = out.getDouble(o), b = upd.getDouble(u);
        double v = switch (r) {
            case ADD -> a + b;
            case MUL -> a * b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case NONE -> b;
        };
        if (out.dtype().isInteger()) out.setLong(o, (long) v); else out.setDouble(o, v);
    }

    static Kernel scatterElements(KernelContext kc) {
        int[] s = kc.inShape(0), is = kc.inShape(1);
        if (!Arrays.equals(is, kc.inShape(2))) throw kc.fail("indices " + Arrays.toString(is) + " and updates " + Arrays.toString(kc.inShape(2)) + " differ in shape");
        int rank = s.length;
        if (is.length != rank) throw kc.fail("indices rank " + is.length + " differs from data rank " + rank);
        int axis = kc.axis(kc.attrInt("axis", 0), rank);
        Reduction red = kc.node().opType().equals("Scatter") ? Reduction.NONE : reduction(kc);
        int[] st = Tensor.strides(s);
        int n = Tensor.numel(is);
        int[] idx = new int[rank];
        return (in, out) -> {
            in[0].copyTo(out[0]);
            Object ix = in[1].data();
            int io = in[1].offset();
            Arrays.fill(idx, 0);
            int base = 0;
            for (int e = 0; e < n; e++) {
                long k = Move.index(ix, io + e);
                if (k < 0) k += s[axis];
                if (k < 0 || k >= s[axis]) throw badIndex(kc, Move.index(ix, io + e), s[axis]);
                apply(red, out[0], base + (int) k * st[axis], in[2], e);
                for (int a = rank - 1; a >= 0; a--) {
                    idx[a]++;
                    if (a != axis) base += st[a];
                    if (idx[a] < is[a]) break;
                    if (a != axis) base -= st[a] * is[a];
                    idx[a] = 0;
                }
            }
        };
    }

    static Kernel gatherNd(KernelContext kc) {
        int[] s = kc.inShape(0), is = kc.inShape(1);
        int b = (int) kc.attrInt("batch_dims", 0);
        int k = is[is.length - 1];
        for (int i = 0; i < b; i++) if (s[i] != is[i]) throw kc.fail("batch dim " + i + " differs between data and indices");
        int batches = prod(s, 0, b), perBatchData = prod(s, b, s.length);
        int tuples = prod(is, b, is.length - 1), slice = prod(s, b + k, s.length);
        int[] st = Tensor.strides(s);
        return (in, out) -> {
            Object src = in[0].data(), ix = in[1].data(), dst = out[0].data();
            int so = in[0].offset(), io = in[1].offset(), d = out[0].offset();
            for (int bi = 0; bi < batches; bi++) {
                for (int m = 0; m < tuples; m++) {
                    int t = bi * tuples + m;
                    int off = bi * perBatchData;
                    for (int j = 0; j < k; j++) {
                        long x = Move.index(ix, io + t * k + j);
                        int dim = s[b + j];
                        if (x < 0) x += dim;
                        if (x < 0 || x >= dim) throw badIndex(kc, Move.index(ix, io + t * k + j), dim);
                        off += (int) x * st[b + j];
                    }
                    System.arraycopy(src, so + off, dst, d + t * slice, slice);
                }
            }
        };
    }

    static Kernel scatterNd(KernelContext kc) {
        int[] s = kc.inShape(0), is = kc.inShape(1);
        int k = is[is.length - 1];
        if (k > s.length) throw kc.fail("indices address " + k + " dims of rank-" + s.length + " data");
        int tuples = prod(is, 0, is.length - 1), slice = prod(s, k, s.length);
        int[] st = Tensor.strides(s);
        Reduction red = reduction(kc);
        return (in, out) -> {
            in[0].copyTo(out[0]);
            Object ix = in[1].data();
            int io = in[1].offset();
            for (int t = 0; t < tuples; t++) {
                int off = 0;
                for (int j = 0; j < k; j++) {
                    long x = Move.index(ix, io + t * k + j);
                    if (x < 0) x += s[j];
                    if (x < 0 || x >= s[j]) throw badIndex(kc, Move.index(ix, io + t * k + j), s[j]);
                    off += (int) x * st[j];
                }
                if (red == Reduction.NONE) {
                    System.arraycopy(in[2].data(), in[2].offset() + t * slice, out[0].data(), out[0].offset() + off, slice);
                } else {
                    for (int e = 0; e < slice; e++) apply(red, out[0], off + e, in[2], t * slice + e);
                }
            }
        };
    }

    // ------------------------------------------------------------------ generators

    static Kernel constant(KernelContext kc) {
        Tensor v = ShapeSchemas.constantValue(kc.node(), kc::fail);
        return (in, out) -> v.copyTo(out[0]);
    }

    static Kernel constantOfShape(KernelContext kc) {
        Tensor v = kc.node().attrTensor("value");
        Tensor value = v != null ? v : Tensor.allocate(DType.FLOAT, 1);
        if (value.dtype() != kc.outDtype(0)) throw kc.fail("value is " + value.dtype() + " but the output is " + kc.outDtype(0));
        return (in, out) -> Move.fill(value.data(), value.offset(), out[0].data(), out[0].offset(), out[0].size());
    }

    static Kernel range(KernelContext kc) {
        DType t = kc.outDtype(0);
        if (t == DType.STRING || t == DType.BOOL) throw kc.fail("Range does not support " + t);
        return (in, out) -> {
            Tensor y = out[0];
            int n = y.size();
            if (t.isFloating()) {
                double s = in[0].getDouble(0), d = in[2].getDouble(0);
                for (int i = 0; i < n; i++) y.setDouble(i, s + i * d);
            } else {
                long s = in[0].getLong(0), d = in[2].getLong(0);
                for (int i = 0; i < n; i++) y.setLong(i, s + i * d);
            }
        };
    }

    static Kernel eyeLike(KernelContext kc) {
        int[] s = kc.outShape(0);
        int k = (int) kc.attrInt("k", 0);
        DType t = kc.outDtype(0);
        if (t == DType.STRING) throw kc.fail("EyeLike does not support strings");
        Tensor one = Tensor.allocate(t, 1);
        one.setDouble(0, 1);
        return (in, out) -> {
            Object dst = out[0].data();
            int d = out[0].offset();
            Move.zero(dst, d, out[0].size());
            for (int i = 0; i < s[0]; i++) {
                int j = i + k;
                if (j >= 0 && j < s[1]) System.arraycopy(one.data(), 0, dst, d + i * s[1] + j, 1);
            }
        };
    }

    static Kernel oneHot(KernelContext kc) {
        int[] os = kc.outShape(0), is = kc.inShape(0);
        int axis = kc.axis(kc.attrInt("axis", -1), os.length);
        int depth = os[axis];
        int outer = prod(is, 0, axis), inner = prod(is, axis, is.length);
        if (Tensor.numel(kc.inShape(2)) != 2) throw kc.fail("values must hold [off, on]");
        return (in, out) -> {
            Tensor ix = in[0], vals = in[2];
            Object dst = out[0].data();
            int d = out[0].offset();
            Move.fill(vals.data(), vals.offset(), dst, d, out[0].size());
            for (int o = 0; o < outer; o++) {
                for (int i = 0; i < inner; i++) {
                    long x = (long) ix.getDouble(o * inner + i);
                    if (x < 0) x += depth;
                    if (x < 0 || x >= depth) continue;
                    System.arraycopy(vals.data(), vals.offset() + 1, dst, d + (o * depth + (int) x) * inner + i, 1);
                }
            }
        };
    }

    static Kernel trilu(KernelContext kc) {
        int[] s = kc.inShape(0);
        if (s.length < 2) throw kc.fail("input must have rank >= 2");
        boolean upper = kc.attrInt("upper", 1) != 0;
        int rows = s[s.length - 2], cols = s[s.length - 1];
        int mats = prod(s, 0, s.length - 2);
        return (in, out) -> {
            long k = kc.hasInput(1) && in[1] != null ? in[1].getLong(0) : 0;
            in[0].copyTo(out[0]);
            Object dst = out[0].data();
            int d = out[0].offset();
            for (int m = 0; m < mats; m++) {
                for (int i = 0; i < rows; i++) {
                    int row = d + (m * rows + i) * cols;
                    // Kept: j - i >= k (upper) or j - i <= k (lower).
                    long edge = i + k;
                    if (upper) Move.zero(dst, row, (int) Math.clamp(edge, 0, cols));
                    else {
                        int from = (int) Math.clamp(edge + 1, 0, cols);
                        Move.zero(dst, row + from, cols - from);
                    }
                }
            }
        };
    }

    static Kernel nonZero(KernelContext kc) {
        int[] s = kc.inShape(0);
        int rank = s.length;
        int nnz = kc.outShape(0)[1];
        int n = Tensor.numel(s);
        int[] st = Tensor.strides(s);
        return (in, out) -> {
            Tensor x = in[0];
            long[] y = out[0].longs();
            int yo = out[0].offset();
            int j = 0;
            for (int e = 0; e < n; e++) {
                if (x.dtype() == DType.BOOL ? !x.getBool(e) : x.getDouble(e) == 0) continue;
                if (j >= nnz) throw kc.fail("more non-zero elements than the planned " + nnz);
                int rem = e;
                for (int a = 0; a < rank; a++) {
                    y[yo + a * nnz + j] = rem / st[a];
                    rem %= st[a];
                }
                j++;
            }
            if (j != nnz) throw kc.fail(j + " non-zero elements, planned " + nnz);
        };
    }

    static Kernel compress(KernelContext kc) {
        int[] s = kc.inShape(0);
        boolean hasAxis = kc.node().hasAttr("axis");
        int axis = hasAxis ? kc.axis(kc.attrInt("axis", 0), s.length) : 0;
        int outer = hasAxis ? prod(s, 0, axis) : 1;
        int dim = hasAxis ? s[axis] : Tensor.numel(s);
        int inner = hasAxis ? prod(s, axis + 1, s.length) : 1;
        int kept = hasAxis ? kc.outShape(0)[axis] : kc.outShape(0)[0];
        int condLen = kc.inShape(1)[0];
        return (in, out) -> {
            boolean[] c = in[1].bools();
            int co = in[1].offset();
            Object src = in[0].data(), dst = out[0].data();
            int so = in[0].offset(), d = out[0].offset();
            int upto = Math.min(dim, condLen);
            int j = 0;
            for (int i = 0; i < upto; i++) {
                if (!c[co + i]) continue;
                if (j >= kept) throw kc.fail("more selected elements than the planned " + kept);
                for (int o = 0; o < outer; o++) System.arraycopy(src, so + (o * dim + i) * inner, dst, d + (o * kept + j) * inner, inner);
                j++;
            }
            if (j != kept) throw kc.fail(j + " selected elements, planned " + kept);
        };
    }

    static Kernel reverseSequence(KernelContext kc) {
        int[] s = kc.inShape(0);
        if (s.length < 2) throw kc.fail("input must have rank >= 2");
        int batchAxis = (int) kc.attrInt("batch_axis", 1), timeAxis = (int) kc.attrInt("time_axis", 0);
        if (!(batchAxis == 0 && timeAxis == 1 || batchAxis == 1 && timeAxis == 0)) throw kc.fail("batch_axis and time_axis must be 0 and 1");
        int[] st = Tensor.strides(s);
        int batch = s[batchAxis], time = s[timeAxis], inner = prod(s, 2, s.length);
        return (in, out) -> {
            Tensor lens = in[1];
            Object src = in[0].data(), dst = out[0].data();
            int so = in[0].offset(), d = out[0].offset();
            for (int b = 0; b < batch; b++) {
                long len = lens.getLong(b);
                if (len < 0 || len > time) throw kc.fail("sequence length " + len + " is out of range for " + time + " steps");
                for (int t = 0; t < time; t++) {
                    int from = t < len ? (int) len - 1 - t : t;
                    System.arraycopy(src, so + b * st[batchAxis] + from * st[timeAxis], dst, d + b * st[batchAxis] + t * st[timeAxis], inner);
                }
            }
        };
    }

    /**
     * Unique's output shapes depend on the data, so the engine only meets it with a known input
     * (folded or evaluated eagerly); the grouping is computed at preparation and run copies it.
     */
    static Kernel unique(KernelContext kc) {
        Tensor x = kc.constant(0);
        if (x == null) throw kc.fail("Unique needs its input known when the kernel is prepared (its output shape depends on the data)");
        Integer axis = kc.node().hasAttr("axis") ? kc.axis(kc.attrInt("axis", 0), x.rank()) : null;
        ShapeSchemas.UniqueGroups u = ShapeSchemas.uniqueGroups(x, axis, kc.attrInt("sorted", 1) != 0);
        int g = u.first().length, outer = u.outer(), dim = u.dim(), inner = u.inner();
        long[] first = new long[g], inverse = new long[dim];
        for (int i = 0; i < g; i++) first[i] = u.first()[i];
        for (int k = 0; k < dim; k++) inverse[k] = u.inverse()[k];
        return (in, out) -> {
            Object src = in[0].data(), dst = out[0].data();
            int so = in[0].offset(), d = out[0].offset();
            for (int o = 0; o < outer; o++) {
                for (int i = 0; i < g; i++) System.arraycopy(src, so + (o * dim + u.first()[i]) * inner, dst, d + (o * g + i) * inner, inner);
            }
            if (out.length > 1 && out[1] != null) System.arraycopy(first, 0, out[1].longs(), out[1].offset(), g);
            if (out.length > 2 && out[2] != null) System.arraycopy(inverse, 0, out[2].longs(), out[2].offset(), dim);
            if (out.length > 3 && out[3] != null) System.arraycopy(u.counts(), 0, out[3].longs(), out[3].offset(), g);
        };
    }
}
