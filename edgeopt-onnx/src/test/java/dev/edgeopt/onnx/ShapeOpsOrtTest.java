package dev.edgeopt.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The shape family against ONNX Runtime where the backend node tests are thin: dtypes other than
 * float, older and newer opsets (attribute forms, Split's num_outputs, Pad's axes and wrap mode),
 * reductions of the scatters, and shapes large enough to take the tiled transpose path. Data
 * movement is exact, so outputs must match bit for bit.
 */
class ShapeOpsOrtTest {
    static final DType[] ALL = {DType.FLOAT, DType.DOUBLE, DType.INT8, DType.UINT8, DType.INT16, DType.INT32,
            DType.INT64, DType.BOOL, DType.FLOAT16};

    /** One node test: inputs are graph inputs unless marked constant (then initializers). */
    static final class Case {
        final String op;
        final int opset;
        final Map<String, Attribute> attrs = new LinkedHashMap<>();
        final List<Tensor> inputs = new ArrayList<>();
        final List<Boolean> constant = new ArrayList<>();
        int outputs = 1;
        int compared = Integer.MAX_VALUE;

        Case(String op, int opset) { this.op = op; this.opset = opset; }

        Case in(Tensor t) { inputs.add(t); constant.add(false); return this; }

        Case constIn(Tensor t) { inputs.add(t); constant.add(true); return this; }

        Case absent() { inputs.add(null); constant.add(false); return this; }

        Case attr(String k, long v) { attrs.put(k, Attribute.of(v)); return this; }

        Case attr(String k, long... v) { attrs.put(k, Attribute.of(v)); return this; }

        Case attr(String k, String v) { attrs.put(k, Attribute.of(v)); return this; }

        Case attr(String k, float v) { attrs.put(k, Attribute.of(v)); return this; }

        Case outs(int n) { outputs = n; return this; }

        /** Compares only the first n outputs with ORT (where ORT departs from the ONNX reference). */
        Case compareFirst(int n) { compared = n; return this; }

        /** Runs in the Java engine and in ORT; asserts identical outputs; returns the Java ones. */
        Tensor[] check() {
            Graph g = new Graph(op);
            g.setOpset(opset);
            List<Value> ins = new ArrayList<>();
            List<Tensor> feeds = new ArrayList<>();
            for (int i = 0; i < inputs.size(); i++) {
                Tensor t = inputs.get(i);
                if (t == null) ins.add(null);
                else if (constant.get(i)) ins.add(g.addInitializer("c" + i, t));
                else {
                    ins.add(g.addInput("x" + i, t.type()));
                    feeds.add(t);
                }
            }
            Node n = g.addNode(op, "n", Arrays.asList(ins.toArray(new Value[0])), outputs);
            attrs.forEach(n::setAttr);
            for (Value v : n.outputs()) g.addOutput(v);
            ShapeInference.annotate(g, Executor.evaluator());
            Tensor[] feed = feeds.toArray(new Tensor[0]);
            Executor ex = new Executor(g);
            ex.run(feed);
            // The second run reuses the plan: kernels must not depend on what the arena held.
            Tensor[] java = ex.run(feed);
            // A second engine on two threads must agree (parallel paths, fresh arena contents).
            Tensor[] again = new Executor(g, 2).run(feed);
            Tensor[] ort;
            try (OrtRunner r = new OrtRunner(OnnxImporter.fromBytes(OnnxExporter.toBytes(g), op), 1, OrtRunner.OptLevel.NONE)) {
                ort = r.run(feed);
            }
            assertEquals(ort.length, java.length);
            for (int i = 0; i < java.length; i++) {
                String what = op + " opset " + opset + " " + attrs + " inputs " + inputs + " output " + i;
                if (i < compared) assertNull(Conformance.compare(ort[i], java[i], 0, 0), what);
                assertNull(Conformance.compare(java[i], again[i], 0, 0), what);
            }
            return java;
        }
    }

    static Tensor random(DType t, long seed, int... shape) {
        Random r = new Random(seed);
        Tensor x = Tensor.allocate(t, shape);
        for (int i = 0; i < x.size(); i++) {
            if (t == DType.BOOL) x.setLong(i, r.nextInt(2));
            else if (t.isFloating()) x.setDouble(i, Math.round(r.nextGaussian() * 100) / 8.0);
            else x.setLong(i, r.nextInt(200) - (t.isUnsigned() ? 0 : 100));
        }
        return x;
    }

    static Tensor ints(long... v) { return Tensor.vector(v); }

    static Tensor int32s(int... v) { return Tensor.ofInts(v.clone(), v.length); }

    @Test
    void transposeEveryDtypeAndTheTiledLayouts() {
        long seed = 1;
        for (DType t : ALL) {
            new Case("Transpose", 13).in(random(t, seed++, 2, 16, 9, 12)).attr("perm", 0, 2, 3, 1).check();
            new Case("Transpose", 13).in(random(t, seed++, 2, 9, 12, 16)).attr("perm", 0, 3, 1, 2).check();
            new Case("Transpose", 13).in(random(t, seed++, 3, 1, 4, 2, 5)).attr("perm", 4, 0, 3, 1, 2).check();
            new Case("Transpose", 13).in(random(t, seed++, 3, 5)).check();
        }
        new Case("Transpose", 13).in(random(DType.FLOAT, 9, 1, 64, 7, 33)).attr("perm", 0, 2, 3, 1).check();
        new Case("Transpose", 13).in(random(DType.FLOAT, 9, 40, 3)).attr("perm", 1, 0).check();
    }

    @Test
    void concatAndSplitAcrossOpsets() {
        long seed = 100;
        for (DType t : ALL) {
            new Case("Concat", 13).in(random(t, seed++, 2, 3, 4)).in(random(t, seed++, 2, 1, 4)).in(random(t, seed++, 2, 0, 4))
                    .attr("axis", 1L).check();
            new Case("Split", 13).in(random(t, seed++, 2, 6, 4)).constIn(ints(1, 2, 3)).attr("axis", -2L).outs(3).check();
        }
        new Case("Concat", 11).in(random(DType.FLOAT, 1, 2, 3)).in(random(DType.FLOAT, 2, 5, 3)).attr("axis", 0L).check();
        new Case("Split", 11).in(random(DType.INT64, 3, 4, 7)).attr("axis", 1L).attr("split", 2, 5).outs(2).check();
        new Case("Split", 11).in(random(DType.INT32, 3, 6, 2)).outs(3).check();
        new Case("Split", 18).in(random(DType.FLOAT, 4, 7, 2)).attr("num_outputs", 3L).outs(3).check();
        new Case("Split", 18).in(random(DType.UINT8, 5, 2, 8)).attr("axis", 1L).attr("num_outputs", 4L).outs(4).check();
    }

    @Test
    void sliceForms() {
        new Case("Slice", 9).in(random(DType.FLOAT, 1, 5, 6, 7)).attr("starts", 1, -4).attr("ends", 4, 100).attr("axes", 0, 2).check();
        new Case("Slice", 9).in(random(DType.INT8, 2, 5, 6)).attr("starts", 1, 0).attr("ends", -1, 3).check();
        long seed = 200;
        for (DType t : ALL) {
            new Case("Slice", 13).in(random(t, seed++, 6, 7, 8)).constIn(ints(5, -1, 1)).constIn(ints(0, -100, 8))
                    .constIn(ints(0, 2, 1)).constIn(ints(-2, -3, 3)).check();
        }
        new Case("Slice", 13).in(random(DType.FLOAT, 3, 4, 10)).constIn(ints(1)).constIn(ints(Long.MAX_VALUE)).constIn(ints(-1)).check();
        new Case("Slice", 13).in(random(DType.INT32, 4, 4, 10)).in(ints(0, 2)).in(ints(3, 9)).check();
        new Case("Slice", 13).in(random(DType.FLOAT, 5, 4, 10)).constIn(ints(2)).constIn(ints(2)).constIn(ints(1)).check();
    }

    @Test
    void squeezeUnsqueezeReshapeFlattenAcrossOpsets() {
        new Case("Squeeze", 11).in(random(DType.INT16, 1, 1, 3, 1, 2)).attr("axes", 0, -2).check();
        new Case("Squeeze", 11).in(random(DType.BOOL, 2, 1, 3, 1)).check();
        new Case("Squeeze", 13).in(random(DType.FLOAT16, 3, 1, 3, 1)).constIn(ints(-1)).check();
        new Case("Squeeze", 13).in(random(DType.DOUBLE, 4, 1, 1)).check();
        new Case("Unsqueeze", 11).in(random(DType.UINT8, 5, 3, 2)).attr("axes", 0, 3).check();
        new Case("Unsqueeze", 13).in(random(DType.INT64, 6, 3)).constIn(ints(-1, 0)).check();
        new Case("Reshape", 13).in(random(DType.INT8, 7, 2, 3, 4)).constIn(ints(0, -1, 2)).check();
        new Case("Reshape", 14).in(random(DType.FLOAT, 8, 0, 3)).constIn(ints(3, 0)).attr("allowzero", 1L).check();
        new Case("Reshape", 14).in(random(DType.BOOL, 9, 4, 6)).in(ints(-1, 3, 2)).check();
        new Case("Flatten", 11).in(random(DType.FLOAT16, 10, 2, 3, 4)).attr("axis", -1L).check();
        new Case("Flatten", 9).in(random(DType.INT32, 11, 2, 3, 4)).attr("axis", 0L).check();
        new Case("Identity", 13).in(random(DType.UINT8, 12, 2, 3)).check();
    }

    @Test
    void padModesAndForms() {
        new Case("Pad", 10).in(random(DType.FLOAT, 1, 3, 4)).attr("pads", 1, 2, 2, 0).attr("value", 1.5f).check();
        new Case("Pad", 10).in(random(DType.FLOAT, 2, 3, 4)).attr("pads", 2, 3, 1, 2).attr("mode", "reflect").check();
        long seed = 300;
        for (DType t : new DType[] {DType.FLOAT, DType.INT32, DType.INT64, DType.UINT8, DType.DOUBLE}) {
            for (String mode : new String[] {"constant", "edge", "reflect"}) {
                new Case("Pad", 13).in(random(t, seed++, 2, 4, 5)).constIn(ints(0, 1, 3, 1, 2, 4)).attr("mode", mode).check();
            }
        }
        new Case("Pad", 13).in(random(DType.FLOAT, 3, 2, 4, 5)).in(ints(0, -1, 2, 1, 1, -2)).in(Tensor.scalar(7f)).check();
        new Case("Pad", 18).in(random(DType.FLOAT, 4, 2, 4, 5)).constIn(ints(1, 2, 3, 0)).absent().constIn(ints(-1, 1)).attr("mode", "edge").check();
        new Case("Pad", 19).in(random(DType.INT32, 5, 3, 4)).constIn(ints(2, 1, 3, 3)).attr("mode", "wrap").check();
    }

    @Test
    void gatherAndScatterFamilies() {
        long seed = 400;
        for (DType t : ALL) {
            new Case("Gather", 13).in(random(t, seed++, 3, 4, 5)).in(int32s(3, -1, 0, 2, 2, 1)).attr("axis", 1L).check();
            new Case("Gather", 13).in(random(t, seed++, 5, 3)).in(Tensor.ofLongs(new long[] {-2})).check();
        }
        Tensor scalarIndex = Tensor.ofLongs(new long[] {2});
        new Case("Gather", 13).in(random(DType.FLOAT, 1, 4, 3)).in(scalarIndex).attr("axis", 0L).check();
        new Case("GatherElements", 13).in(random(DType.INT32, 2, 3, 4)).in(Tensor.ofLongs(new long[] {0, -1, 3, 1, 2, 2}, 3, 2)).attr("axis", 1L).check();
        new Case("GatherND", 13).in(random(DType.FLOAT, 3, 2, 3, 4)).in(Tensor.ofLongs(new long[] {1, 2, -1, 3}, 2, 1, 2)).attr("batch_dims", 1L).check();
        new Case("GatherND", 13).in(random(DType.INT64, 4, 2, 3, 4)).in(Tensor.ofLongs(new long[] {1, 2, 0, 1}, 2, 2)).check();
        for (String red : new String[] {"none", "add", "mul", "max", "min"}) {
            for (DType t : new DType[] {DType.FLOAT, DType.INT32, DType.INT64, DType.DOUBLE}) {
                new Case("ScatterElements", 18).in(random(t, seed++, 3, 4)).in(Tensor.ofLongs(new long[] {1, 0, -1, 2, 1, 1}, 2, 3))
                        .in(random(t, seed++, 2, 3)).attr("axis", 1L).attr("reduction", red).check();
                new Case("ScatterND", 18).in(random(t, seed++, 4, 3, 2)).in(Tensor.ofLongs(new long[] {1, 0, 3, 2}, 2, 2))
                        .in(random(t, seed++, 2, 2)).attr("reduction", red).check();
            }
        }
        new Case("ScatterND", 13).in(random(DType.UINT8, 5, 4, 3)).in(Tensor.ofLongs(new long[] {3, 0}, 2, 1)).in(random(DType.UINT8, 6, 2, 3)).check();
    }

    @Test
    void generatorsAndMasks() {
        long seed = 500;
        for (DType t : ALL) {
            new Case("Expand", 13).in(random(t, seed++, 3, 1)).constIn(ints(2, 1, 4)).check();
            new Case("Tile", 13).in(random(t, seed++, 2, 3)).constIn(ints(3, 2)).check();
        }
        // ORT implements these two for a few dtypes only; the Java kernels do not look at values.
        for (DType t : new DType[] {DType.FLOAT, DType.DOUBLE}) {
            new Case("DepthToSpace", 13).in(random(t, seed++, 2, 8, 3, 2)).attr("blocksize", 2L).attr("mode", "CRD").check();
            new Case("DepthToSpace", 13).in(random(t, seed++, 2, 8, 3, 2)).attr("blocksize", 2L).check();
            new Case("SpaceToDepth", 13).in(random(t, seed++, 2, 3, 4, 6)).attr("blocksize", 2L).check();
        }
        new Case("Range", 11).in(Tensor.scalarLong(10)).in(Tensor.scalarLong(-3)).in(Tensor.scalarLong(-4)).check();
        new Case("Range", 11).in(Tensor.ofDoubles(new double[] {0.5})).in(Tensor.ofDoubles(new double[] {3})).in(Tensor.ofDoubles(new double[] {0.25})).check();
        new Case("OneHot", 11).in(Tensor.ofLongs(new long[] {1, -1, 5, 0, 2, 3}, 2, 3)).constIn(Tensor.scalarLong(4))
                .in(Tensor.of(new float[] {-1, 2}, 2)).attr("axis", 1L).check();
        new Case("EyeLike", 9).in(random(DType.FLOAT, 1, 3, 5)).attr("k", -1L).attr("dtype", (long) DType.INT64.onnxCode()).check();
        new Case("EyeLike", 9).in(random(DType.DOUBLE, 1, 4, 3)).attr("k", 2L).check();
        for (long k : new long[] {-2, 0, 1, 4}) {
            for (long up : new long[] {0, 1}) {
                new Case("Trilu", 14).in(random(DType.FLOAT, seed++, 2, 3, 5)).in(Tensor.scalarLong(k)).attr("upper", up).check();
            }
        }
        new Case("NonZero", 13).in(random(DType.INT32, 7, 3, 4)).check();
        new Case("Compress", 11).in(random(DType.INT64, 8, 3, 4)).in(Tensor.ofBools(new boolean[] {true, false, true}, 3)).attr("axis", 1L).check();
        new Case("Compress", 11).in(random(DType.FLOAT, 8, 3, 4)).in(Tensor.ofBools(new boolean[] {false, true, true, false, true}, 5)).check();
        new Case("ReverseSequence", 10).in(random(DType.INT32, 9, 4, 3, 2)).in(ints(4, 1, 3)).attr("batch_axis", 1L).attr("time_axis", 0L).check();
        new Case("ReverseSequence", 10).in(random(DType.FLOAT, 9, 3, 4, 2)).in(ints(2, 4, 1)).attr("batch_axis", 0L).attr("time_axis", 1L).check();
        new Case("Shape", 15).in(random(DType.FLOAT, 1, 2, 3, 4, 5)).attr("start", -3L).attr("end", -1L).check();
        Case cos = new Case("ConstantOfShape", 9).in(ints(2, 3));
        cos.attrs.put("value", Attribute.of(Tensor.vector(-7L)));
        cos.check();
        new Case("ConstantOfShape", 9).in(ints(4, 0, 2)).check();
        Case ints = new Case("Constant", 13);
        ints.attrs.put("value_ints", Attribute.of(new long[] {3, -1, 4}));
        ints.check();
        Case fl = new Case("Constant", 13);
        fl.attrs.put("value", Attribute.of(random(DType.FLOAT16, 3, 2, 3)));
        fl.check();
        Tensor dups = Tensor.ofLongs(new long[] {3, 1, 2, 2, 3, 1, 2, 2, -5, 0, 3, 1}, 6, 2);
        new Case("Unique", 11).in(dups).attr("axis", 0L).attr("sorted", 0L).outs(4).check();
        new Case("Unique", 11).in(dups).outs(4).check();
        new Case("Unique", 11).in(Tensor.of(new float[] {2.5f, -1, 2.5f, 0, -1, 7}, 2, 3)).attr("axis", -1L).outs(4).check();
        new Case("Size", 13).in(random(DType.INT8, 1, 2, 3, 4)).check();
        new Case("Dropout", 13).in(random(DType.FLOAT, 1, 3, 4)).constIn(Tensor.scalar(0.3f))
                .constIn(Tensor.ofBools(new boolean[] {false})).outs(2).check();
        new Case("Dropout", 12).in(random(DType.DOUBLE, 1, 3, 4)).check();
        // Before opset 12 ORT fills the inference mask with zeros; the ONNX reference (and the
        // opset-13 node tests) mark kept elements with ones, which the engine does at every opset.
        Tensor[] d10 = new Case("Dropout", 10).in(random(DType.FLOAT, 2, 3, 4)).attr("ratio", 0.25f).outs(2).compareFirst(1).check();
        assertEquals(DType.BOOL, d10[1].dtype());
        assertTrue(d10[1].bools()[0] && d10[1].bools()[11]);
        Tensor[] d7 = new Case("Dropout", 7).in(random(DType.FLOAT, 3, 3, 4)).outs(2).compareFirst(1).check();
        assertEquals(DType.FLOAT, d7[1].dtype());
        assertEquals(12f, d7[1].floats()[0] * 12);
    }
}
