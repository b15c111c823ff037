package dev.edgeopt.quant;

import dev.edgeopt.data.Dataset;
import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.models.Architectures;
import dev.edgeopt.passes.Pipelines;
import dev.edgeopt.tensor.Tensor;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A developer tool, not a test ({@code main}): runs other shapes first (the reference architectures
 * at other input sizes and widths, fp32 and int8, optionally a MobileNetV2-like network
 * ({@code -Dmobile=true}), training steps ({@code -Dtrain=false} to skip) and, by reflection, other
 * allocation tests ({@code -Dtests=Class#method,...})), then prints the bytes each reference model
 * allocates per inference through {@link Executor#runInto}, counted on the calling thread and every
 * pool worker. Other properties: {@code threads}, {@code pollute}, {@code pwarm} (runs per other
 * model), {@code warm}, {@code refs} (e.g. {@code cnn/f,dscnn/i}), {@code untilZero}. Also the
 * helpers of {@code OnnxAllocationProbe} (edgeopt-onnx), which runs model files.
 *
 * <p>None of these histories made the models allocate (before or after the Sgemm change); model
 * files run after mobilenet_v2 and squeezenet1_1 did, see {@code ModelAllocationTest}.
 *
 * <pre>java --add-modules jdk.incubator.vector -Xbatch -cp CLASSPATH dev.edgeopt.quant.PollutedAllocationProbe</pre>
 */
public final class PollutedAllocationProbe {
    static Dataset images(int n, int[] shape, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int per = Tensor.numel(shape);
        float[] x = new float[n * per];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
        return new Dataset("rand", x, shape, new int[n], 1, Collections.nCopies(1, "c"));
    }

    public record M(String name, Executor e, Tensor x) {}

    static M fp32(String arch, int[] in, double width, long seed, int threads) {
        Graph model = Architectures.build(arch, in, 10, width, seed);
        Dataset d = images(2, in, seed);
        float[] xa = new float[Tensor.numel(in)];
        d.copySample(1, xa, 0);
        int[] dims = new int[in.length + 1];
        dims[0] = 1;
        System.arraycopy(in, 0, dims, 1, in.length);
        return new M(arch + " fp32 " + java.util.Arrays.toString(in) + " w" + width, new Executor(Pipelines.engine(Pipelines.Level.ALL).run(model).graph(), threads),
                Tensor.of(xa, dims));
    }

    static M int8(String arch, int[] in, double width, long seed, int threads) {
        Graph model = Architectures.build(arch, in, 10, width, seed);
        Dataset d = images(8, in, seed);
        float[] xa = new float[Tensor.numel(in)];
        d.copySample(1, xa, 0);
        int[] dims = new int[in.length + 1];
        dims[0] = 1;
        System.arraycopy(in, 0, dims, 1, in.length);
        Graph qdq = PostTrainingQuantizer.quantize(model, d, PostTrainingQuantizer.Options.defaults().withSamples(8)).qdq();
        Int8Engine ie = new Int8Engine(qdq, threads);
        return new M(arch + " int8 " + java.util.Arrays.toString(in) + " w" + width, ie.executor(), Tensor.of(xa, dims));
    }

    /** MobileNetV2-like: depthwise-heavy 1x1/3x3 blocks from 56x56 down to 7x7, as in mobilenet_v2. */
    public static Graph mobileLike(long seed) {
        dev.edgeopt.models.ModelBuilder b = new dev.edgeopt.models.ModelBuilder("mobile", seed);
        var x = b.input("input", 3, 112, 112);
        x = b.convBnAct(x, 32, 3, 2, dev.edgeopt.engine.kernels.Activation.RELU);
        int[][] blocks = {{16, 1, 1}, {24, 2, 6}, {24, 1, 6}, {32, 2, 6}, {32, 1, 6}, {64, 2, 6}, {64, 1, 6}, {96, 1, 6}, {160, 2, 6}, {160, 1, 6}, {320, 1, 6}};
        for (int[] bl : blocks) {
            int c = x.channels(), mid = c * bl[2];
            var y = bl[2] == 1 ? x : b.convBnAct(x, mid, 1, 1, dev.edgeopt.engine.kernels.Activation.RELU);
            y = b.act(b.batchNorm(b.conv(y, mid, 3, bl[1], mid, false, true)), dev.edgeopt.engine.kernels.Activation.RELU);
            y = b.batchNorm(b.conv(y, bl[0], 1, 1, 1, false, false));
            x = y;
        }
        x = b.convBnAct(x, 1280, 1, 1, dev.edgeopt.engine.kernels.Activation.RELU);
        return b.build(b.dense(b.globalAvgPool(x), 10, false));
    }

    public static long[] tids;
    static final com.sun.management.ThreadMXBean MX = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    public static long allocated() {
        long s = 0;
        for (long t : tids) s += MX.getThreadAllocatedBytes(t);
        return s;
    }

    public static long[] measure(M m, int warm, int n) {
        Tensor want = m.e.run(m.x)[0];
        Tensor[] in = {m.x}, out = {Tensor.allocate(want.dtype(), want.dims())};
        for (int i = 0; i < warm; i++) m.e.runInto(in, out);
        long[] per = new long[n];
        for (int i = 0; i < n; i++) {
            long b = allocated();
            m.e.runInto(in, out);
            per[i] = allocated() - b;
        }
        return per;
    }

    public static void train(String arch, int batch, int threads, int steps) {
        Graph g = Architectures.build(arch, new int[] {1, 28, 28}, 10, 1.0, 0);
        dev.edgeopt.train.Parameters p = new dev.edgeopt.train.Parameters(g);
        dev.edgeopt.train.Tape t = new dev.edgeopt.train.Tape(g, p, new int[][] {{batch, 1, 28, 28}}, dev.edgeopt.engine.ThreadPool.shared(threads), 0, false);
        SplittableRandom r = new SplittableRandom(0);
        float[] x = t.input(0).floats();
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) labels[i] = i % 10;
        dev.edgeopt.train.Optimizer opt = dev.edgeopt.train.Optimizer.create("adamw", 5e-4f);
        for (int s = 0; s < steps; s++) {
            var out = t.forward(true)[0];
            t.zeroGrad();
            p.zeroGrad();
            dev.edgeopt.train.Losses.softmaxCrossEntropy(out, labels, 0, t.outputGrad(0), null);
            t.backward();
            opt.step(p, 1e-3f);
        }
    }

    public static void main(String[] args) {
        int threads = Integer.parseInt(System.getProperty("threads", "1"));
        boolean pollute = Boolean.parseBoolean(System.getProperty("pollute", "true"));
        int warm = Integer.parseInt(System.getProperty("warm", "3000"));
        java.util.concurrent.atomic.AtomicReference<long[]> ids = new java.util.concurrent.atomic.AtomicReference<>();
        List<M> refs = new ArrayList<>();
        int[] mn = {1, 28, 28};
        for (String spec : System.getProperty("refs", "mlp/f,cnn/f,dscnn/f,resnet8/f,mlp/i,cnn/i,dscnn/i,resnet8/i").split(",")) {
            String[] p = spec.split("/");
            refs.add(p[1].equals("f") ? fp32(p[0], mn, 1.0, 1, threads) : int8(p[0], mn, 1.0, 1, threads));
        }
        List<Long> t = new ArrayList<>();
        t.add(Thread.currentThread().threadId());
        for (Thread th : Thread.getAllStackTraces().keySet()) if (th.getName().startsWith("edgeopt-worker")) t.add(th.threadId());
        tids = t.stream().mapToLong(Long::longValue).toArray();
        ids.set(tids);
        System.out.println("threads counted: " + tids.length);
        long b0 = allocated(), b1 = allocated();
        System.out.println("measurement overhead " + (b1 - b0));
        String tests = System.getProperty("tests");
        if (tests != null) {
            for (String spec : tests.split(",")) {
                String[] p = spec.split("#");
                try {
                    Class<?> c = Class.forName(p[0]);
                    var k = c.getDeclaredConstructor();
                    k.setAccessible(true);
                    Object o = k.newInstance();
                    long t0 = System.nanoTime();
                    for (var m : c.getDeclaredMethods()) {
                        if (!m.getName().equals(p[1])) continue;
                        m.setAccessible(true);
                        if (m.getParameterCount() == 0) m.invoke(o);
                        else for (int th = 1; th <= 2; th++) m.invoke(o, th);
                    }
                    System.out.printf("ran %s (%d ms)%n", spec, (System.nanoTime() - t0) / 1_000_000);
                } catch (ReflectiveOperationException ex) {
                    throw new RuntimeException(ex);
                }
            }
        }
        if (pollute) {
            List<M> others = new ArrayList<>();
            for (String a : Architectures.NAMES) {
                others.add(fp32(a, new int[] {3, 32, 32}, 0.5, 7, threads));
                others.add(fp32(a, new int[] {1, 20, 36}, 1.5, 8, threads));
                others.add(int8(a, new int[] {3, 32, 32}, 0.5, 7, threads));
                others.add(int8(a, new int[] {1, 20, 36}, 0.75, 8, threads));
            }
            if (Boolean.getBoolean("mobile")) {
                Graph g = mobileLike(11);
                float[] xa = new float[3 * 112 * 112];
                for (int i = 0; i < xa.length; i++) xa[i] = (i % 97) / 97f;
                others.add(0, new M("mobileLike fp32", new Executor(Pipelines.engine(Pipelines.Level.ALL).run(g).graph(), threads), Tensor.of(xa, 1, 3, 112, 112)));
            }
            others.add(fp32("dscnn", new int[] {3, 64, 64}, 1.0, 9, threads));
            others.add(int8("dscnn", new int[] {3, 64, 64}, 1.0, 9, threads));
            others.add(fp32("cnn", new int[] {1, 100, 12}, 0.3, 10, threads));
            others.add(int8("resnet8", new int[] {2, 15, 15}, 1.3, 10, threads));
            String only = System.getProperty("only");
            if (Boolean.parseBoolean(System.getProperty("train", "true"))) {
                for (String a : Architectures.NAMES) {
                    for (int batch : new int[] {16, 5}) {
                        long t0 = System.nanoTime();
                        train(a, batch, threads, Integer.getInteger("tsteps", 15));
                        System.out.printf("trained %s batch %d (%d ms)%n", a, batch, (System.nanoTime() - t0) / 1_000_000);
                    }
                }
            }
            for (M o : others) {
                long t0 = System.nanoTime();
                long[] p = measure(o, Integer.getInteger("pwarm", 300), 5);
                System.out.printf("pollute %-36s %6d B (%d ms)%n", o.name, p[4], (System.nanoTime() - t0) / 1_000_000);
            }
            if (only != null) refs.removeIf(m -> !m.name.contains(only));
        }
        for (M m : refs) {
            if (Boolean.getBoolean("untilZero")) {
                Tensor want = m.e.run(m.x)[0];
                Tensor[] in = {m.x}, out = {Tensor.allocate(want.dtype(), want.dims())};
                long last = -1;
                int runs = 0;
                for (; runs < 30_000 && last != 0; runs++) {
                    long b = allocated();
                    m.e.runInto(in, out);
                    last = allocated() - b;
                }
                System.out.printf("UNTIL0 %-30s last %d after %d runs%n", m.name, last, runs);
            }
            long t0 = System.nanoTime();
            long[] p = measure(m, warm, 200);
            long min = Long.MAX_VALUE, max = 0, sum = 0;
            for (long v : p) {
                min = Math.min(min, v);
                max = Math.max(max, v);
                sum += v;
            }
            System.out.printf("REF %-30s min %6d max %6d mean %8.1f B/inference (%d ms)%n", m.name, min, max, sum / 200.0, (System.nanoTime() - t0) / 1_000_000);
        }
        System.exit(0);
    }
}
