package dev.edgeopt.onnx;

import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Elementwise and reduce kernels on activation-sized tensors against ONNX Runtime: the node tests
 * use tiny tensors, these exercise the vector loops, per-channel broadcasts and the pool split.
 * With {@code -Dbench=true} it also prints the time per run of each op in both engines.
 */
class ElementwiseOrtTest {
    record Case(String name, Graph graph) {}

    static final int[] X = {1, 32, 56, 56};

    static Case single(String op, List<Tensor> constants, Object... attrs) {
        Graph g = new Graph(op);
        g.setOpset(17);
        List<Value> ins = new ArrayList<>();
        ins.add(g.addInput("x", TensorType.of(DType.FLOAT, X)));
        for (int i = 0; i < constants.size(); i++) ins.add(constants.get(i) == null ? null : g.addInitializer("c" + i, constants.get(i)));
        Node n = g.addNode(op, "n", ins, List.of("y"));
        for (int i = 0; i < attrs.length; i += 2) {
            Object v = attrs[i + 1];
            n.setAttr((String) attrs[i], v instanceof long[] l ? Attribute.of(l) : v instanceof Float f ? Attribute.of(f) : Attribute.of((Long) v));
            if (v instanceof long[] l) attrs[i + 1] = java.util.Arrays.toString(l);
        }
        g.addOutput(n.output(0));
        ShapeInference.annotate(g, null);
        String label = op + (constants.isEmpty() ? "" : constants.stream().map(t -> t == null ? "-" : java.util.Arrays.toString(t.dims())).toList().toString());
        return new Case(label + (attrs.length > 0 ? java.util.Arrays.toString(attrs) : ""), g);
    }

    static Tensor rand(Random r, int... shape) {
        float[] v = new float[Tensor.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return Tensor.of(v, shape);
    }

    static List<Case> cases() {
        Random r = new Random(42);
        Tensor perChannel = rand(r, 32, 1, 1), full = rand(r, X), row = rand(r, 56), scalar = Tensor.scalar(0.75f);
        return List.of(
                single("Add", List.of(full)), single("Add", List.of(perChannel)), single("Mul", List.of(scalar)),
                single("Sub", List.of(row)), single("Div", List.of(perChannel)), single("Max", List.of(perChannel)),
                single("PRelu", List.of(perChannel)), single("Pow", List.of(Tensor.scalar(2f))),
                single("Relu", List.of()), single("Clip", List.of(Tensor.scalar(-0.5f), Tensor.scalar(0.5f))),
                single("Clip", List.of(Tensor.scalar(0f), Tensor.scalar(6f))), single("Sigmoid", List.of()),
                single("HardSwish", List.of()), single("HardSigmoid", List.of()), single("LeakyRelu", List.of(), "alpha", 0.1f),
                single("Tanh", List.of()), single("Exp", List.of()), single("Erf", List.of()), single("Elu", List.of()),
                single("Softplus", List.of()), single("Abs", List.of()), single("Neg", List.of()), single("Sqrt", List.of()),
                single("Softmax", List.of(), "axis", -1L), single("Softmax", List.of(), "axis", 1L),
                single("LogSoftmax", List.of(), "axis", -1L),
                single("ReduceMean", List.of(), "axes", new long[] {2, 3}), single("ReduceMean", List.of(), "axes", new long[] {1}),
                single("ReduceMax", List.of(), "axes", new long[] {-1}, "keepdims", 0L),
                single("ReduceSum", List.of(Tensor.vector(1L, 2L))), single("ReduceL2", List.of(), "axes", new long[] {3}),
                single("ArgMax", List.of(), "axis", 1L));
    }

    @Test
    void matchesOnnxRuntimeOnActivationSizedTensors() {
        boolean bench = Boolean.getBoolean("bench");
        int threads = Integer.getInteger("bench.threads", 1);
        Tensor x = rand(new Random(7), X);
        List<String> failures = new ArrayList<>();
        if (bench) System.out.printf("%-48s %10s %10s%n", "op (x " + java.util.Arrays.toString(X) + ", " + threads + " thread(s))", "java us", "ort us");
        // With -Dbench.rounds=2 the first round only warms up (C2 recompiles shared loops as new ops reach them).
        int rounds = bench ? Integer.getInteger("bench.rounds", 1) : 1;
        for (int round = 1; round <= rounds; round++)
        for (Case c : cases()) {
            try (Executor ex = new Executor(c.graph, threads);
                 OrtRunner ort = new OrtRunner(OnnxImporter.fromBytes(OnnxExporter.toBytes(c.graph), c.name), threads, OrtRunner.OptLevel.ALL)) {
                Tensor want = ort.run(x)[0], got = ex.run(x)[0];
                String diff = Conformance.compare(want, got, 1e-4, 1e-5);
                if (diff != null) failures.add(c.name + ": " + diff);
                if (bench) {
                    if (round < rounds) {
                        time(() -> ex.run(x));
                        continue;
                    }
                    long tj = time(() -> ex.run(x)), to;
                    try (OrtRunner.Prepared p = ort.prepare(x)) {
                        to = time(p::run);
                    }
                    System.out.printf("%-48s %10.1f %10.1f%n", c.name, tj / 1e3, to / 1e3);
                }
            }
        }
        if (!failures.isEmpty()) throw new AssertionError(String.join("\n", failures));
    }

    /**
     * Median of 31 runs after warm-up, in nanoseconds (printed only; never asserted). The warm-up
     * is long because Vector API code is only fast once C2 has compiled it.
     */
    static long time(Runnable r) {
        long until = System.nanoTime() + 1_500_000_000L;
        for (int i = 0; i < 300 || System.nanoTime() < until; i++) r.run();
        long[] t = new long[31];
        for (int i = 0; i < t.length; i++) {
            long t0 = System.nanoTime();
            r.run();
            t[i] = System.nanoTime() - t0;
        }
        java.util.Arrays.sort(t);
        return t[t.length / 2];
    }
}
