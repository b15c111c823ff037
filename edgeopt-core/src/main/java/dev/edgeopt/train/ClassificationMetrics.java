package dev.edgeopt.train;

import java.util.List;

/** Accuracy, per-class precision/recall/F1, macro F1 and the confusion matrix (rows: true class, columns: predicted). */
public record ClassificationMetrics(long[][] confusion, List<String> classNames) {
    public static ClassificationMetrics of(int[] truth, int[] predicted, List<String> classNames) {
        int k = classNames.size();
        long[][] c = new long[k][k];
        for (int i = 0; i < truth.length; i++) c[truth[i]][predicted[i]]++;
        return new ClassificationMetrics(c, classNames);
    }

    public long total() {
        long t = 0;
        for (long[] r : confusion) for (long v : r) t += v;
        return t;
    }

    public double accuracy() {
        long right = 0;
        for (int i = 0; i < confusion.length; i++) right += confusion[i][i];
        return total() == 0 ? 0 : (double) right / total();
    }

    public double precision(int c) {
        long col = 0;
        for (long[] r : confusion) col += r[c];
        return col == 0 ? 0 : (double) confusion[c][c] / col;
    }

    public double recall(int c) {
        long row = 0;
        for (long v : confusion[c]) row += v;
        return row == 0 ? 0 : (double) confusion[c][c] / row;
    }

    public double f1(int c) {
        double p = precision(c), r = recall(c);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    public double macroF1() {
        double s = 0;
        for (int c = 0; c < confusion.length; c++) s += f1(c);
        return s / confusion.length;
    }
}
