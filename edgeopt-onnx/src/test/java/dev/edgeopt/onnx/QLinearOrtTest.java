package dev.edgeopt.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * QLinearConv, QLinearMatMul and QGemm (com.microsoft) as single-node models in the Java engine and
 * in ONNX Runtime. ORT requantizes in float and the engine in TFLite fixed point, so an output may
 * differ by one step on a near-tie: at least 99% must be equal and all within one step.
 */
class QLinearOrtTest {
    /** A one-node model: the activation (or A) is the only graph input, everything else constant. */
    static final class Case {
        final String op, domain;
        final Map<String, Attribute> attrs = new LinkedHashMap<>();
        final List<Tensor> inputs = new ArrayList<>();
        boolean allInputs; // feed every tensor as a graph input (as the ONNX backend tests do)

        Case(String op, String domain) {
            this.op = op;
            this.domain = domain;
        }

        Case in(Tensor t) { inputs.add(t); return this; }
        Case attr(String k, long v) { attrs.put(k, Attribute.of(v)); return this; }
        Case attr(String k, float v) { attrs.put(k, Attribute.of(v)); return this; }
        Case attr(String k, String v) { attrs.put(k, Attribute.of(v)); return this; }
        Case ints(String k, long... v) { attrs.put(k, Attribute.of(v)); return this; }

        Graph graph() {
            Graph g = new Graph(op.toLowerCase() + "_q");
            g.setOpset(13);
            if (!domain.isEmpty()) g.opsetImports().put(domain, 1L);
            List<Value> ins = new ArrayList<>();
            for (int i = 0; i < inputs.size(); i++) {
                Tensor t = inputs.get(i);
                if (t == null) ins.add(null);
                else if (i == 0 || allInputs) ins.add(g.addInput("in" + i, new TensorType(t.dtype(), Shape.of(t.dims()))));
                else ins.add(g.addInitializer("in" + i, t));
            }
            Node n = g.insertNode(0, op, domain, "node", ins, List.of("y"));
            attrs.forEach(n::setAttr);
            g.addOutput(n.output(0));
            ShapeInference.annotate(g, null);
            return g;
        }

        Tensor[] feed() {
            List<Tensor> f = new ArrayList<>();
            for (int i = 0; i < inputs.size(); i++) if (inputs.get(i) != null && (i == 0 || allInputs)) f.add(inputs.get(i));
            return f.toArray(new Tensor[0]);
        }

        Tensor java(int threads) {
            try (Executor ex = new Executor(graph(), threads)) {
                return ex.run(feed())[0];
            }
        }

        Tensor ort() {
            try (OrtRunner r = new OrtRunner(graph(), 1, OrtRunner.OptLevel.NONE)) {
                return r.run(feed())[0];
            }
        }

        /** Checks against ORT; returns the Java output. */
        Tensor check() {
            Tensor want = ort(), got = java(2);
            assertArrayEquals(want.dims(), got.dims(), op + " shape");
            assertEquals(want.dtype(), got.dtype());
            int n = want.size(), exact = 0;
            if (want.dtype() == DType.FLOAT) {
                for (int i = 0; i < n; i++) {
                    float a = want.getFloat(i), b = got.getFloat(i);
                    assertTrue(Math.abs(a - b) <= 1e-5 + 1e-5 * Math.abs(a), op + " element " + i + ": ORT " + a + ", Java " + b);
                }
                return got;
            }
            int distinct = 0;
            long first = want.getLong(0);
            for (int i = 0; i < n; i++) {
                long a = want.getLong(i), b = got.getLong(i);
                assertTrue(Math.abs(a - b) <= 1, op + " " + attrs + " element " + i + ": ORT " + a + ", Java " + b);
                if (a == b) exact++;
                if (a != first) distinct++;
            }
            assertTrue(exact >= 0.99 * n, op + " " + attrs + ": only " + exact + " of " + n + " outputs equal ORT's");
            assertTrue(distinct > n / 4, op + ": outputs nearly constant; the test's scales are off");
            // The same bytes on one thread as on two.
            assertTrue(got.contentEquals(java(1)), op + " differs between 1 and 2 threads");
            return got;
        }
    }

    static Tensor q8(long seed, DType t, int... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] a = new byte[Tensor.numel(shape)];
        for (int i = 0; i < a.length; i++) a[i] = (byte) r.nextInt(256);
        return Tensor.of(t, a, shape);
    }

    /** Symmetric int8 weights in [-127, 127], as the quantizer writes them. */
    static Tensor w8(long seed, int... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] a = new byte[Tensor.numel(shape)];
        for (int i = 0; i < a.length; i++) a[i] = (byte) r.nextInt(-127, 128);
        return Tensor.of(DType.INT8, a, shape);
    }

    static Tensor scale(float v) { return Tensor.of(new float[] {v}); }

    static Tensor scales(long seed, int n, float lo, float hi) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = lo + (hi - lo) * (float) r.nextDouble();
        return Tensor.of(a, n);
    }

    static Tensor zp(DType t, int v) { return Tensor.of(t, new byte[] {(byte) v}); }

    static Tensor zps(DType t, int n, int v) {
        byte[] a = new byte[n];
        java.util.Arrays.fill(a, (byte) v);
        return Tensor.of(t, a, n);
    }

    static Tensor bias(long seed, int n, int range) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] a = new int[n];
        for (int i = 0; i < a.length; i++) a[i] = r.nextInt(-range, range + 1);
        return Tensor.ofInts(a, n);
    }

    /**
     * y_scale that spreads outputs over the int8 range: the accumulator of K products of roughly
     * uniform int8 values has a standard deviation near 74^2 * sqrt(K) (uint8 input minus a zero
     * point near the middle, weights in [-127, 127]).
     */
    static float yScale(float sx, float sw, int k) { return (float) (sx * sw * 74 * 74 * Math.sqrt(k) / 40); }

    static Case conv(long seed, DType xt, int[] x, int m, int group, int kh, int kw, boolean perChannel, boolean withBias) {
        int c = x[1], k = c / group * kh * kw;
        float sx = 0.02f, sw = 0.005f;
        Case q = new Case("QLinearConv", "").in(q8(seed, xt, x)).in(scale(sx)).in(zp(xt, xt == DType.UINT8 ? 131 : -3))
                .in(w8(seed + 1, m, c / group, kh, kw))
                .in(perChannel ? scales(seed + 2, m, sw * 0.5f, sw * 1.5f) : scale(sw))
                .in(perChannel ? zps(DType.INT8, m, 0) : zp(DType.INT8, 0))
                .in(scale(yScale(sx, sw, k))).in(zp(xt, xt == DType.UINT8 ? 120 : 5));
        if (withBias) q.in(bias(seed + 3, m, 20000));
        return q.attr("group", (long) group);
    }

    @Test
    void convMatchesOrt() {
        for (DType xt : new DType[] {DType.UINT8, DType.INT8}) {
            // Pointwise (the GEMM path), 3x3 with pads, stride 2 with per-tensor weights.
            conv(1, xt, new int[] {1, 40, 14, 14}, 72, 1, 1, 1, true, true).check();
            conv(2, xt, new int[] {2, 16, 15, 13}, 24, 1, 3, 3, true, true).ints("pads", 1, 1, 1, 1).check();
            conv(3, xt, new int[] {1, 3, 33, 31}, 16, 1, 3, 3, false, false).ints("strides", 2, 2).ints("pads", 1, 1, 1, 1).check();
            // Depthwise stride 1 and 2, groups with dilation and asymmetric pads, auto_pad.
            conv(4, xt, new int[] {1, 32, 20, 19}, 32, 32, 3, 3, true, true).ints("pads", 1, 1, 1, 1).check();
            conv(5, xt, new int[] {2, 24, 21, 22}, 24, 24, 3, 3, true, true).ints("strides", 2, 2).ints("pads", 1, 1, 1, 1).check();
            conv(6, xt, new int[] {1, 6, 17, 13}, 9, 3, 3, 2, true, true).ints("dilations", 2, 1).ints("pads", 0, 1, 2, 0).check();
            conv(7, xt, new int[] {1, 5, 20, 11}, 7, 1, 4, 3, true, true).ints("strides", 3, 2).attr("auto_pad", "SAME_UPPER").check();
            conv(8, xt, new int[] {1, 48, 7, 7}, 48, 48, 5, 5, true, true).ints("pads", 2, 2, 2, 2).check();
            // 1-D.
            Case c1 = conv(9, xt, new int[] {2, 4, 50, 1}, 6, 1, 5, 1, true, true);
            c1.inputs.set(0, q8(9, xt, 2, 4, 50));
            c1.inputs.set(3, w8(10, 6, 4, 5));
            c1.ints("strides", 2).ints("pads", 2, 1).check();
        }
    }

    @Test
    void convWithWeightZeroPointAndUint8Weights() {
        // uint8 weights with a nonzero zero point (per tensor, as ORT requires) and odd K.
        Case q = new Case("QLinearConv", "").in(q8(20, DType.UINT8, 1, 7, 9, 10)).in(scale(0.03f)).in(zp(DType.UINT8, 128))
                .in(q8(21, DType.UINT8, 11, 7, 3, 3)).in(scale(0.004f)).in(zp(DType.UINT8, 133))
                .in(scale(yScale(0.03f, 0.004f, 63))).in(zp(DType.UINT8, 100)).in(bias(22, 11, 3000)).ints("pads", 1, 0, 1, 2);
        q.check();
    }

    static Case matMul(long seed, DType at, int[] a, int[] b, boolean perColumn) {
        int k = a[a.length - 1], n = b[b.length - 1];
        float sa = 0.05f, sb = 0.01f;
        return new Case("QLinearMatMul", "").in(q8(seed, at, a)).in(scale(sa)).in(zp(at, at == DType.UINT8 ? 125 : 2))
                .in(w8(seed + 1, b)).in(perColumn ? scales(seed + 2, n, sb / 2, sb * 1.5f) : scale(sb))
                .in(perColumn ? zps(DType.INT8, n, 0) : zp(DType.INT8, 0))
                .in(scale(yScale(sa, sb, k))).in(zp(at, at == DType.UINT8 ? 128 : -1));
    }

    @Test
    void matMulMatchesOrt() {
        for (DType at : new DType[] {DType.UINT8, DType.INT8}) {
            matMul(30, at, new int[] {33, 70}, new int[] {70, 50}, false).check();
            matMul(31, at, new int[] {3, 37, 29}, new int[] {29, 41}, true).check();
            matMul(32, at, new int[] {1, 1280}, new int[] {1280, 100}, true).check();
        }
    }

    static Case gemm(long seed, DType at, int m, int k, int n, boolean transB, boolean quantOut) {
        float sa = 0.05f, sb = 0.01f;
        Case q = new Case("QGemm", "com.microsoft").in(q8(seed, at, m, k)).in(scale(sa)).in(zp(at, at == DType.UINT8 ? 125 : 2))
                .in(w8(seed + 1, transB ? new int[] {n, k} : new int[] {k, n})).in(scales(seed + 2, n, sb / 2, sb * 1.5f))
                .in(zps(DType.INT8, n, 0)).in(bias(seed + 3, n, 40000));
        if (quantOut) q.in(scale(yScale(sa, sb, k) * 0.7f)).in(zp(at, at == DType.UINT8 ? 128 : -1));
        return q.attr("transB", transB ? 1L : 0L);
    }

    @Test
    void qgemmMatchesOrt() {
        for (DType at : new DType[] {DType.UINT8, DType.INT8}) {
            gemm(40, at, 8, 1280, 100, true, true).check();
            gemm(41, at, 5, 64, 30, false, true).attr("alpha", 0.7f).check();
            gemm(42, at, 3, 96, 20, true, false).check();
        }
    }

    @Test
    void parametersFedAsGraphInputs() {
        // The ONNX backend tests feed scales, zero points and weights as inputs: the kernel then
        // reads them on each run.
        Case c = conv(50, DType.UINT8, new int[] {1, 8, 9, 9}, 12, 2, 3, 3, true, true).ints("pads", 1, 1, 1, 1);
        c.allInputs = true;
        c.check();
        Case m = matMul(51, DType.INT8, new int[] {2, 6, 20}, new int[] {2, 20, 7}, false);
        m.allInputs = true;
        m.check();
    }

    /** The node with constant parameters (fast path) and with parameters fed as inputs (reference loops). */
    static void fastEqualsReference(Case c) {
        Tensor fast = c.java(2);
        c.allInputs = true;
        Tensor ref = c.java(1);
        c.allInputs = false;
        assertTrue(fast.contentEquals(ref), c.op + " " + c.attrs + ": fast path differs from the reference loops");
    }

    @Test
    void fastPathsEqualReferenceBitForBit() {
        // K = 1200 and 576 with uint8 zero point 0 (|x - zp| up to 255) and weights up to 127: the
        // float32 runs are split into chunks that stay exact.
        Case big = conv(70, DType.UINT8, new int[] {1, 1200, 5, 5}, 20, 1, 1, 1, true, true);
        big.inputs.set(2, zp(DType.UINT8, 0));
        fastEqualsReference(big);
        fastEqualsReference(conv(71, DType.INT8, new int[] {2, 64, 9, 8}, 12, 1, 3, 3, true, true).ints("pads", 1, 1, 1, 1));
        fastEqualsReference(conv(72, DType.UINT8, new int[] {1, 16, 11, 12}, 16, 16, 3, 3, true, true).ints("strides", 2, 2).ints("pads", 1, 1, 1, 1));
        fastEqualsReference(conv(73, DType.INT8, new int[] {2, 8, 10, 9}, 12, 4, 3, 1, true, false).ints("dilations", 2, 1).ints("pads", 1, 0, 1, 0));
        fastEqualsReference(conv(74, DType.UINT8, new int[] {1, 12, 9, 9}, 12, 12, 3, 3, true, true).ints("dilations", 2, 2).ints("pads", 2, 2, 2, 2));
        // Outputs larger than the cache (once a column-blocked path, now one GEMM per chunk), 1x1
        // and 3x3 with chunks, grouped.
        fastEqualsReference(conv(78, DType.INT8, new int[] {2, 8, 64, 64}, 40, 1, 1, 1, true, true));
        fastEqualsReference(conv(81, DType.UINT8, new int[] {1, 8, 64, 64}, 80, 2, 1, 1, true, true)); // grouped, large
        Case blocked = conv(79, DType.UINT8, new int[] {1, 64, 40, 40}, 96, 1, 3, 3, true, true).ints("pads", 1, 1, 1, 1);
        blocked.inputs.set(2, zp(DType.UINT8, 0));
        fastEqualsReference(blocked);
        // Stems (few input channels): the fp32 direct conv on the image in float, two images, stride 2 and 1.
        Case stem = conv(82, DType.INT8, new int[] {2, 3, 40, 40}, 8, 1, 3, 3, true, true).ints("strides", 2, 2).ints("pads", 1, 1, 1, 1);
        fastEqualsReference(stem);
        stem.check();
        Case stem1 = conv(83, DType.UINT8, new int[] {1, 2, 20, 21}, 6, 1, 3, 3, true, true).ints("pads", 0, 1, 2, 1);
        fastEqualsReference(stem1);
        stem1.check();
        // Depthwise on large planes: channel blocks of 8 and a last block of 4, two images.
        Case dw = conv(80, DType.INT8, new int[] {2, 20, 64, 64}, 20, 20, 3, 3, true, true).ints("pads", 1, 1, 1, 1);
        fastEqualsReference(dw);
        dw.check();
        fastEqualsReference(matMul(75, DType.UINT8, new int[] {2, 3, 1280}, new int[] {1280, 40}, true));
        fastEqualsReference(gemm(76, DType.INT8, 7, 700, 33, true, true).attr("alpha", 1.3f));
        fastEqualsReference(gemm(77, DType.UINT8, 4, 96, 20, false, false));
    }

    /** The fast path on {@code threads} threads equals the reference loops bit for bit. */
    static void fastEqualsReference(Case c, int threads) {
        Tensor fast = c.java(threads);
        c.allInputs = true;
        Tensor ref = c.java(1);
        c.allInputs = false;
        assertTrue(fast.contentEquals(ref), c.op + " " + c.attrs + " on " + threads + " threads: fast path differs from the reference loops");
    }

    @Test
    void depthwiseOnBytesEqualsReference() {
        // DepthwiseConv.runBytes: each form of PaddedPlane's byte fill (stride 1 rows of 16- and
        // 8-lane vectors and ragged ends, the 14-wide stride-2 split, stride-2 vectors with a
        // scalar tail, narrow stride 2, stride 3), 3x3 and 5x5 planes, odd plane counts split
        // over 1 and 2 threads, images whose last row ends the input (the scalar fallbacks).
        Case[] cases = {
            conv(90, DType.INT8, new int[] {2, 6, 14, 14}, 6, 6, 3, 3, true, true).ints("strides", 2, 2).ints("pads", 1, 1, 1, 1),
            conv(91, DType.UINT8, new int[] {1, 5, 28, 28}, 5, 5, 3, 3, true, true).ints("strides", 2, 2).ints("pads", 1, 1, 1, 1),
            conv(92, DType.INT8, new int[] {1, 3, 40, 37}, 3, 3, 3, 3, true, false).ints("strides", 2, 2).ints("pads", 1, 1, 1, 1),
            conv(93, DType.INT8, new int[] {1, 7, 7, 7}, 7, 7, 3, 3, true, true).ints("pads", 1, 1, 1, 1),
            conv(94, DType.UINT8, new int[] {2, 9, 13, 30}, 9, 9, 3, 3, true, true).ints("pads", 1, 1, 1, 1),
            conv(95, DType.INT8, new int[] {1, 8, 11, 11}, 8, 8, 3, 3, false, true).ints("strides", 2, 2).ints("pads", 1, 1, 1, 1),
            conv(96, DType.UINT8, new int[] {1, 6, 15, 17}, 6, 6, 5, 5, true, true).ints("pads", 2, 2, 2, 2),
            conv(97, DType.INT8, new int[] {1, 4, 16, 19}, 4, 4, 3, 3, true, true).ints("strides", 3, 3).ints("pads", 1, 1, 1, 1),
            conv(98, DType.UINT8, new int[] {1, 5, 12, 25}, 5, 5, 3, 3, true, true).ints("strides", 2, 1).ints("pads", 1, 0, 1, 2),
            conv(99, DType.INT8, new int[] {2, 3, 9, 33}, 3, 3, 3, 3, true, true).ints("strides", 2, 2),
            conv(100, DType.INT8, new int[] {1, 16, 56, 56}, 16, 16, 3, 3, true, true).ints("pads", 1, 1, 1, 1),
        };
        for (Case c : cases) {
            fastEqualsReference(c, 1);
            fastEqualsReference(c, 2);
        }
        cases[0].check();
        cases[4].check();
        cases[6].check();
    }

    @Test
    void blockedPointwiseEqualsReference() {
        // FastQConv's column blocks (pointwise, K <= 256, at least 2^19 outputs or 2^18 inputs per
        // image): two images, a narrower last block, blocks split over 1 and 2 threads, int8 and
        // uint8, blocks sized by the output (a, b) and by the input (c).
        Case a = conv(101, DType.INT8, new int[] {2, 16, 120, 121}, 40, 1, 1, 1, true, true);
        Case b = conv(102, DType.UINT8, new int[] {1, 64, 96, 100}, 56, 1, 1, 1, true, true);
        Case c3 = conv(103, DType.INT8, new int[] {2, 200, 35, 40}, 24, 1, 1, 1, true, true);
        for (Case c : new Case[] {a, b, c3}) {
            fastEqualsReference(c, 1);
            fastEqualsReference(c, 2);
        }
        b.check();
    }

    @Test
    void rejectsWhatItDoesNotSupport() {
        // Per-row a_scale (a 1-D scale of M values) is not supported: a one-line error naming the node.
        Case m = matMul(60, DType.UINT8, new int[] {4, 8}, new int[] {8, 3}, false);
        m.inputs.set(1, scales(61, 4, 0.01f, 0.02f));
        EdgeoptException e = assertThrows(EdgeoptException.class, () -> m.java(1));
        assertTrue(e.getMessage().contains("node") && e.getMessage().contains("input scale"), e.getMessage());
        // A float bias.
        Case c = conv(62, DType.UINT8, new int[] {1, 4, 5, 5}, 4, 1, 1, 1, false, false);
        c.inputs.add(Tensor.of(new float[] {1, 2, 3, 4}, 4)); // float bias
        e = assertThrows(EdgeoptException.class, () -> c.java(1));
        assertTrue(e.getMessage().contains("bias must be int32"), e.getMessage());
    }
}
