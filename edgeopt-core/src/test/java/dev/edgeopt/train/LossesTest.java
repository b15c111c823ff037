package dev.edgeopt.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Tensor;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

/** Losses: values against closed forms and gradients against finite differences in double. */
class LossesTest {
    private static void fd(Tensor z, Tensor grad, ToDoubleFunction<Tensor> loss) {
        for (int i = 0; i < z.size(); i++) {
            float o = z.floats()[i];
            double eps = 1e-2;
            z.floats()[i] = (float) (o + eps);
            double p = loss.applyAsDouble(z);
            z.floats()[i] = (float) (o - eps);
            double m = loss.applyAsDouble(z);
            z.floats()[i] = o;
            double num = (p - m) / (2 * eps);
            assertEquals(num, grad.floats()[i], 2e-4 + 1e-3 * Math.abs(num), "element " + i);
        }
    }

    private static Tensor rand(SplittableRandom r, double scale, int... shape) {
        return Tensor.of(GradCheck.random(r, Tensor.numel(shape), scale), shape);
    }

    @Test
    void softmaxCrossEntropy() {
        SplittableRandom r = new SplittableRandom(3);
        Tensor z = rand(r, 3, 4, 5);
        int[] labels = {0, 4, 2, 2};
        Tensor g = Tensor.allocate(DType.FLOAT, 4, 5);
        double l = Losses.softmaxCrossEntropy(z, labels, 0, g, null);
        double expect = 0;
        for (int i = 0; i < 4; i++) {
            double se = 0;
            for (int j = 0; j < 5; j++) se += Math.exp(z.floats()[i * 5 + j]);
            expect += Math.log(se) - z.floats()[i * 5 + labels[i]];
        }
        assertEquals(expect / 4, l, 1e-6);
        fd(z, g, t -> Losses.softmaxCrossEntropy(t, labels, 0, null, null));
    }

    @Test
    void softmaxCrossEntropyIsStableForHugeLogits() {
        Tensor z = Tensor.of(new float[] {1e30f, -1e30f, 0f, 3e4f, 3e4f + 1, 3e4f - 1}, 2, 3);
        Tensor g = Tensor.allocate(DType.FLOAT, 2, 3);
        int[] correct = new int[1];
        double l = Losses.softmaxCrossEntropy(z, new int[] {0, 1}, 0, g, correct);
        assertTrue(Double.isFinite(l));
        assertEquals(2, correct[0]);
        for (float v : g.floats()) assertTrue(Float.isFinite(v));
        EdgeoptException e = assertThrows(EdgeoptException.class, () -> Losses.softmaxCrossEntropy(z, new int[] {0, 3}, 0, g, null));
        assertTrue(e.getMessage().contains("label 3"), e.getMessage());
    }

    @Test
    void mse() {
        SplittableRandom r = new SplittableRandom(4);
        Tensor y = rand(r, 1, 3, 4), t = rand(r, 1, 3, 4);
        Tensor g = Tensor.allocate(DType.FLOAT, 3, 4);
        Losses.mse(y, t, g);
        fd(y, g, v -> Losses.mse(v, t, null));
    }

    @Test
    void klDivergenceWithTemperature() {
        SplittableRandom r = new SplittableRandom(5);
        Tensor s = rand(r, 3, 3, 6), t = rand(r, 3, 3, 6);
        Tensor g = Tensor.allocate(DType.FLOAT, 3, 6);
        for (float temp : new float[] {1f, 4f}) {
            Losses.klDivergence(s, t, temp, g);
            fd(s, g, v -> Losses.klDivergence(v, t, temp, null));
        }
        assertEquals(0, Losses.klDivergence(t, t, 2f, null), 1e-6);
    }
}
