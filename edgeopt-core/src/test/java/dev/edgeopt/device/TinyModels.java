package dev.edgeopt.device;

import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.MacsFn;
import dev.edgeopt.ops.OpRegistry;
import dev.edgeopt.ops.OpSchema;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * MLPerf Tiny's four reference models (v1.x closed division), built as int8 graphs with declared
 * types: ResNet-8 (image classification, CIFAR-10 32x32x3), DS-CNN (keyword spotting, 49x10x1
 * MFCC), MobileNetV1-0.25 (visual wake words, 96x96x3) and the FC-AutoEncoder (anomaly detection,
 * 640 inputs). Architectures follow mlcommons/tiny benchmark/training/*: batch normalization is
 * folded into the convolutions and activations are fused into their requantization, as the int8
 * TFLite models that the results were measured with have them. Weights are zero: the cost model
 * reads sizes, not values.
 */
final class TinyModels {
    private TinyModels() {}

    /**
     * MACs for the fixture's ops, used until the linalg schemas are on main; when a schema for
     * the op exists its MACs are used instead (and {@code CalibrationTest} checks the two agree).
     */
    static long localMacs(Node n, TensorType[] in, TensorType[] out) {
        switch (n.opType()) {
            case "Conv" -> {
                long[] w = in[1].shape().toLongArray();
                return out[0].shape().numel() * w[1] * w[2] * w[3];
            }
            case "Gemm" -> {
                long[] w = in[1].shape().toLongArray();
                return out[0].shape().numel() * w[1];
            }
            default -> { return 0; }
        }
    }

    static final MacsFn MACS = (n, in, out) -> {
        OpSchema s = OpRegistry.standard().find(n.domain(), n.opType());
        return s != null && s.macs(n, in, out) > 0 ? s.macs(n, in, out) : localMacs(n, in, out);
    };

    /** A small NCHW int8 graph builder. */
    static final class B {
        final Graph g;
        Value cur;
        long c, h, w;
        int k;

        B(String name, long c, long h, long w) {
            g = new Graph(name);
            cur = g.addInput("input", TensorType.of(DType.INT8, 1, c, h, w));
            this.c = c;
            this.h = h;
            this.w = w;
        }

        private Value out(Node n, long... dims) {
            n.output(0).setType(TensorType.of(DType.INT8, dims));
            cur = n.output(0);
            return cur;
        }

        /** "same" padding as Keras: output = ceil(input / stride). */
        B conv(long cout, int kh, int kw, int stride, boolean depthwise) {
            long group = depthwise ? c : 1;
            if (depthwise) cout = c;
            long oh = (h + stride - 1) / stride, ow = (w + stride - 1) / stride;
            long padH = Math.max((oh - 1) * stride + kh - h, 0), padW = Math.max((ow - 1) * stride + kw - w, 0);
            String nm = (depthwise ? "dw" : "conv") + (k++);
            Value wt = g.addInitializer(nm + "_w", Tensor.allocate(DType.INT8, (int) cout, (int) (c / group), kh, kw));
            Value bias = g.addInitializer(nm + "_b", Tensor.allocate(DType.INT32, (int) cout));
            Node n = g.addNode("Conv", nm, List.of(cur, wt, bias), List.of(nm));
            n.setAttr("kernel_shape", Attribute.ofInts(kh, kw));
            n.setAttr("strides", Attribute.ofInts(stride, stride));
            n.setAttr("pads", Attribute.of(new long[] {padH / 2, padW / 2, padH - padH / 2, padW - padW / 2}));
            n.setAttr("group", Attribute.of(group));
            out(n, 1, cout, oh, ow);
            c = cout;
            h = oh;
            w = ow;
            return this;
        }

        B add(Value other) {
            String nm = "add" + (k++);
            out(g.addNode("Add", nm, List.of(cur, other), List.of(nm)), 1, c, h, w);
            return this;
        }

        B avgPoolAll() {
            String nm = "pool" + (k++);
            Node n = g.addNode("AveragePool", nm, List.of(cur), List.of(nm));
            n.setAttr("kernel_shape", Attribute.ofInts((int) h, (int) w));
            out(n, 1, c, 1, 1);
            h = 1;
            w = 1;
            return this;
        }

        B flatten() {
            String nm = "flat" + (k++);
            out(g.addNode("Flatten", nm, List.of(cur), List.of(nm)), 1, c * h * w);
            c = c * h * w;
            h = 1;
            w = 1;
            return this;
        }

        B dense(long nout) {
            String nm = "fc" + (k++);
            Value wt = g.addInitializer(nm + "_w", Tensor.allocate(DType.INT8, (int) nout, (int) c));
            Value bias = g.addInitializer(nm + "_b", Tensor.allocate(DType.INT32, (int) nout));
            Node n = g.addNode("Gemm", nm, List.of(cur, wt, bias), List.of(nm));
            n.setAttr("transB", Attribute.of(1L));
            out(n, 1, nout);
            c = nout;
            return this;
        }

        B softmax() {
            String nm = "softmax" + (k++);
            out(g.addNode("Softmax", nm, List.of(cur), List.of(nm)), 1, c);
            return this;
        }

        Graph done() {
            g.addOutput(cur);
            return g;
        }
    }

    /** ResNet-8 for CIFAR-10: 12.5 M MACs. */
    static Graph resnet8() {
        B b = new B("resnet8_ic", 3, 32, 32);
        b.conv(16, 3, 3, 1, false);
        Value x = b.cur;
        b.conv(16, 3, 3, 1, false).conv(16, 3, 3, 1, false).add(x);
        for (long ch : new long[] {32, 64}) {
            x = b.cur;
            long cin = b.c, hin = b.h, win = b.w;
            b.conv(ch, 3, 3, 2, false).conv(ch, 3, 3, 1, false);
            Value main = b.cur;
            long c = b.c, h = b.h, w = b.w;
            b.cur = x;
            b.c = cin;
            b.h = hin;
            b.w = win;
            b.conv(ch, 1, 1, 2, false);
            Value shortcut = b.cur;
            b.cur = main;
            b.c = c;
            b.h = h;
            b.w = w;
            b.add(shortcut);
        }
        return b.avgPoolAll().flatten().dense(10).softmax().done();
    }

    /** DS-CNN (small) for keyword spotting. */
    static Graph dscnn() {
        B b = new B("dscnn_kws", 1, 49, 10);
        b.conv(64, 10, 4, 2, false);
        for (int i = 0; i < 4; i++) b.conv(64, 3, 3, 1, true).conv(64, 1, 1, 1, false);
        return b.avgPoolAll().flatten().dense(12).softmax().done();
    }

    /** MobileNetV1 with width 0.25 for visual wake words. */
    static Graph mobilenetVww() {
        B b = new B("mobilenet_vww", 3, 96, 96);
        b.conv(8, 3, 3, 2, false);
        int[][] blocks = {{1, 16}, {2, 32}, {1, 32}, {2, 64}, {1, 64}, {2, 128}, {1, 128}, {1, 128}, {1, 128}, {1, 128}, {1, 128}, {2, 256}, {1, 256}};
        for (int[] blk : blocks) b.conv(0, 3, 3, blk[0], true).conv(blk[1], 1, 1, 1, false);
        return b.avgPoolAll().flatten().dense(2).softmax().done();
    }

    /** FC-AutoEncoder for anomaly detection (ToyADMOS). */
    static Graph autoencoder() {
        B b = new B("fc_autoencoder_ad", 640, 1, 1);
        b.flatten();
        for (long n : new long[] {128, 128, 128, 128, 8, 128, 128, 128, 128, 640}) b.dense(n);
        return b.done();
    }

    /** A published MLPerf Tiny result. */
    record Published(String benchmark, Graph model, double ms) {}

    /**
     * MLPerf Tiny closed-division latencies (median, single-stream). Cortex-M4: v1.3, STMicroelectronics
     * NUCLEO-L4R5ZI (STM32L4R5, Cortex-M4 at 120 MHz) with X-CUBE-AI. Cortex-M7: v1.1,
     * STMicroelectronics NUCLEO-F746ZG (STM32F746, Cortex-M7 at 216 MHz) with X-CUBE-AI.
     */
    static List<Published> cortexM4() {
        return List.of(new Published("IC", resnet8(), 165.7), new Published("KWS", dscnn(), 43.4),
                new Published("VWW", mobilenetVww(), 89.4), new Published("AD", autoencoder(), 4.79));
    }

    static List<Published> cortexM7() {
        return List.of(new Published("IC", resnet8(), 62.9), new Published("KWS", dscnn(), 17.8),
                new Published("VWW", mobilenetVww(), 34.1), new Published("AD", autoencoder(), 1.71));
    }

    static List<Graph> all() {
        List<Graph> l = new ArrayList<>();
        l.add(resnet8());
        l.add(dscnn());
        l.add(mobilenetVww());
        l.add(autoencoder());
        return l;
    }
}
