package dev.edgeopt.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgeopt.ir.Graph;
import dev.edgeopt.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Optimizer updates against hand-computed PyTorch formulas, and schedule shapes. */
class OptimizerTest {
    /** One 2x1 weight (decayed) and one bias (not decayed) with a fixed gradient. */
    private static Parameters params() {
        Graph g = new Graph("p");
        g.addInitializer("w", Tensor.of(new float[] {1f, -2f}, 2, 1));
        g.addInitializer("b", Tensor.of(new float[] {0.5f}, 1));
        Parameters p = new Parameters(g);
        p.markTrainable("w");
        p.markTrainable("b");
        return p;
    }

    private static void grads(Parameters p) {
        p.grads().get("w").floats()[0] = 0.1f;
        p.grads().get("w").floats()[1] = -0.3f;
        p.grads().get("b").floats()[0] = 0.2f;
    }

    @Test
    void sgdMomentumAndNesterov() {
        for (boolean nesterov : new boolean[] {false, true}) {
            Parameters p = params();
            Optimizer o = new Optimizer.Sgd(0.9f, nesterov, 0.01f);
            double w = 1, v = 0, b = 0.5, vb = 0;
            for (int s = 0; s < 3; s++) {
                grads(p);
                o.step(p, 0.1f);
                double d = 0.1 + 0.01 * w;
                v = 0.9 * v + d;
                w -= 0.1 * (nesterov ? d + 0.9 * v : v);
                vb = 0.9 * vb + 0.2;
                b -= 0.1 * (nesterov ? 0.2 + 0.9 * vb : vb);
            }
            assertEquals(w, p.value("w").floats()[0], 1e-6);
            assertEquals(b, p.value("b").floats()[0], 1e-6);
        }
    }

    @Test
    void adamAndAdamW() {
        for (boolean decoupled : new boolean[] {false, true}) {
            Parameters p = params();
            Optimizer o = new Optimizer.Adam(0.9f, 0.999f, 1e-8f, 0.1f, decoupled);
            double w = 1, m = 0, v = 0;
            for (int s = 1; s <= 4; s++) {
                grads(p);
                o.step(p, 0.01f);
                double g = decoupled ? 0.1 : 0.1 + 0.1 * w;
                m = 0.9 * m + 0.1 * g;
                v = 0.999 * v + 0.001 * g * g;
                if (decoupled) w -= 0.01 * 0.1 * w;
                double mh = m / (1 - Math.pow(0.9, s)), vh = v / (1 - Math.pow(0.999, s));
                w -= 0.01 * mh / (Math.sqrt(vh) + 1e-8);
            }
            assertEquals(w, p.value("w").floats()[0], 1e-5);
        }
    }

    @Test
    void stateRoundTrips() {
        Parameters p = params(), q = params();
        Optimizer a = Optimizer.create("adamw", 0.01f), b = Optimizer.create("adamw", 0.01f);
        grads(p);
        a.step(p, 0.01f);
        q.load(p.values());
        b.loadState(a.state());
        grads(p);
        grads(q);
        a.step(p, 0.01f);
        b.step(q, 0.01f);
        assertEquals(p.value("w").floats()[1], q.value("w").floats()[1], 0f);
    }

    @Test
    void schedules() {
        Schedule one = Schedule.oneCycle(0.1f);
        assertEquals(0.1f / 25, one.lr(0, 1000), 1e-7);
        assertEquals(0.1f, one.lr(299, 1000), 1e-4);
        assertEquals(0.1f / 25 / 1e4, one.lr(999, 1000), 1e-8);
        Schedule cos = Schedule.cosine(0.2f, 0f);
        assertEquals(0.2f, cos.lr(0, 100), 1e-7);
        assertEquals(0.1f, cos.lr(50, 100), 1e-6);
        Schedule st = Schedule.step(1f, 2, 0.5f, 10);
        assertEquals(1f, st.lr(19, 100), 0f);
        assertEquals(0.5f, st.lr(20, 100), 0f);
    }

    @Test
    void clippingScalesTheGlobalNorm() {
        Parameters p = params();
        grads(p);
        Trainer.clip(p, 0.1f);
        double n = 0;
        for (Tensor g : p.grads().values()) for (float v : g.floats()) n += v * v;
        assertEquals(0.1, Math.sqrt(n), 1e-6);
    }
}
