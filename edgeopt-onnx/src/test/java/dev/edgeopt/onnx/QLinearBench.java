package dev.edgeopt.onnx;

import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.ConvGeometry;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.tensor.Tensor;
import dev.edgeopt.testing.TestPaths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Opt-in benchmark ({@code -Dbench=true}): every Conv layer of mobilenet_v2 as a single node, fp32
 * {@code Conv} in the Java engine against {@code QLinearConv} (its weights quantized per channel,
 * int8 activations with zero point -128) in the Java engine and in ONNX Runtime. GOP/s counts one
 * multiply-accumulate as 2 operations, as GFLOP/s does. Java fp32 and int8 run alternately in one
 * process, so load from other processes hits both alike. {@code -Dbench.threads=N} (default 1),
 * {@code -Dbench.filter=1x1} keeps the layers whose description contains the text. Prints; asserts
 * nothing about time.
 *
 * <pre>./mvnw -q -o -pl edgeopt-onnx -am test -Dtest=QLinearBench -Dsurefire.failIfNoSpecifiedTests=false -Dbench=true -Dbench.threads=1</pre>
 */
@EnabledIfSystemProperty(named = "bench", matches = "true")
class QLinearBench {
    static final int THREADS = Integer.getInteger("bench.threads", 1);
    static final String FILTER = System.getProperty("bench.filter", "");

    static Graph single(String op, List<Tensor> consts, int[] xs, DType xt, Node like) {
        Graph g = new Graph(op.toLowerCase());
        g.setOpset(13);
        List<Value> ins = new ArrayList<>();
        ins.add(g.addInput("x", TensorType.of(xt, xs)));
        for (int i = 0; i < consts.size(); i++) ins.add(consts.get(i) == null ? null : g.addInitializer("c" + i, consts.get(i)));
        Node c = g.addNode(op, "node", ins, List.of("y"));
        for (var e : like.attributes().entrySet()) c.setAttr(e.getKey(), e.getValue());
        g.addOutput(c.output(0));
        ShapeInference.annotate(g, null);
        return g;
    }

    /** Median nanoseconds per run of each runnable, interleaved round by round. */
    static long[] medians(int reps, Runnable... rs) {
        for (int w = 0; w < Math.max(5, reps / 3); w++) for (Runnable r : rs) r.run();
        long[][] t = new long[rs.length][reps];
        for (int i = 0; i < reps; i++) {
            for (int j = 0; j < rs.length; j++) {
                long s = System.nanoTime();
                rs[j].run();
                t[j][i] = System.nanoTime() - s;
            }
        }
        long[] m = new long[rs.length];
        for (int j = 0; j < rs.length; j++) {
            Arrays.sort(t[j]);
            m[j] = t[j][reps / 2];
        }
        return m;
    }

    @Test
    void mobilenetConvLayers() throws java.io.IOException {
        Graph model = OnnxImporter.loadRaw(TestPaths.sharedModel("mobilenet_v2.onnx"));
        Map<Value, int[]> shapes = new HashMap<>();
        for (Value v : model.inputs()) shapes.put(v, v.shape().toIntArray());
        List<String> keep = List.of("BatchNormalization", "Clip", "Relu", "Add", "Identity");
        System.out.printf("threads %d, load %s%n%-46s %8s %9s %9s %9s %9s %9s %9s %7s%n", THREADS,
                java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                "conv layer", "MMACs", "f32 ms", "i8 ms", "ortq ms", "f32 GF/s", "i8 GOP/s", "ortq GOP/s", "i8/f32");
        double sumF = 0, sumI = 0, sumO = 0;
        Random r = new Random(5);
        for (Node n : model.nodes()) {
            int[] xs = shapes.get(n.input(0));
            if (xs == null) break;
            if (!n.opType().equals("Conv")) {
                if (!keep.contains(n.opType())) break;
                shapes.put(n.output(0), xs);
                continue;
            }
            Tensor w = n.input(1).constant();
            int[] ws = w.shape();
            ConvGeometry geo = ConvGeometry.conv(n, Arrays.stream(xs).skip(2).asLongStream().toArray(), Arrays.stream(ws).skip(2).asLongStream().toArray());
            int[] ys = {xs[0], ws[0], (int) geo.out[0], (int) geo.out[1]};
            shapes.put(n.output(0), ys);
            long macs = (long) ys[0] * ys[1] * ys[2] * ys[3] * ws[1] * ws[2] * ws[3];
            String desc = String.format("%dx%d g%d s%d %s->%d", ws[2], ws[3], n.attrInt("group", 1), n.attrInts("strides", new long[] {1})[0], Arrays.toString(xs), ys[1]);
            if (!desc.contains(FILTER)) continue;
            // fp32 model.
            List<Tensor> fc = new ArrayList<>(List.of(w));
            if (n.hasInput(2)) fc.add(n.input(2).constant());
            Graph gf = single("Conv", fc, xs, DType.FLOAT, n);
            // int8 model: per-channel symmetric weights, int32 bias.
            int m = ws[0], per = w.size() / m;
            float[] wa = w.floats();
            byte[] wq = new byte[w.size()];
            float[] sw = new float[m];
            for (int c = 0; c < m; c++) {
                float mx = 1e-8f;
                for (int i = 0; i < per; i++) mx = Math.max(mx, Math.abs(wa[w.offset() + c * per + i]));
                sw[c] = mx / 127;
                for (int i = 0; i < per; i++) wq[c * per + i] = (byte) Math.round(wa[w.offset() + c * per + i] / sw[c]);
            }
            float sx = 0.02f;
            int[] bias = new int[m];
            if (n.hasInput(2)) for (int c = 0; c < m; c++) bias[c] = Math.round(n.input(2).constant().getFloat(c) / (sx * sw[c]));
            float sy = (float) (sx * 0.01 * 60 * Math.sqrt(per));
            List<Tensor> qc = List.of(Tensor.of(new float[] {sx}), Tensor.of(DType.INT8, new byte[] {-128}), Tensor.of(DType.INT8, wq, ws),
                    Tensor.of(sw, m), Tensor.of(DType.INT8, new byte[m], m), Tensor.of(new float[] {sy}), Tensor.of(DType.INT8, new byte[] {-128}),
                    Tensor.ofInts(bias, m));
            Graph gq = single("QLinearConv", qc, xs, DType.INT8, n);
            float[] xf = new float[Tensor.numel(xs)];
            byte[] xq = new byte[xf.length];
            for (int i = 0; i < xf.length; i++) {
                xq[i] = (byte) (r.nextInt(200) - 128);
                xf[i] = (xq[i] + 128) * sx;
            }
            Tensor tf = Tensor.of(xf, xs), tq = Tensor.of(DType.INT8, xq, xs);
            int reps = (int) Math.max(15, Math.min(200, 2e9 / (2 * macs)));
            try (Executor ef = new Executor(gf, THREADS); Executor eq = new Executor(gq, THREADS);
                 OrtRunner ort = new OrtRunner(gq, THREADS, OrtRunner.OptLevel.ALL); OrtRunner.Prepared p = ort.prepare(tq)) {
                long[] t = medians(reps, () -> ef.run(tf), () -> eq.run(tq), p::run);
                sumF += t[0] / 1e6;
                sumI += t[1] / 1e6;
                sumO += t[2] / 1e6;
                System.out.printf("%-46s %8.2f %9.3f %9.3f %9.3f %9.1f %9.1f %9.1f %7.2f%n", desc, macs / 1e6, t[0] / 1e6, t[1] / 1e6, t[2] / 1e6,
                        2.0 * macs / t[0], 2.0 * macs / t[1], 2.0 * macs / t[2], (double) t[1] / t[0]);
            }
        }
        System.out.printf("sum over layers: fp32 java %.3f ms, int8 java %.3f ms (%.2fx fp32), int8 ORT %.3f ms%n", sumF, sumI, sumI / sumF, sumO);
    }
}
