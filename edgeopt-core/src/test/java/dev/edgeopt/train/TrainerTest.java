package dev.edgeopt.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.data.Augment;
import dev.edgeopt.data.Dataset;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Value;
import dev.edgeopt.models.Architectures;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TrainerTest {
    /** Three classes of 8x8 images: a bright horizontal bar, a vertical bar, or a blob, at random places, with noise. */
    static Dataset bars(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * 64];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            int c = r.nextInt(3);
            y[i] = c;
            int b = i * 64, p = r.nextInt(2, 6), q = r.nextInt(2, 6);
            for (int j = 0; j < 64; j++) x[b + j] = (float) (r.nextDouble() * 0.3);
            for (int t = 0; t < 8; t++) {
                if (c == 0) x[b + p * 8 + t] += 0.7f;
                else if (c == 1) x[b + t * 8 + q] += 0.7f;
            }
            if (c == 2) for (int u = -1; u <= 1; u++) for (int v = -1; v <= 1; v++) x[b + (p + u) * 8 + q + v] += 0.7f;
        }
        return new Dataset("bars", x, new int[] {1, 8, 8}, y, 3, null);
    }

    private static Trainer.Config cfg(int threads) {
        Trainer.Config c = new Trainer.Config();
        c.epochs = 4;
        c.batch = 32;
        c.threads = threads;
        c.lr = 0.01f;
        c.seed = 11;
        return c;
    }

    @Test
    void learnsAndEvaluates() {
        Dataset train = bars(1200, 1), test = bars(300, 2);
        for (String arch : new String[] {"mlp", "cnn", "dscnn", "resnet8"}) {
            Graph g = Architectures.build(arch, new int[] {1, 8, 8}, 3, 0.25, 11);
            Trainer.Result r = new Trainer(cfg(2)).fit(g, train, test);
            double acc = Trainer.evaluate(r.model(), test, 64, 2).accuracy();
            assertTrue(acc > 0.9, arch + " reached only " + acc);
            assertEquals(acc, r.history().get(r.history().size() - 1).valAccuracy(), 1e-12);
            assertTrue(r.history().get(3).trainLoss() < r.history().get(0).trainLoss());
        }
    }

    private static List<float[]> weights(Graph g) {
        List<float[]> w = new ArrayList<>();
        for (Value v : g.initializers()) w.add(v.constant().toFloatArray());
        return w;
    }

    @Test
    void sameSeedAndThreadsGiveIdenticalWeights() {
        Dataset train = bars(300, 3);
        for (int threads : new int[] {1, 2}) {
            Trainer.Config c = cfg(threads);
            c.epochs = 2;
            c.augment = Augment.parse("shift=1,flip");
            Graph a = new Trainer(c).fit(Architectures.build("resnet8", new int[] {1, 8, 8}, 3, 0.25, 5), train, null).model();
            Graph b = new Trainer(c).fit(Architectures.build("resnet8", new int[] {1, 8, 8}, 3, 0.25, 5), train, null).model();
            List<float[]> wa = weights(a), wb = weights(b);
            for (int i = 0; i < wa.size(); i++) {
                int[] ia = new int[wa.get(i).length], ib = new int[ia.length];
                for (int j = 0; j < ia.length; j++) {
                    ia[j] = Float.floatToRawIntBits(wa.get(i)[j]);
                    ib[j] = Float.floatToRawIntBits(wb.get(i)[j]);
                }
                assertArrayEquals(ia, ib, "initializer " + a.initializers().get(i).name() + " with " + threads + " threads");
            }
        }
    }

    @Test
    void earlyStoppingKeepsTheBestEpoch() {
        Dataset train = bars(200, 4), val = bars(100, 5);
        Trainer.Config c = cfg(1);
        c.epochs = 30;
        c.patience = 2;
        c.schedule = "constant";
        c.lr = 0.05f;
        Trainer.Result r = new Trainer(c).fit(Architectures.build("mlp", new int[] {1, 8, 8}, 3, 0.25, 1), train, val);
        assertTrue(r.history().size() < 30, "stopped early");
        double best = r.history().stream().mapToDouble(Trainer.EpochStats::valAccuracy).max().orElseThrow();
        assertEquals(best, r.bestValAccuracy(), 0);
        assertEquals(best, Trainer.evaluate(r.model(), val, 50, 1).accuracy(), 1e-12);
    }

    @Test
    void mismatchesAreOneLineErrors() {
        Dataset train = bars(50, 6);
        Graph tenClasses = Architectures.build("mlp", new int[] {1, 8, 8}, 10, 0.25, 1);
        EdgeoptException e = assertThrows(EdgeoptException.class, () -> new Trainer(cfg(1)).fit(tenClasses, train, null));
        assertTrue(e.getMessage().contains("10 classes") && e.getMessage().contains("3") && !e.getMessage().contains("\n"), e.getMessage());
        Graph wrongInput = Architectures.build("mlp", new int[] {1, 28, 28}, 3, 0.25, 1);
        e = assertThrows(EdgeoptException.class, () -> new Trainer(cfg(1)).fit(wrongInput, train, null));
        assertTrue(e.getMessage().contains("[1, 8, 8]"), e.getMessage());
        e = assertThrows(EdgeoptException.class, () -> Architectures.build("vgg", new int[] {1, 8, 8}, 3, 1, 1));
        assertTrue(e.getMessage().contains("resnet8"), e.getMessage());
    }

    @Test
    void confusionMetrics() {
        ClassificationMetrics m = ClassificationMetrics.of(new int[] {0, 0, 1, 1, 2}, new int[] {0, 1, 1, 1, 0}, List.of("a", "b", "c"));
        assertEquals(0.6, m.accuracy(), 1e-12);
        assertEquals(2.0 / 3, m.precision(1), 1e-12);
        assertEquals(0.5, m.recall(0), 1e-12);
        assertEquals(0, m.f1(2), 1e-12);
        assertEquals((0.5 + 0.8 + 0) / 3, m.macroF1(), 1e-12);
        assertEquals(1, m.confusion()[2][0]);
    }
}
