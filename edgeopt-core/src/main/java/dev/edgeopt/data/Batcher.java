package dev.edgeopt.data;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.tensor.Tensor;
import java.util.SplittableRandom;

/**
 * Fills fixed batch buffers from a data set. The order of epoch e is a permutation seeded by
 * (seed, e) and the augmentation of batch b in epoch e draws from (seed, e, b), so a run, or a run
 * resumed at an epoch boundary, sees exactly the same batches.
 */
public final class Batcher {
    private final Dataset data;
    private final int batch;
    private final boolean shuffle;
    private final long seed;
    private final Augment augment;
    private int[] order;

    public Batcher(Dataset data, int batch, boolean shuffle, long seed, Augment augment) {
        if (batch < 1) throw new EdgeoptException("batch size must be >= 1, got " + batch);
        this.data = data;
        this.batch = batch;
        this.shuffle = shuffle;
        this.seed = seed;
        this.augment = augment == null ? Augment.NONE : augment;
        if (!this.augment.isNone() && data.sampleShape().length != 3) {
            throw new EdgeoptException(data.name() + ": augmentation needs image samples [C,H,W], got rank " + data.sampleShape().length);
        }
        startEpoch(0);
    }

    public int batchSize() { return batch; }

    /** Batches per epoch, counting a final partial one. */
    public int batches() { return (data.size() + batch - 1) / batch; }

    /** Samples in batch b (the last may be partial). */
    public int count(int b) { return Math.min(batch, data.size() - b * batch); }

    public void startEpoch(int epoch) {
        if (!shuffle) {
            order = new int[data.size()];
            for (int i = 0; i < order.length; i++) order[i] = i;
        } else {
            order = Dataset.permutation(data.size(), seed * 31 + epoch);
        }
        this.epoch = epoch;
    }

    private int epoch;

    /**
     * Copies batch b into {@code x} (shape [count(b), sample...]) and its labels into {@code y[0..]}.
     */
    public void fill(int b, Tensor x, int[] y) {
        int n = count(b), ss = data.sampleSize();
        if (x.size() != n * ss) throw new IllegalArgumentException("batch buffer holds " + x.size() + " floats, batch " + b + " needs " + n * ss);
        float[] dst = x.floats();
        int[] s = data.sampleShape();
        SplittableRandom r = augment.isNone() ? null : new SplittableRandom((seed * 1_000_003L + epoch) * 1_000_003L + b);
        for (int i = 0; i < n; i++) {
            int idx = order[b * batch + i];
            if (r == null) data.copySample(idx, dst, x.offset() + i * ss);
            else augment.apply(data.data(), idx * ss, dst, x.offset() + i * ss, s[0], s[1], s[2], r);
            y[i] = data.label(idx);
        }
    }
}
