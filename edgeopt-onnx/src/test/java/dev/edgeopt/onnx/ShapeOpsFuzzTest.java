package dev.edgeopt.onnx;

import dev.edgeopt.ir.DType;
import dev.edgeopt.onnx.ShapeOpsOrtTest.Case;
import dev.edgeopt.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded random cases of the most used data-movement ops against ONNX Runtime: shapes, axes,
 * out-of-range and negative slice bounds, negative steps, negative pads. The same seed gives the
 * same cases; a failure message prints the case.
 */
class ShapeOpsFuzzTest {
    static final DType[] TYPES = {DType.FLOAT, DType.INT8, DType.INT64, DType.FLOAT16, DType.BOOL};

    static int[] shape(Random r, int rank, int max) {
        int[] s = new int[rank];
        for (int i = 0; i < rank; i++) s[i] = 1 + r.nextInt(max);
        return s;
    }

    static DType type(Random r) { return TYPES[r.nextInt(TYPES.length)]; }

    @Test
    void slices() {
        Random r = new Random(11);
        for (int k = 0; k < 60; k++) {
            int rank = 1 + r.nextInt(4);
            int[] s = shape(r, rank, 7);
            int n = 1 + r.nextInt(rank);
            long[] starts = new long[n], ends = new long[n], axes = new long[n], steps = new long[n];
            boolean[] used = new boolean[rank];
            for (int i = 0; i < n; i++) {
                int a;
                do a = r.nextInt(rank); while (used[a]);
                used[a] = true;
                axes[i] = r.nextBoolean() ? a : a - rank;
                starts[i] = r.nextInt(2 * s[a] + 5) - s[a] - 2;
                steps[i] = (r.nextBoolean() ? 1 : -1) * (1 + r.nextInt(3));
                // "To the end" is INT64_MAX forward and INT64_MIN backward. ORT also reads INT64_MAX
                // backward as "to the start", where the ONNX reference (numpy) slices nothing.
                ends[i] = r.nextInt(8) == 0 ? (steps[i] > 0 ? Long.MAX_VALUE : Long.MIN_VALUE) : r.nextInt(2 * s[a] + 5) - s[a] - 2;
            }
            new Case("Slice", 13).in(ShapeOpsOrtTest.random(type(r), k, s)).constIn(Tensor.vector(starts)).constIn(Tensor.vector(ends))
                    .constIn(Tensor.vector(axes)).constIn(Tensor.vector(steps)).check();
        }
    }

    @Test
    void transposesConcatsSplitsGathers() {
        Random r = new Random(12);
        for (int k = 0; k < 40; k++) {
            int rank = 1 + r.nextInt(5);
            int[] s = shape(r, rank, 6);
            long[] perm = new long[rank];
            for (int i = 0; i < rank; i++) perm[i] = i;
            for (int i = rank - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                long t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            DType t = type(r);
            new Case("Transpose", 13).in(ShapeOpsOrtTest.random(t, k, s)).attr("perm", perm).check();

            int axis = r.nextInt(rank);
            int[] s2 = s.clone();
            s2[axis] = r.nextInt(4);
            new Case("Concat", 13).in(ShapeOpsOrtTest.random(t, k, s)).in(ShapeOpsOrtTest.random(t, k + 1, s2))
                    .attr("axis", (long) (r.nextBoolean() ? axis : axis - rank)).check();

            int parts = 1 + r.nextInt(3);
            long[] split = new long[parts];
            long total = 0;
            for (int i = 0; i < parts; i++) total += split[i] = r.nextInt(3);
            int[] s3 = s.clone();
            s3[axis] = (int) total;
            new Case("Split", 13).in(ShapeOpsOrtTest.random(t, k, s3)).constIn(Tensor.vector(split)).attr("axis", (long) axis).outs(parts).check();

            long[] idx = new long[1 + r.nextInt(5)];
            for (int i = 0; i < idx.length; i++) idx[i] = r.nextInt(2 * s[axis]) - s[axis];
            new Case("Gather", 13).in(ShapeOpsOrtTest.random(t, k, s)).in(Tensor.vector(idx)).attr("axis", (long) axis).check();
        }
    }

    @Test
    void pads() {
        Random r = new Random(13);
        String[] modes = {"constant", "edge", "reflect"};
        for (int k = 0; k < 45; k++) {
            int rank = 1 + r.nextInt(4);
            int[] s = shape(r, rank, 5);
            String mode = modes[k % modes.length];
            long[] pads = new long[2 * rank];
            for (int i = 0; i < 2 * rank; i++) {
                int d = s[i % rank];
                // Reflect needs pads below the dim; only constant mode takes negative pads here.
                pads[i] = switch (mode) {
                    case "reflect" -> r.nextInt(d);
                    case "edge" -> r.nextInt(4);
                    default -> r.nextInt(4) - (d > 2 && r.nextInt(3) == 0 ? 1 : 0);
                };
            }
            DType t = k % 2 == 0 ? DType.FLOAT : DType.INT32;
            Case c = new Case("Pad", 13).in(ShapeOpsOrtTest.random(t, k, s)).constIn(Tensor.vector(pads)).attr("mode", mode);
            if (mode.equals("constant")) {
                Tensor v = Tensor.allocate(t);
                v.setDouble(0, 3);
                c.constIn(v);
            }
            c.check();
        }
    }

    @Test
    void expandsTilesAndElementIndexing() {
        Random r = new Random(14);
        for (int k = 0; k < 40; k++) {
            int rank = 1 + r.nextInt(4);
            int[] s = shape(r, rank, 4);
            DType t = type(r);
            // Expand: each input dim is 1 or the target's; the target may add leading axes.
            int lead = r.nextInt(2);
            long[] target = new long[rank + lead];
            int[] in = s.clone();
            for (int i = 0; i < lead; i++) target[i] = 1 + r.nextInt(3);
            for (int i = 0; i < rank; i++) {
                if (r.nextBoolean()) in[i] = 1;
                target[lead + i] = in[i] == 1 && r.nextBoolean() ? 1 + r.nextInt(3) : (r.nextBoolean() ? in[i] : 1);
            }
            new Case("Expand", 13).in(ShapeOpsOrtTest.random(t, k, in)).constIn(Tensor.vector(target)).check();

            long[] reps = new long[rank];
            for (int i = 0; i < rank; i++) reps[i] = r.nextInt(4);
            new Case("Tile", 13).in(ShapeOpsOrtTest.random(t, k, s)).constIn(Tensor.vector(reps)).check();

            int axis = r.nextInt(rank);
            int[] is = s.clone();
            is[axis] = 1 + r.nextInt(4);
            for (int i = 0; i < rank; i++) if (i != axis) is[i] = 1 + r.nextInt(s[i]);
            long[] idx = new long[Tensor.numel(is)];
            for (int i = 0; i < idx.length; i++) idx[i] = r.nextInt(2 * s[axis]) - s[axis];
            new Case("GatherElements", 13).in(ShapeOpsOrtTest.random(t, k, s)).in(Tensor.ofLongs(idx, is)).attr("axis", (long) axis).check();
            if (t != DType.BOOL && t != DType.FLOAT16) {
                new Case("ScatterElements", 18).in(ShapeOpsOrtTest.random(t, k, s)).in(Tensor.ofLongs(idx, is))
                        .in(ShapeOpsOrtTest.random(t, k + 7, is)).attr("axis", (long) axis).attr("reduction", "add").check();
            }
        }
    }
}
