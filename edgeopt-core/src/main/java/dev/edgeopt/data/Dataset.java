package dev.edgeopt.data;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * An in-memory labelled data set: {@code size} samples of one float shape, stored back to back,
 * and an integer class label per sample. Subsets share nothing with their parent (they copy), so
 * a split can be handed to another thread or kept after the parent is dropped.
 */
public final class Dataset {
    private final String name;
    private final float[] x;
    private final int[] sampleShape;
    private final int sampleSize;
    private final int[] labels;
    private final int classes;
    private final List<String> classNames;

    /**
     * @param x samples back to back, {@code labels.length * numel(sampleShape)} floats
     * @param classNames names of the classes (labels index it); null gives "0", "1", ...
     */
    public Dataset(String name, float[] x, int[] sampleShape, int[] labels, int classes, List<String> classNames) {
        this.name = name;
        this.sampleShape = sampleShape.clone();
        this.sampleSize = Tensor.numel(sampleShape);
        if ((long) labels.length * sampleSize != x.length) {
            throw new EdgeoptException(name + ": " + labels.length + " labels for " + (sampleSize == 0 ? 0 : x.length / sampleSize) + " samples of shape " + Arrays.toString(sampleShape));
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new EdgeoptException(name + ": label " + labels[i] + " of sample " + i + " is outside 0.." + (classes - 1));
            }
        }
        this.x = x;
        this.labels = labels;
        this.classes = classes;
        if (classNames == null) {
            List<String> c = new ArrayList<>();
            for (int i = 0; i < classes; i++) c.add(Integer.toString(i));
            classNames = c;
        }
        if (classNames.size() != classes) throw new EdgeoptException(name + ": " + classNames.size() + " class names for " + classes + " classes");
        this.classNames = List.copyOf(classNames);
    }

    public String name() { return name; }

    public int size() { return labels.length; }

    /** Shape of one sample, e.g. [1, 28, 28]. */
    public int[] sampleShape() { return sampleShape.clone(); }

    public int sampleSize() { return sampleSize; }

    public int classes() { return classes; }

    public List<String> classNames() { return classNames; }

    public int label(int i) { return labels[i]; }

    /** The label array itself (not a copy; do not modify). */
    public int[] labels() { return labels; }

    /** The sample array itself (not a copy; do not modify). */
    public float[] data() { return x; }

    /** Copies sample i into {@code dst[off..]}. */
    public void copySample(int i, float[] dst, int off) { System.arraycopy(x, i * sampleSize, dst, off, sampleSize); }

    /** All samples as one tensor [size, sampleShape...] (a copy). */
    public Tensor tensor() {
        int[] s = new int[sampleShape.length + 1];
        s[0] = size();
        System.arraycopy(sampleShape, 0, s, 1, sampleShape.length);
        return Tensor.of(x.clone(), s);
    }

    /** The samples at {@code indices}, in that order. */
    public Dataset subset(int[] indices, String subsetName) {
        float[] nx = new float[indices.length * sampleSize];
        int[] nl = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            System.arraycopy(x, indices[i] * sampleSize, nx, i * sampleSize, sampleSize);
            nl[i] = labels[indices[i]];
        }
        return new Dataset(subsetName, nx, sampleShape, nl, classes, classNames);
    }

    /** 0..n-1 in an order that depends only on the seed (Fisher-Yates with SplittableRandom). */
    public static int[] permutation(int n, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** A train/validation pair. */
    public record Split(Dataset train, Dataset validation) {}

    /** Holds out a seeded random {@code fraction} of the samples for validation. */
    public Split split(double fraction, long seed) {
        if (!(fraction > 0 && fraction < 1)) throw new EdgeoptException("validation fraction must be in (0, 1), got " + fraction);
        int[] p = permutation(size(), seed);
        int nv = (int) Math.round(size() * fraction);
        if (nv == 0 || nv == size()) throw new EdgeoptException(name + ": " + size() + " samples are too few to hold out " + fraction);
        int[] val = Arrays.copyOfRange(p, 0, nv), tr = Arrays.copyOfRange(p, nv, size());
        Arrays.sort(val);
        Arrays.sort(tr);
        return new Split(subset(tr, name + "/train"), subset(val, name + "/val"));
    }

    /** K folds over one seeded permutation: fold i validates on the i-th slice and trains on the rest. */
    public List<Split> kFold(int k, long seed) {
        if (k < 2 || k > size()) throw new EdgeoptException("folds must be in 2.." + size() + ", got " + k);
        int[] p = permutation(size(), seed);
        List<Split> folds = new ArrayList<>();
        for (int f = 0; f < k; f++) {
            int lo = (int) ((long) size() * f / k), hi = (int) ((long) size() * (f + 1) / k);
            int[] val = Arrays.copyOfRange(p, lo, hi);
            int[] tr = new int[size() - val.length];
            System.arraycopy(p, 0, tr, 0, lo);
            System.arraycopy(p, hi, tr, lo, size() - hi);
            Arrays.sort(val);
            Arrays.sort(tr);
            folds.add(new Split(subset(tr, name + "/fold" + f + "-train"), subset(val, name + "/fold" + f + "-val")));
        }
        return folds;
    }

    /** Per-channel mean and standard deviation (axis 0 of the sample shape), for a model's input normalization. */
    public float[][] channelStats() {
        int ch = sampleShape.length == 0 ? 1 : sampleShape[0];
        int per = sampleSize / Math.max(1, ch);
        double[] s = new double[ch], sq = new double[ch];
        for (int i = 0; i < size(); i++) {
            for (int c = 0; c < ch; c++) {
                int b = i * sampleSize + c * per;
                for (int j = 0; j < per; j++) {
                    double v = x[b + j];
                    s[c] += v;
                    sq[c] += v * v;
                }
            }
        }
        float[] mean = new float[ch], std = new float[ch];
        double cnt = (double) size() * per;
        for (int c = 0; c < ch; c++) {
            mean[c] = (float) (s[c] / cnt);
            std[c] = (float) Math.sqrt(Math.max(1e-12, sq[c] / cnt - (s[c] / cnt) * (s[c] / cnt)));
        }
        return new float[][] {mean, std};
    }

    /** Number of samples per class. */
    public int[] classCounts() {
        int[] c = new int[classes];
        for (int l : labels) c[l]++;
        return c;
    }

    @Override public String toString() { return name + " (" + size() + " x " + Arrays.toString(sampleShape) + ", " + classes + " classes)"; }
}
