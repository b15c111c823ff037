package dev.edgeopt.train;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.tensor.Tensor;
import java.util.Arrays;

/**
 * Losses over a batch of model outputs. Each returns the mean loss and writes its gradient with
 * respect to the outputs (already divided by the batch size), ready for {@link Tape#backward}.
 * Softmax is computed with the row maximum subtracted and log-sum-exp in double, so large logits
 * neither overflow nor lose the small probabilities.
 */
public final class Losses {
    private Losses() {}

    private static int[] rows(Tensor logits) {
        if (logits.rank() != 2) throw new EdgeoptException("loss expects model output [batch, classes], got " + Arrays.toString(logits.dims()));
        return logits.dims();
    }

    /**
     * Softmax cross-entropy against integer labels, fused: dL/dz = softmax(z) - onehot(label),
     * divided by the batch size. {@code labels[labelOff + i]} is sample i's class.
     *
     * @param correct when non-null, element 0 receives the number of samples whose arg-max is the label
     */
    public static double softmaxCrossEntropy(Tensor logits, int[] labels, int labelOff, Tensor grad, int[] correct) {
        int[] s = rows(logits);
        int n = s[0], c = s[1];
        float[] z = logits.floats(), g = grad == null ? null : grad.floats();
        int zo = logits.offset(), go = grad == null ? 0 : grad.offset();
        double total = 0;
        int right = 0;
        for (int i = 0; i < n; i++) {
            int label = labels[labelOff + i];
            if (label < 0 || label >= c) throw new EdgeoptException("label " + label + " of sample " + i + " is outside the model's " + c + " classes");
            int b = zo + i * c;
            float max = z[b];
            int arg = 0;
            for (int j = 1; j < c; j++) if (z[b + j] > max) { max = z[b + j]; arg = j; }
            if (arg == label) right++;
            double se = 0;
            for (int j = 0; j < c; j++) se += Math.exp(z[b + j] - max);
            double lse = Math.log(se);
            total += lse - (z[b + label] - max);
            if (g != null) {
                for (int j = 0; j < c; j++) {
                    double p = Math.exp(z[b + j] - max - lse);
                    g[go + i * c + j] = (float) ((p - (j == label ? 1 : 0)) / n);
                }
            }
        }
        if (correct != null) correct[0] = right;
        return total / n;
    }

    /** Mean squared error over all elements: mean((y - t)^2). */
    public static double mse(Tensor out, Tensor target, Tensor grad) {
        if (!Arrays.equals(out.dims(), target.dims())) {
            throw new EdgeoptException("MSE target " + Arrays.toString(target.dims()) + " does not match output " + Arrays.toString(out.dims()));
        }
        int len = out.size();
        float[] y = out.floats(), t = target.floats();
        double total = 0;
        for (int i = 0; i < len; i++) {
            double d = y[out.offset() + i] - t[target.offset() + i];
            total += d * d;
            if (grad != null) grad.floats()[grad.offset() + i] = (float) (2 * d / len);
        }
        return total / len;
    }

    /**
     * Knowledge-distillation loss: T^2 * KL(softmax(teacher/T) || softmax(student/T)), averaged over
     * the batch. The T^2 factor keeps gradient magnitudes independent of T (Hinton et al.); the
     * gradient with respect to the student logits is T * (p_student - p_teacher) / batch.
     */
    public static double klDivergence(Tensor student, Tensor teacher, float temperature, Tensor grad) {
        int[] s = rows(student);
        if (!Arrays.equals(s, teacher.dims())) {
            throw new EdgeoptException("teacher output " + Arrays.toString(teacher.dims()) + " does not match student " + Arrays.toString(s));
        }
        if (!(temperature > 0)) throw new EdgeoptException("temperature must be > 0, got " + temperature);
        int n = s[0], c = s[1];
        double[] ps = new double[c], pt = new double[c];
        double total = 0;
        for (int i = 0; i < n; i++) {
            double lss = logSoftmax(student, i * c, c, temperature, ps);
            double lst = logSoftmax(teacher, i * c, c, temperature, pt);
            for (int j = 0; j < c; j++) {
                double lt = teacher.floats()[teacher.offset() + i * c + j] / temperature - lst;
                double ls = student.floats()[student.offset() + i * c + j] / temperature - lss;
                total += pt[j] * (lt - ls);
                if (grad != null) grad.floats()[grad.offset() + i * c + j] = (float) (temperature * (ps[j] - pt[j]) / n);
            }
        }
        return temperature * temperature * total / n;
    }

    /** Fills p with softmax(z/T) of one row and returns log-sum-exp(z/T). */
    private static double logSoftmax(Tensor z, int off, int c, float t, double[] p) {
        float[] a = z.floats();
        int b = z.offset() + off;
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < c; j++) max = Math.max(max, a[b + j] / t);
        double se = 0;
        for (int j = 0; j < c; j++) se += Math.exp(a[b + j] / t - max);
        double lse = max + Math.log(se);
        for (int j = 0; j < c; j++) p[j] = Math.exp(a[b + j] / t - lse);
        return lse;
    }
}
