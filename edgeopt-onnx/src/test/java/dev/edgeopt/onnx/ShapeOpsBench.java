package dev.edgeopt.onnx;

import static org.junit.jupiter.api.Assertions.assertNull;

import dev.edgeopt.engine.Executor;
import dev.edgeopt.engine.Plan;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.tensor.Tensor;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Opt-in timings of the shape family's common ops, one thread, against ONNX Runtime:
 * {@code ./mvnw -q -o -pl edgeopt-onnx -am test -Dtest=ShapeOpsBench -Dsurefire.failIfNoSpecifiedTests=false -Dbench=true}.
 * "kernel" times the planned kernel alone (best round); "ORT" is a session run with prepared inputs (its
 * per-call overhead is a few microseconds). Prints a table; asserts only that outputs agree.
 */
@EnabledIfSystemProperty(named = "bench", matches = "true")
class ShapeOpsBench {
    record Op(String label, String type, Map<String, Attribute> attrs, List<Tensor> inputs, int constFrom) {}

    static Tensor rand(int... shape) {
        Tensor t = Tensor.allocate(DType.FLOAT, shape);
        java.util.Random r = new java.util.Random(7);
        for (int i = 0; i < t.size(); i++) t.floats()[i] = r.nextFloat();
        return t;
    }

    @Test
    void table() {
        List<Op> ops = List.of(
                new Op("Transpose NCHW->NHWC [1,64,56,56]", "Transpose", Map.of("perm", Attribute.ofInts(0, 2, 3, 1)), List.of(rand(1, 64, 56, 56)), 1),
                new Op("Transpose NHWC->NCHW [1,56,56,64]", "Transpose", Map.of("perm", Attribute.ofInts(0, 3, 1, 2)), List.of(rand(1, 56, 56, 64)), 1),
                new Op("Transpose [8,12,64,64] (0,1,3,2)", "Transpose", Map.of("perm", Attribute.ofInts(0, 1, 3, 2)), List.of(rand(8, 12, 64, 64)), 1),
                new Op("Concat 2x[1,64,56,56] axis 1", "Concat", Map.of("axis", Attribute.of(1L)), List.of(rand(1, 64, 56, 56), rand(1, 64, 56, 56)), 2),
                new Op("Slice [1,128,56,56] ch 32:96", "Slice", Map.of(), List.of(rand(1, 128, 56, 56), Tensor.vector(32), Tensor.vector(96), Tensor.vector(1)), 1),
                new Op("Gather rows [30000,256] x 128", "Gather", Map.of("axis", Attribute.of(0L)), List.of(rand(30000, 256), indices(128, 30000)), 2),
                new Op("Pad [1,64,56,56] 1px constant", "Pad", Map.of(), List.of(rand(1, 64, 56, 56), Tensor.vector(0, 0, 1, 1, 0, 0, 1, 1)), 1));
        System.out.printf("%-40s %12s %12s%n", "op", "kernel us", "ORT us");
        for (Op op : ops) {
            Graph g = new Graph(op.type);
            g.setOpset(13);
            Value[] ins = new Value[op.inputs.size()];
            Tensor[] feed = new Tensor[op.constFrom];
            for (int i = 0; i < ins.length; i++) {
                if (i < op.constFrom) {
                    ins[i] = g.addInput("x" + i, op.inputs.get(i).type());
                    feed[i] = op.inputs.get(i);
                } else {
                    ins[i] = g.addInitializer("c" + i, op.inputs.get(i));
                }
            }
            Node n = g.addNode(op.type, "n", Arrays.asList(ins), 1);
            op.attrs.forEach(n::setAttr);
            g.addOutput(n.output(0));
            ShapeInference.annotate(g, Executor.evaluator());
            Executor ex = new Executor(g);
            Tensor java = ex.run(feed)[0];
            Map<String, int[]> shapes = new HashMap<>();
            for (int i = 0; i < feed.length; i++) shapes.put("x" + i, feed[i].shape());
            Plan.Step step = ex.plan(shapes).steps().get(0);
            double kernelUs = time(() -> step.kernel().run(step.inputs(), step.outputs()));
            double ortUs;
            try (OrtRunner r = new OrtRunner(OnnxImporter.fromBytes(OnnxExporter.toBytes(g), op.type), 1, OrtRunner.OptLevel.ALL);
                 OrtRunner.Prepared p = r.prepare(feed)) {
                assertNull(Conformance.compare(r.run(feed)[0], java, 0, 0), op.label);
                ortUs = time(p::run);
            }
            System.out.printf("%-40s %12.1f %12.1f%n", op.label, kernelUs, ortUs);
        }
    }

    static Tensor indices(int n, int bound) {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) v[i] = (i * 7919L) % bound;
        return Tensor.ofLongs(v, n);
    }

    /**
     * Best microseconds per call over 15 rounds of 50 calls, after warm-up: on a shared machine the
     * fastest round is the one least disturbed by other processes.
     */
    static double time(Runnable r) {
        for (int i = 0; i < 200; i++) r.run();
        double[] rounds = new double[15];
        for (int k = 0; k < rounds.length; k++) {
            int reps = 50;
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) r.run();
            rounds[k] = (System.nanoTime() - t0) / 1e3 / reps;
        }
        Arrays.sort(rounds);
        return rounds[0];
    }
}
