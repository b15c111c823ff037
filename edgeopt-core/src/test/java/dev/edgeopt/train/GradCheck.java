package dev.edgeopt.train;

import static org.junit.jupiter.api.Assertions.fail;

import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Finite-difference oracle: J = sum(output * R) for a fixed random R; the tape's gradient of every
 * float input and trainable parameter is compared element by element (a sample for big tensors)
 * with the central difference of J, evaluated in double from float forwards.
 */
final class GradCheck {
    private GradCheck() {}

    static float[] random(SplittableRandom r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        return a;
    }

    /** Random values bounded away from 0 (keeps Relu-like kinks out of the difference quotient). */
    static float[] randomAwayFromZero(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((0.1 + r.nextDouble()) * (r.nextBoolean() ? 1 : -1));
        return a;
    }

    static void check(Graph g, Tensor[] inputs, int threads) { check(g, inputs, threads, 1e-3, 2e-2); }

    static void check(Graph g, Tensor[] inputs, int threads, double eps, double tol) {
        int[][] shapes = new int[inputs.length][];
        for (int i = 0; i < inputs.length; i++) shapes[i] = inputs[i].shape();
        Parameters params = new Parameters(g);
        Tape tape = new Tape(g, params, shapes, ThreadPool.shared(threads), 7, true);
        for (int i = 0; i < inputs.length; i++) inputs[i].copyTo(tape.input(i));
        Tensor out = tape.forward(true)[0];
        SplittableRandom r = new SplittableRandom(99);
        float[] weights = random(r, out.size(), 1.0);
        tape.zeroGrad();
        params.zeroGrad();
        System.arraycopy(weights, 0, tape.outputGrad(0).floats(), tape.outputGrad(0).offset(), weights.length);
        tape.backward();

        List<String> names = new ArrayList<>();
        List<Tensor> values = new ArrayList<>(), grads = new ArrayList<>();
        for (int i = 0; i < inputs.length; i++) {
            if (tape.input(i).dtype() != DType.FLOAT) continue;
            names.add("input " + g.inputs().get(i).name());
            values.add(tape.input(i));
            grads.add(tape.inputGrad(i).copy());
        }
        for (String p : params.trainable()) {
            names.add("parameter " + p);
            values.add(params.value(p));
            grads.add(params.grads().get(p).copy());
        }
        if (values.isEmpty()) fail("nothing to check");
        // A second step from the same state gives the same bits: a gradient buffer that an op
        // clears itself (Tape hands it the first write) must not keep the first step's sums.
        tape.forward(true);
        tape.zeroGrad();
        params.zeroGrad();
        System.arraycopy(weights, 0, tape.outputGrad(0).floats(), tape.outputGrad(0).offset(), weights.length);
        tape.backward();
        List<Tensor> again = new ArrayList<>();
        for (int i = 0; i < inputs.length; i++) if (tape.input(i).dtype() == DType.FLOAT) again.add(tape.inputGrad(i));
        for (String p : params.trainable()) again.add(params.grads().get(p));
        for (int v = 0; v < values.size(); v++) {
            if (!java.util.Arrays.equals(grads.get(v).floats(), again.get(v).copy().floats())) fail(names.get(v) + ": a second identical step gave a different gradient");
        }
        StringBuilder bad = new StringBuilder();
        int checked = 0;
        for (int v = 0; v < values.size(); v++) {
            Tensor t = values.get(v);
            float[] a = t.floats();
            int n = t.size();
            int step = Math.max(1, n / 60);
            for (int i = 0; i < n; i += step) {
                int j = t.offset() + i;
                float orig = a[j];
                a[j] = (float) (orig + eps);
                double plus = objective(tape, weights);
                a[j] = (float) (orig - eps);
                double minus = objective(tape, weights);
                a[j] = orig;
                double num = (plus - minus) / (2 * eps);
                double ana = grads.get(v).floats()[i];
                checked++;
                if (Math.abs(num - ana) > tol * Math.max(1, Math.abs(num))) {
                    if (bad.length() < 2000) bad.append(String.format("%s[%d]: analytic %.6f, numeric %.6f%n", names.get(v), i, ana, num));
                }
            }
        }
        if (bad.length() > 0) fail("gradient mismatch (" + checked + " checked):\n" + bad);
    }

    private static double objective(Tape tape, float[] weights) {
        Tensor out = tape.forward(true)[0];
        double s = 0;
        float[] o = out.floats();
        for (int i = 0; i < weights.length; i++) s += (double) o[out.offset() + i] * weights[i];
        return s;
    }

    static Value input(Graph g, String name, int... shape) { return g.addInput(name, dev.edgeopt.ir.TensorType.of(DType.FLOAT, shape)); }
}
