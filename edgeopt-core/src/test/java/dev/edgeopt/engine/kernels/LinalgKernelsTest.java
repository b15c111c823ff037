package dev.edgeopt.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Dim;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.FusedOps;
import dev.edgeopt.ops.OpRegistry;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Conv, ConvTranspose, Gemm, MatMul and the fused forms against naive double-precision reference
 * loops written independently of the kernels, over seeded random shapes that hit the edge paths
 * (odd sizes, partial register tiles, groups, depthwise, strides, dilations, asymmetric pads,
 * 1-D/3-D, K beyond one cache block), with constant and non-constant weights, on 1 and 2 threads.
 */
class LinalgKernelsTest {
    /** Reference result plus, per element, the sum of |terms| that bounds float rounding. */
    record Ref(double[] y, double[] mag) {}

    static float[] rand(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = r.nextFloat() * 2 - 1;
        return a;
    }

    static void assertClose(Ref ref, Tensor y, String what) {
        float[] a = y.floats();
        assertEquals(ref.y.length, y.size(), what + ": size");
        for (int i = 0; i < ref.y.length; i++) {
            double tol = 1e-5 * ref.mag[i] + 1e-6;
            double got = a[y.offset() + i];
            if (!(Math.abs(got - ref.y[i]) <= tol)) {
                throw new AssertionError(what + ": element " + i + " is " + got + ", expected " + ref.y[i] + " (tol " + tol + ")");
            }
        }
    }

    // ------------------------------------------------------------------ Conv

    /** Naive conv over lifted 3-D geometry; shapes x [N,C,D,H,W], w [M,C/g,KD,KH,KW]. */
    static Ref refConv(float[] x, int[] xs, float[] w, int[] ws, float[] b, int group, int[] s, int[] d, int[] pb, int[] os,
                       Activation act, float p0, float p1) {
        int n = xs[0], c = xs[1], m = ws[0], cg = c / group, mg = m / group;
        double[] y = new double[n * m * os[0] * os[1] * os[2]];
        double[] mag = new double[y.length];
        int i = 0;
        for (int b0 = 0; b0 < n; b0++)
            for (int co = 0; co < m; co++)
                for (int od = 0; od < os[0]; od++)
                    for (int oh = 0; oh < os[1]; oh++)
                        for (int ow = 0; ow < os[2]; ow++, i++) {
                            double acc = b == null ? 0 : b[co], am = b == null ? 0 : Math.abs(b[co]);
                            int g = co / mg;
                            for (int ci = 0; ci < cg; ci++)
                                for (int kd = 0; kd < ws[2]; kd++)
                                    for (int kh = 0; kh < ws[3]; kh++)
                                        for (int kw = 0; kw < ws[4]; kw++) {
                                            int id = od * s[0] - pb[0] + kd * d[0], ih = oh * s[1] - pb[1] + kh * d[1], iw = ow * s[2] - pb[2] + kw * d[2];
                                            if (id < 0 || id >= xs[2] || ih < 0 || ih >= xs[3] || iw < 0 || iw >= xs[4]) continue;
                                            double xv = x[(((b0 * c + g * cg + ci) * xs[2] + id) * xs[3] + ih) * xs[4] + iw];
                                            double wv = w[(((co * cg + ci) * ws[2] + kd) * ws[3] + kh) * ws[4] + kw];
                                            acc += xv * wv;
                                            am += Math.abs(xv * wv);
                                        }
                            y[i] = act.apply((float) acc, p0, p1);
                            mag[i] = am;
                        }
        return new Ref(y, mag);
    }

    static int[] lift(int[] v, int fill) {
        int[] r = {fill, fill, fill};
        System.arraycopy(v, 0, r, 3 - v.length, v.length);
        return r;
    }

    /** Builds a one-node Conv (or FusedConv) graph, runs it, compares with the reference. */
    static void checkConv(Random r, int rank, int n, int c, int m, int group, int[] in, int[] k, int[] s, int[] d, int[] pads,
                          boolean constW, boolean bias, int threads, Activation act, float[] params) {
        int[] xs = new int[2 + rank], ws = new int[2 + rank];
        xs[0] = n;
        xs[1] = c;
        ws[0] = m;
        ws[1] = c / group;
        for (int i = 0; i < rank; i++) {
            xs[2 + i] = in[i];
            ws[2 + i] = k[i];
        }
        float[] x = rand(r, Tensor.numel(xs)), w = rand(r, Tensor.numel(ws)), b = bias ? rand(r, m) : null;
        Graph g = new Graph("conv");
        Value xv = g.addInput("x", TensorType.of(DType.FLOAT, xs));
        Value wv = constW ? g.addInitializer("w", Tensor.of(w, ws)) : g.addInput("w", TensorType.of(DType.FLOAT, ws));
        List<Value> ins = new ArrayList<>(List.of(xv, wv));
        if (bias) ins.add(g.addInitializer("b", Tensor.of(b, m)));
        boolean fused = act != Activation.NONE;
        Node node = g.insertNode(0, fused ? FusedOps.FUSED_CONV : "Conv", fused ? FusedOps.DOMAIN : "", "conv", ins, List.of("y"));
        node.setAttr("group", Attribute.of((long) group));
        node.setAttr("strides", Attribute.ofInts(s));
        node.setAttr("dilations", Attribute.ofInts(d));
        node.setAttr("pads", Attribute.ofInts(pads));
        if (fused) {
            node.setAttr(FusedOps.ACTIVATION, Attribute.of(act.opName()));
            if (params != null) node.setAttr(FusedOps.ACTIVATION_PARAMS, Attribute.of(params));
        }
        g.addOutput(node.output(0));
        ShapeInference.annotate(g, null);
        int[] os = g.outputs().get(0).shape().toIntArray();
        int[] osp = Arrays.copyOfRange(os, 2, os.length);
        int[] pb = Arrays.copyOf(pads, rank);
        float p0 = 0, p1 = 0;
        if (fused) {
            float[] pp = params != null ? params : act.defaults();
            p0 = pp.length > 0 ? pp[0] : 0;
            p1 = pp.length > 1 ? pp[1] : 0;
        }
        Ref ref = refConv(x, lift5(xs, rank), w, lift5(ws, rank), b, group, lift(s, 1), lift(d, 1), lift(pb, 0), lift(osp, 1), act, p0, p1);
        try (Executor ex = new Executor(g, threads)) {
            Tensor[] out = constW ? ex.run(Tensor.of(x, xs)) : ex.run(Tensor.of(x, xs), Tensor.of(w, ws));
            String what = "conv x" + Arrays.toString(xs) + " w" + Arrays.toString(ws) + " g" + group + " s" + Arrays.toString(s)
                    + " d" + Arrays.toString(d) + " p" + Arrays.toString(pads) + " const " + constW + " bias " + bias + " t" + threads + " " + act;
            assertClose(ref, out[0], what);
            // A second run must not depend on state left by the first.
            Tensor[] again = constW ? ex.run(Tensor.of(x, xs)) : ex.run(Tensor.of(x, xs), Tensor.of(w, ws));
            assertArrayEquals(Arrays.copyOfRange(out[0].floats(), out[0].offset(), out[0].offset() + out[0].size()),
                    Arrays.copyOfRange(again[0].floats(), again[0].offset(), again[0].offset() + again[0].size()), 0f, what + " rerun");
        }
    }

    static int[] lift5(int[] shape, int rank) {
        int[] r = {shape[0], shape[1], 1, 1, 1};
        for (int i = 0; i < rank; i++) r[5 - rank + i] = shape[2 + i];
        return r;
    }

    @Test
    void convMatchesReferenceOnRandomShapes() {
        Random r = new Random(42);
        for (int iter = 0; iter < 120; iter++) {
            int rank = iter % 10 == 0 ? 1 : iter % 10 == 1 ? 3 : 2;
            int group = switch (iter % 5) {
                case 0 -> 1;
                case 1 -> 2;
                case 2 -> 3;
                default -> 1;
            };
            boolean depthwise = iter % 4 == 3;
            int c = depthwise ? 1 + r.nextInt(9) : group * (1 + r.nextInt(5));
            if (depthwise) group = c;
            int m = depthwise ? c : group * (1 + r.nextInt(rank == 3 ? 3 : 9));
            int[] in = new int[rank], k = new int[rank], s = new int[rank], d = new int[rank], pads = new int[2 * rank];
            for (int i = 0; i < rank; i++) {
                k[i] = 1 + r.nextInt(rank == 3 ? 3 : 5);
                s[i] = 1 + r.nextInt(3);
                d[i] = depthwise && iter % 8 == 3 ? 1 : 1 + r.nextInt(2);
                pads[i] = r.nextInt(3);
                pads[i + rank] = r.nextInt(3);
                int dk = (k[i] - 1) * d[i] + 1;
                in[i] = Math.max(dk, 1) + r.nextInt(rank == 3 ? 5 : 20);
            }
            Activation act = Activation.values()[iter % Activation.values().length];
            float[] params = act == Activation.CLIP ? new float[] {-0.3f, 0.4f} : act == Activation.LEAKY_RELU ? new float[] {0.2f} : null;
            checkConv(r, rank, 1 + r.nextInt(2), c, m, group, in, k, s, d, pads, iter % 3 != 0, iter % 2 == 0, 1 + iter % 2, act, params);
        }
    }

    @Test
    void convFastPathsMatchReference() {
        Random r = new Random(7);
        for (int t = 1; t <= 2; t++) {
            // Pointwise with M and N off the register tile, and K across several K blocks.
            checkConv(r, 2, 1, 600, 37, 1, new int[] {7, 9}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, new int[4], true, true, t, Activation.RELU, null);
            checkConv(r, 2, 2, 24, 144, 1, new int[] {28, 28}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, new int[4], true, true, t, Activation.CLIP, new float[] {0, 6});
            // A last M panel of 4 and of 2 rows (16 and 32 output channels) through the register
            // epilogue, K across two K blocks (the second adds onto C), with and without bias.
            checkConv(r, 2, 1, 300, 16, 1, new int[] {14, 14}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, new int[4], true, true, t, Activation.RELU, null);
            checkConv(r, 2, 1, 300, 32, 1, new int[] {8, 8}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, new int[4], true, false, t, Activation.NONE, null);
            // Pointwise over 7x7 maps, run transposed (pixels as GEMM rows, 49 = 8 x 6 + 1): K
            // over several K blocks, two images, a register-tile epilogue (Clip), a per-row one
            // (HardSwish), M = 48 (a last column panel of one vector), no bias.
            checkConv(r, 2, 2, 576, 96, 1, new int[] {7, 7}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, new int[4], true, true, t, Activation.CLIP, new float[] {0, 6});
            checkConv(r, 2, 1, 40, 64, 1, new int[] {7, 7}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, new int[4], true, true, t, Activation.HARD_SWISH, null);
            checkConv(r, 2, 1, 24, 48, 1, new int[] {7, 7}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, new int[4], true, false, t, Activation.NONE, null);
            // MobileNet-style depthwise 3x3, stride 1 and 2, and a 5x5 one.
            checkConv(r, 2, 1, 32, 32, 32, new int[] {112, 112}, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1, 1, 1}, true, true, t, Activation.CLIP, new float[] {0, 6});
            checkConv(r, 2, 1, 96, 96, 96, new int[] {113, 111}, new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1, 1, 1}, true, true, t, Activation.NONE, null);
            checkConv(r, 2, 2, 16, 16, 16, new int[] {19, 23}, new int[] {5, 5}, new int[] {2, 1}, new int[] {1, 1}, new int[] {2, 1, 2, 3}, false, false, t, Activation.HARD_SWISH, null);
            // Small depthwise planes (row copies by whole vectors; the 14-wide stride-2 split),
            // with the last plane at the end of the input array, and an even-width kernel that
            // must stay off that split.
            checkConv(r, 2, 2, 9, 9, 9, new int[] {14, 14}, new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1, 1, 1}, true, true, t, Activation.CLIP, new float[] {0, 6});
            checkConv(r, 2, 1, 5, 5, 5, new int[] {14, 14}, new int[] {3, 4}, new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1, 1, 2}, true, false, t, Activation.NONE, null);
            checkConv(r, 2, 2, 7, 7, 7, new int[] {7, 7}, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1, 1, 1}, true, true, t, Activation.RELU, null);
            checkConv(r, 2, 1, 6, 6, 6, new int[] {14, 14}, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1, 1, 1}, true, true, t, Activation.NONE, null);
            checkConv(r, 2, 1, 3, 3, 3, new int[] {28, 27}, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1, 1, 1}, false, true, t, Activation.NONE, null);
            // Stride 1 two rows at a time: rows a multiple of 16 wide, ragged (overlapping last
            // vector), narrower than a vector (spilling into the next row), odd heights (a last
            // single row), and 5-6 wide rows of the 8-lane form.
            checkConv(r, 2, 1, 5, 5, 5, new int[] {56, 56}, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1, 1, 1}, true, true, t, Activation.CLIP, new float[] {0, 6});
            checkConv(r, 2, 2, 4, 4, 4, new int[] {15, 30}, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1, 1, 1}, true, true, t, Activation.RELU, null);
            checkConv(r, 2, 1, 6, 6, 6, new int[] {9, 13}, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1, 1, 1}, true, false, t, Activation.NONE, null);
            checkConv(r, 2, 2, 11, 11, 11, new int[] {7, 7}, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1, 1, 1}, true, true, t, Activation.CLIP, new float[] {-0.2f, 0.3f});
            checkConv(r, 2, 1, 3, 3, 3, new int[] {8, 6}, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1, 1, 1}, true, true, t, Activation.HARD_SWISH, null);
            checkConv(r, 2, 1, 3, 3, 3, new int[] {6, 5}, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 0, 1, 0}, false, true, t, Activation.NONE, null);
            checkConv(r, 2, 1, 2, 2, 2, new int[] {16, 16}, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[] {0, 0, 0, 0}, true, true, t, Activation.NONE, null);
            // Direct convs over few input channels: M not a multiple of the 4-channel block
            // (overlapping last block), rows not a multiple of 16 (overlapping last vector), no
            // bias, two images, asymmetric pads, a 5x5 single-channel one; and weights given at
            // run time, which stay on im2col + GEMM.
            checkConv(r, 2, 2, 3, 10, 1, new int[] {37, 40}, new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 0, 1, 1}, true, false, t, Activation.RELU, null);
            checkConv(r, 2, 1, 1, 6, 1, new int[] {20, 21}, new int[] {5, 5}, new int[] {1, 1}, new int[] {1, 1}, new int[] {2, 2, 2, 2}, true, true, t, Activation.NONE, null);
            checkConv(r, 2, 1, 2, 4, 1, new int[] {18, 34}, new int[] {3, 2}, new int[] {1, 2}, new int[] {1, 1}, new int[] {0, 1, 0, 0}, true, true, t, Activation.CLIP, new float[] {-0.5f, 0.5f});
            checkConv(r, 2, 1, 3, 8, 1, new int[] {30, 30}, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1, 1, 1}, false, true, t, Activation.CLIP, new float[] {0, 6});
            checkConv(r, 2, 1, 3, 5, 1, new int[] {9, 50}, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[4], true, true, t, Activation.NONE, null);
            // The stem: 3x3 stride 2 over 3 channels (direct).
            checkConv(r, 2, 1, 3, 32, 1, new int[] {224, 224}, new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1, 1, 1}, true, true, t, Activation.CLIP, new float[] {0, 6});
        }
    }

    // ------------------------------------------------------------------ ConvTranspose

    static Ref refConvTranspose(float[] x, int[] xs, float[] w, int[] ws, float[] b, int group, int[] s, int[] d, int[] pb, int[] os) {
        int n = xs[0], c = xs[1], cg = c / group, mg = ws[1], m = mg * group;
        int outP = os[0] * os[1] * os[2];
        double[] y = new double[n * m * outP], mag = new double[y.length];
        for (int b0 = 0; b0 < n; b0++)
            for (int co = 0; co < m; co++)
                for (int i = 0; i < outP; i++) {
                    y[(b0 * m + co) * outP + i] = b == null ? 0 : b[co];
                    mag[(b0 * m + co) * outP + i] = b == null ? 0 : Math.abs(b[co]);
                }
        for (int b0 = 0; b0 < n; b0++)
            for (int ci = 0; ci < c; ci++) {
                int g = ci / cg;
                for (int id = 0; id < xs[2]; id++)
                    for (int ih = 0; ih < xs[3]; ih++)
                        for (int iw = 0; iw < xs[4]; iw++) {
                            double xv = x[(((b0 * c + ci) * xs[2] + id) * xs[3] + ih) * xs[4] + iw];
                            for (int mo = 0; mo < mg; mo++)
                                for (int kd = 0; kd < ws[2]; kd++)
                                    for (int kh = 0; kh < ws[3]; kh++)
                                        for (int kw = 0; kw < ws[4]; kw++) {
                                            int od = id * s[0] - pb[0] + kd * d[0], oh = ih * s[1] - pb[1] + kh * d[1], ow = iw * s[2] - pb[2] + kw * d[2];
                                            if (od < 0 || od >= os[0] || oh < 0 || oh >= os[1] || ow < 0 || ow >= os[2]) continue;
                                            double wv = w[(((ci * mg + mo) * ws[2] + kd) * ws[3] + kh) * ws[4] + kw];
                                            int yi = (b0 * m + g * mg + mo) * outP + (od * os[1] + oh) * os[2] + ow;
                                            y[yi] += xv * wv;
                                            mag[yi] += Math.abs(xv * wv);
                                        }
                        }
            }
        return new Ref(y, mag);
    }

    @Test
    void convTransposeMatchesReferenceOnRandomShapes() {
        Random r = new Random(11);
        for (int iter = 0; iter < 40; iter++) {
            int rank = iter % 8 == 0 ? 1 : iter % 8 == 1 ? 3 : 2;
            int group = 1 + iter % 3;
            int c = group * (1 + r.nextInt(4)), mg = 1 + r.nextInt(5);
            int n = 1 + r.nextInt(2);
            int[] xs = new int[2 + rank], ws = new int[2 + rank];
            int[] s = new int[rank], d = new int[rank], pads = new int[2 * rank], op = new int[rank];
            xs[0] = n;
            xs[1] = c;
            ws[0] = c;
            ws[1] = mg;
            for (int i = 0; i < rank; i++) {
                xs[2 + i] = 1 + r.nextInt(rank == 3 ? 4 : 9);
                ws[2 + i] = 1 + r.nextInt(4);
                s[i] = 1 + r.nextInt(3);
                d[i] = 1 + r.nextInt(2);
                pads[i] = r.nextInt(2);
                pads[i + rank] = r.nextInt(2);
                op[i] = r.nextInt(Math.max(s[i], d[i]));
            }
            boolean empty = false;
            for (int i = 0; i < rank; i++) {
                empty |= s[i] * (xs[2 + i] - 1) + op[i] + (ws[2 + i] - 1) * d[i] + 1 - pads[i] - pads[i + rank] <= 0;
            }
            if (empty) continue;
            float[] x = rand(r, Tensor.numel(xs)), w = rand(r, Tensor.numel(ws)), b = iter % 2 == 0 ? rand(r, mg * group) : null;
            Graph g = new Graph("convt");
            Value xv = g.addInput("x", TensorType.of(DType.FLOAT, xs));
            boolean constW = iter % 3 != 0;
            Value wv = constW ? g.addInitializer("w", Tensor.of(w, ws)) : g.addInput("w", TensorType.of(DType.FLOAT, ws));
            List<Value> ins = new ArrayList<>(List.of(xv, wv));
            if (b != null) ins.add(g.addInitializer("b", Tensor.of(b, mg * group)));
            Node node = g.addNode("ConvTranspose", "ct", ins, List.of("y"));
            node.setAttr("group", Attribute.of((long) group));
            node.setAttr("strides", Attribute.ofInts(s));
            node.setAttr("dilations", Attribute.ofInts(d));
            node.setAttr("pads", Attribute.ofInts(pads));
            node.setAttr("output_padding", Attribute.ofInts(op));
            g.addOutput(node.output(0));
            ShapeInference.annotate(g, null);
            int[] os = g.outputs().get(0).shape().toIntArray();
            int[] osp = Arrays.copyOfRange(os, 2, os.length);
            for (int i = 0; i < rank; i++) {
                int full = s[i] * (xs[2 + i] - 1) + op[i] + (ws[2 + i] - 1) * d[i] + 1 - pads[i] - pads[i + rank];
                assertEquals(full, osp[i], "output size formula");
            }
            Ref ref = refConvTranspose(x, lift5(xs, rank), w, lift5(ws, rank), b, group, lift(s, 1), lift(d, 1), lift(Arrays.copyOf(pads, rank), 0), lift(osp, 1));
            try (Executor ex = new Executor(g, 1 + iter % 2)) {
                Tensor[] out = constW ? ex.run(Tensor.of(x, xs)) : ex.run(Tensor.of(x, xs), Tensor.of(w, ws));
                assertClose(ref, out[0], "convtranspose x" + Arrays.toString(xs) + " w" + Arrays.toString(ws) + " g" + group);
            }
        }
    }

    // ------------------------------------------------------------------ Gemm / MatMul

    @Test
    void gemmMatchesReferenceOnRandomShapes() {
        Random r = new Random(5);
        for (int iter = 0; iter < 62; iter++) {
            int m = 1 + r.nextInt(iter % 7 == 0 ? 300 : 40), n = 1 + r.nextInt(iter % 5 == 0 ? 300 : 40), k = 1 + r.nextInt(iter % 6 == 0 ? 700 : 50);
            if (iter >= 60) {
                // A classifier at batch 1 (one-row tiles over several K blocks), and a last
                // register panel of one row.
                m = iter == 60 ? 1 : 13;
                n = 1000;
                k = 1281;
            }
            boolean ta = r.nextBoolean(), tb = r.nextBoolean();
            float alpha = iter % 4 == 0 ? 1f : r.nextFloat() * 2 - 1, beta = iter % 3 == 0 ? 1f : r.nextFloat() * 2 - 1;
            int cKind = iter % 6; // 0 none, 1 [N], 2 [M,1], 3 [M,N], 4 scalar [1], 5 [1,N]
            int[] as = ta ? new int[] {k, m} : new int[] {m, k}, bs = tb ? new int[] {n, k} : new int[] {k, n};
            int[] cs = switch (cKind) {
                case 1 -> new int[] {n};
                case 2 -> new int[] {m, 1};
                case 3 -> new int[] {m, n};
                case 4 -> new int[] {1};
                case 5 -> new int[] {1, n};
                default -> null;
            };
            float[] a = rand(r, m * k), b = rand(r, k * n), c = cs == null ? null : rand(r, Tensor.numel(cs));
            Activation act = iter % 4 == 1 ? Activation.RELU : iter % 4 == 2 ? Activation.SIGMOID : Activation.NONE;
            boolean constB = iter % 2 == 0, constA = iter % 5 == 1;
            Graph gg = new Graph("gemm");
            Value av = constA ? gg.addInitializer("a", Tensor.of(a, as)) : gg.addInput("a", TensorType.of(DType.FLOAT, as));
            Value bv = constB ? gg.addInitializer("b", Tensor.of(b, bs)) : gg.addInput("b", TensorType.of(DType.FLOAT, bs));
            List<Value> ins = new ArrayList<>(List.of(av, bv));
            if (c != null) ins.add(gg.addInitializer("c", Tensor.of(c, cs)));
            boolean fused = act != Activation.NONE;
            Node node = gg.insertNode(0, fused ? FusedOps.FUSED_GEMM : "Gemm", fused ? FusedOps.DOMAIN : "", "gemm", ins, List.of("y"));
            node.setAttr("transA", Attribute.of(ta ? 1L : 0L));
            node.setAttr("transB", Attribute.of(tb ? 1L : 0L));
            node.setAttr("alpha", Attribute.of(alpha));
            node.setAttr("beta", Attribute.of(beta));
            if (fused) node.setAttr(FusedOps.ACTIVATION, Attribute.of(act.opName()));
            gg.addOutput(node.output(0));
            ShapeInference.annotate(gg, null);
            double[] y = new double[m * n], mag = new double[m * n];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double acc = 0, am = 0;
                    for (int kk = 0; kk < k; kk++) {
                        double t = (double) (ta ? a[kk * m + i] : a[i * k + kk]) * (tb ? b[j * k + kk] : b[kk * n + j]);
                        acc += t;
                        am += Math.abs(t);
                    }
                    acc *= alpha;
                    am *= Math.abs(alpha);
                    if (c != null) {
                        double cv = switch (cKind) {
                            case 1, 5 -> c[j];
                            case 2 -> c[i];
                            case 3 -> c[i * n + j];
                            default -> c[0];
                        };
                        acc += beta * cv;
                        am += Math.abs(beta * cv);
                    }
                    y[i * n + j] = act.apply((float) acc, 0, 0);
                    mag[i * n + j] = am;
                }
            List<Tensor> feeds = new ArrayList<>();
            if (!constA) feeds.add(Tensor.of(a, as));
            if (!constB) feeds.add(Tensor.of(b, bs));
            try (Executor ex = new Executor(gg, 1 + iter % 2)) {
                Tensor out = ex.run(feeds.toArray(new Tensor[0]))[0];
                assertClose(new Ref(y, mag), out, "gemm m" + m + " n" + n + " k" + k + " ta" + ta + " tb" + tb + " c" + cKind + " " + act);
            }
        }
    }

    @Test
    void matMulMatchesReferenceWithBroadcastingAnd1D() {
        Random r = new Random(9);
        int[][][] cases = {
            {{5}, {5}}, {{5}, {5, 3}}, {{4, 5}, {5}}, {{2, 3, 4, 5}, {5, 7}}, {{3, 1, 4, 5}, {2, 5, 6}},
            {{1, 40, 33}, {33, 70}}, {{2, 3, 19}, {2, 19, 17}}, {{300, 260}, {260, 50}}, {{7}, {3, 7, 2}},
        };
        int iter = 0;
        for (int[][] cs : cases) {
            for (boolean constB : new boolean[] {false, true}) {
                iter++;
                int[] as = cs[0], bs = cs[1];
                float[] a = rand(r, Tensor.numel(as)), b = rand(r, Tensor.numel(bs));
                int[] a2 = as.length == 1 ? new int[] {1, as[0]} : as, b2 = bs.length == 1 ? new int[] {bs[0], 1} : bs;
                int m = a2[a2.length - 2], k = a2[a2.length - 1], n = b2[b2.length - 1];
                boolean withBias = iter % 3 == 0 && bs.length > 1;
                float[] bias = withBias ? rand(r, n) : null;
                Graph g = new Graph("mm");
                Value av = g.addInput("a", TensorType.of(DType.FLOAT, as));
                Value bv = constB ? g.addInitializer("b", Tensor.of(b, bs)) : g.addInput("b", TensorType.of(DType.FLOAT, bs));
                List<Value> ins = new ArrayList<>(List.of(av, bv));
                if (withBias) ins.add(g.addInitializer("bias", Tensor.of(bias, n)));
                Node node = g.insertNode(0, withBias ? FusedOps.FUSED_MATMUL : "MatMul", withBias ? FusedOps.DOMAIN : "", "mm", ins, List.of("y"));
                if (withBias) node.setAttr(FusedOps.ACTIVATION, Attribute.of("Relu"));
                g.addOutput(node.output(0));
                ShapeInference.annotate(g, null);
                int[] ys = g.outputs().get(0).shape().toIntArray();
                // Reference through explicit broadcasting of the batch dims.
                int[] ab = Arrays.copyOf(a2, a2.length - 2), bb = Arrays.copyOf(b2, b2.length - 2);
                int[] batch = dev.edgeopt.tensor.Broadcast.shape(ab, bb);
                int[] am = dev.edgeopt.tensor.Broadcast.indexMap(ab, batch), bm = dev.edgeopt.tensor.Broadcast.indexMap(bb, batch);
                int nb = Tensor.numel(batch);
                double[] y = new double[nb * m * n], mag = new double[y.length];
                for (int bi = 0; bi < nb; bi++)
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j < n; j++) {
                            double acc = withBias ? bias[j] : 0, amag = withBias ? Math.abs(bias[j]) : 0;
                            for (int kk = 0; kk < k; kk++) {
                                double t = (double) a[am[bi] * m * k + i * k + kk] * b[bm[bi] * k * n + kk * n + j];
                                acc += t;
                                amag += Math.abs(t);
                            }
                            y[(bi * m + i) * n + j] = withBias ? Math.max(acc, 0) : acc;
                            mag[(bi * m + i) * n + j] = amag;
                        }
                assertEquals(Tensor.numel(ys), y.length, "output shape " + Arrays.toString(ys));
                try (Executor ex = new Executor(g, 1 + iter % 2)) {
                    Tensor out = constB ? ex.run(Tensor.of(a, as))[0] : ex.run(Tensor.of(a, as), Tensor.of(b, bs))[0];
                    assertClose(new Ref(y, mag), out, "matmul " + Arrays.toString(as) + " x " + Arrays.toString(bs));
                }
            }
        }
    }

    // ------------------------------------------------------------------ schemas

    @Test
    void schemasKeepSymbolicBatchAndCountMacs() {
        Graph g = new Graph("s");
        Value x = g.addInput("x", new TensorType(DType.FLOAT, Shape.of(Dim.sym("N"), Dim.of(3), Dim.of(224), Dim.of(224))));
        Value w = g.addInitializer("w", Tensor.of(new float[32 * 3 * 9], 32, 3, 3, 3));
        Node conv = g.addNode("Conv", "c", List.of(x, w), List.of("y"));
        conv.setAttr("strides", Attribute.ofInts(2, 2));
        conv.setAttr("auto_pad", Attribute.of("SAME_UPPER"));
        Value w2 = g.addInitializer("w2", Tensor.of(new float[32 * 9], 32, 1, 3, 3));
        Node dw = g.addNode("Conv", "dw", List.of(conv.output(0), w2), List.of("z"));
        dw.setAttr("group", Attribute.of(32L));
        dw.setAttr("auto_pad", Attribute.of("VALID"));
        g.addOutput(dw.output(0));
        ShapeInference.annotate(g, null);
        assertEquals("[N,32,112,112]", conv.output(0).shape().toString());
        assertEquals("[N,32,110,110]", dw.output(0).shape().toString());
        var schema = OpRegistry.standard().require(conv);
        long macs = schema.macs(conv, new TensorType[] {TensorType.of(DType.FLOAT, 1, 3, 224, 224), w.type()},
                new TensorType[] {TensorType.of(DType.FLOAT, 1, 32, 112, 112)});
        assertEquals(1L * 32 * 112 * 112 * 3 * 3 * 3, macs);
        long dwMacs = OpRegistry.standard().require(dw).macs(dw, new TensorType[] {TensorType.of(DType.FLOAT, 1, 32, 112, 112), w2.type()},
                new TensorType[] {TensorType.of(DType.FLOAT, 1, 32, 110, 110)});
        assertEquals(32L * 110 * 110 * 9, dwMacs);

        Graph m = new Graph("m");
        Value a = m.addInput("a", new TensorType(DType.FLOAT, Shape.of(Dim.sym("B"), Dim.of(7), Dim.of(5))));
        Value b = m.addInitializer("b", Tensor.of(new float[15], 5, 3));
        Node mm = m.addNode("MatMul", "mm", List.of(a, b), List.of("y"));
        m.addOutput(mm.output(0));
        ShapeInference.annotate(m, null);
        assertEquals("[B,7,3]", mm.output(0).shape().toString());
        assertEquals(2L * 7 * 3 * 5, OpRegistry.standard().require(mm).macs(mm,
                new TensorType[] {TensorType.of(DType.FLOAT, 2, 7, 5), b.type()}, new TensorType[] {TensorType.of(DType.FLOAT, 2, 7, 3)}));
    }

    @Test
    void badShapesAndAttributesAreOneLineErrors() {
        Graph g = new Graph("bad");
        Value x = g.addInput("x", TensorType.of(DType.FLOAT, 1, 4, 8, 8));
        Value w = g.addInitializer("w", Tensor.of(new float[6 * 3 * 9], 6, 3, 3, 3));
        g.addNode("Conv", "c", List.of(x, w), List.of("y"));
        String msg = assertThrows(EdgeoptException.class, () -> ShapeInference.annotate(g, null)).getMessage();
        assertTrue(msg.contains("'c'") || msg.contains("c"), msg);
        assertTrue(msg.contains("channels"), msg);
        assertTrue(!msg.contains("\n"), msg);

        Graph g2 = new Graph("bad2");
        Value x2 = g2.addInput("x", TensorType.of(DType.FLOAT, 1, 3, 8, 8));
        Value w2 = g2.addInitializer("w", Tensor.of(new float[6 * 3 * 9], 6, 3, 3, 3));
        Node n2 = g2.addNode("Conv", "c2", List.of(x2, w2), List.of("y"));
        n2.setAttr("auto_pad", Attribute.of("SAME_SIDEWAYS"));
        msg = assertThrows(EdgeoptException.class, () -> ShapeInference.annotate(g2, null)).getMessage();
        assertTrue(msg.contains("auto_pad"), msg);

        Graph g3 = new Graph("bad3");
        Value a = g3.addInput("a", TensorType.of(DType.FLOAT, 2, 3));
        Value b = g3.addInitializer("b", Tensor.of(new float[8], 4, 2));
        g3.addNode("MatMul", "mm", List.of(a, b), List.of("y"));
        msg = assertThrows(EdgeoptException.class, () -> ShapeInference.annotate(g3, null)).getMessage();
        assertTrue(msg.contains("inner dimensions"), msg);
    }
}
