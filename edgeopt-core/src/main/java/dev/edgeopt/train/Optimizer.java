package dev.edgeopt.train;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Parameter updates from gradients: SGD (momentum, Nesterov, L2 weight decay), Adam (L2 weight
 * decay added to the gradient) and AdamW (decoupled weight decay). Weight decay applies to
 * tensors of rank >= 2 only (convolution and dense weights), not to biases and normalization
 * parameters, the usual practice for small convnets. The state (moments, step count) is exposed for
 * checkpoints.
 */
public abstract class Optimizer {
    protected final float weightDecay;
    protected final Map<String, Tensor> state = new LinkedHashMap<>();
    protected long steps;

    protected Optimizer(float weightDecay) { this.weightDecay = weightDecay; }

    /** Applies one update with learning rate {@code lr} to every trainable parameter. */
    public void step(Parameters p, float lr) {
        steps++;
        for (var e : p.grads().entrySet()) {
            Tensor w = p.value(e.getKey());
            update(e.getKey(), w.floats(), w.offset(), e.getValue().floats(), e.getValue().offset(), w.size(), lr, w.rank() >= 2 ? weightDecay : 0f);
        }
    }

    protected abstract void update(String name, float[] w, int wo, float[] g, int go, int n, float lr, float wd);

    /**
     * Moment arrays by parameter and kind: found without building the "parameter.kind" key of
     * {@link #state}, which cost a string per parameter per step.
     */
    private final Map<String, Map<String, float[]>> slots = new HashMap<>();

    protected float[] slot(String name, String kind, int n) {
        Map<String, float[]> byKind = slots.computeIfAbsent(name, k -> new HashMap<>());
        float[] a = byKind.get(kind);
        if (a == null) {
            a = state.computeIfAbsent(name + "." + kind, k -> Tensor.of(new float[n], n)).floats();
            byKind.put(kind, a);
        }
        return a;
    }

    /** Moments by "parameter.kind", plus "steps"; for checkpoints. */
    public Map<String, Tensor> state() {
        Map<String, Tensor> m = new LinkedHashMap<>(state);
        m.put("steps", Tensor.scalarLong(steps));
        return m;
    }

    public void loadState(Map<String, Tensor> s) {
        state.clear();
        slots.clear();
        for (var e : s.entrySet()) {
            if (e.getKey().equals("steps")) steps = e.getValue().getLong(0);
            else state.put(e.getKey(), e.getValue().copy());
        }
    }

    public long steps() { return steps; }

    public static Optimizer create(String name, float weightDecay) {
        return switch (name.toLowerCase()) {
            case "sgd" -> new Sgd(0.9f, false, weightDecay);
            case "nesterov" -> new Sgd(0.9f, true, weightDecay);
            case "adam" -> new Adam(0.9f, 0.999f, 1e-8f, weightDecay, false);
            case "adamw" -> new Adam(0.9f, 0.999f, 1e-8f, weightDecay, true);
            default -> throw new EdgeoptException("unknown optimizer '" + name + "'; choose sgd, nesterov, adam or adamw");
        };
    }

    /** SGD with momentum (PyTorch's form: v = mu*v + g; w -= lr*v, or lr*(g + mu*v) for Nesterov). */
    public static final class Sgd extends Optimizer {
        private final float momentum;
        private final boolean nesterov;

        public Sgd(float momentum, boolean nesterov, float weightDecay) {
            super(weightDecay);
            if (nesterov && momentum <= 0) throw new EdgeoptException("Nesterov momentum needs momentum > 0");
            this.momentum = momentum;
            this.nesterov = nesterov;
        }

        @Override protected void update(String name, float[] w, int wo, float[] g, int go, int n, float lr, float wd) {
            if (momentum == 0f) {
                for (int i = 0; i < n; i++) w[wo + i] -= lr * (g[go + i] + wd * w[wo + i]);
                return;
            }
            float[] v = slot(name, "momentum", n);
            for (int i = 0; i < n; i++) {
                float d = g[go + i] + wd * w[wo + i];
                float vi = momentum * v[i] + d;
                v[i] = vi;
                w[wo + i] -= lr * (nesterov ? d + momentum * vi : vi);
            }
        }
    }

    /** Adam with bias correction; {@code decoupled} gives AdamW (w -= lr*wd*w separately from the moments). */
    public static final class Adam extends Optimizer {
        private static final int VECTOR_MIN = 1024;
        private final float b1, b2, eps;
        private final boolean decoupled;

        public Adam(float b1, float b2, float eps, float weightDecay, boolean decoupled) {
            super(weightDecay);
            this.b1 = b1;
            this.b2 = b2;
            this.eps = eps;
            this.decoupled = decoupled;
        }

        @Override protected void update(String name, float[] w, int wo, float[] g, int go, int n, float lr, float wd) {
            float[] m = slot(name, "m", n), v = slot(name, "v", n);
            double c1 = 1 - Math.pow(b1, steps), c2 = 1 - Math.pow(b2, steps);
            float stepSize = (float) (lr / c1);
            float sqrtC2 = (float) Math.sqrt(c2);
            // Vector lanes do exactly the scalar loop's operations (separate multiply and add, no
            // FMA; a correctly rounded square root), so both give the same bits. Small tensors
            // (biases, norm scales) stay scalar: their short loops may run many steps before the
            // JIT compiles this method, and the Vector API is very slow until it does.
            int i = 0;
            var S = Blas.S;
            for (; n >= VECTOR_MIN && i + Blas.L <= n; i += Blas.L) {
                FloatVector wi = FloatVector.fromArray(S, w, wo + i), gi = FloatVector.fromArray(S, g, go + i);
                FloatVector d = decoupled ? gi : gi.add(wi.mul(wd));
                FloatVector mi = FloatVector.fromArray(S, m, i).mul(b1).add(d.mul(1 - b1));
                FloatVector vi = FloatVector.fromArray(S, v, i).mul(b2).add(d.mul(1 - b2).mul(d));
                mi.intoArray(m, i);
                vi.intoArray(v, i);
                if (decoupled) wi = wi.sub(wi.mul(lr * wd));
                wi.sub(mi.mul(stepSize).div(vi.sqrt().div(sqrtC2).add(eps))).intoArray(w, wo + i);
            }
            for (; i < n; i++) {
                float wi = w[wo + i];
                float d = decoupled ? g[go + i] : g[go + i] + wd * wi;
                float mi = b1 * m[i] + (1 - b1) * d;
                float vi = b2 * v[i] + (1 - b2) * d * d;
                m[i] = mi;
                v[i] = vi;
                if (decoupled) wi -= lr * wd * wi;
                w[wo + i] = wi - stepSize * mi / ((float) Math.sqrt(vi) / sqrtC2 + eps);
            }
        }
    }
}
