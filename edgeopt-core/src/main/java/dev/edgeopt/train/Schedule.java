package dev.edgeopt.train;

import dev.edgeopt.EdgeoptException;

/**
 * Learning rate as a function of the optimizer step (0-based) out of {@code total} steps. Per-step
 * rather than per-epoch so that one-cycle and cosine are smooth; the step schedule converts epochs
 * to steps.
 */
@FunctionalInterface
public interface Schedule {
    float lr(long step, long total);

    static Schedule constant(float lr) { return (s, t) -> lr; }

    /** lr * gamma^(epoch / every), with {@code stepsPerEpoch} steps per epoch. */
    static Schedule step(float lr, int everyEpochs, float gamma, long stepsPerEpoch) {
        return (s, t) -> (float) (lr * Math.pow(gamma, (s / stepsPerEpoch) / everyEpochs));
    }

    /** Cosine annealing from lr to minLr over the run. */
    static Schedule cosine(float lr, float minLr) {
        return (s, t) -> (float) (minLr + (lr - minLr) * 0.5 * (1 + Math.cos(Math.PI * Math.min(1.0, (double) s / Math.max(1, t)))));
    }

    /**
     * One-cycle (Smith), as PyTorch's OneCycleLR with cosine annealing: warm up from maxLr/25 to
     * maxLr over the first 30% of steps, then anneal to maxLr/25e4.
     */
    static Schedule oneCycle(float maxLr) {
        return (s, t) -> {
            double pct = 0.3, initial = maxLr / 25.0, fin = initial / 1e4;
            double warm = Math.max(1, pct * t - 1);
            if (s <= warm) return (float) cos(initial, maxLr, s / warm);
            return (float) cos(maxLr, fin, Math.min(1.0, (s - warm) / Math.max(1, t - 1 - warm)));
        };
    }

    private static double cos(double from, double to, double pct) { return to + (from - to) / 2 * (1 + Math.cos(Math.PI * pct)); }

    static Schedule parse(String name, float lr, long stepsPerEpoch, int epochs) {
        return switch (name) {
            case "constant" -> constant(lr);
            case "step" -> step(lr, Math.max(1, epochs / 3), 0.1f, stepsPerEpoch);
            case "cosine" -> cosine(lr, 0f);
            case "onecycle", "one-cycle" -> oneCycle(lr);
            default -> throw new EdgeoptException("unknown schedule '" + name + "'; choose constant, step, cosine or onecycle");
        };
    }
}
