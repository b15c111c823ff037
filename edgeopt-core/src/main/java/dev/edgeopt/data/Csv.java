package dev.edgeopt.data;

import dev.edgeopt.EdgeoptException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * CSV for tabular and time-series sensor data: numeric feature columns and one label column
 * (integer, or class names mapped in order of first appearance). With {@code window > 1},
 * consecutive rows form samples [window, features] taken every {@code stride} rows, labelled by
 * their last row; windows never span a change of label when {@code sameLabel} is set.
 */
public final class Csv {
    private Csv() {}

    public static final class Options {
        String labelColumn;
        int window = 1, stride = 1;
        boolean sameLabel = true;
        char separator = ',';

        /** The label column by header name; default: the last column. */
        public Options label(String name) { labelColumn = name; return this; }

        public Options window(int w, int s) {
            if (w < 1 || s < 1) throw new EdgeoptException("CSV window and stride must be >= 1");
            window = w;
            stride = s;
            return this;
        }

        public Options sameLabel(boolean b) { sameLabel = b; return this; }

        public Options separator(char c) { separator = c; return this; }
    }

    public static Dataset load(Path file, Options o) {
        List<String[]> rows = new ArrayList<>();
        String[] header = null;
        try (BufferedReader r = Files.newBufferedReader(file)) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] f = line.split(java.util.regex.Pattern.quote(String.valueOf(o.separator)), -1);
                for (int i = 0; i < f.length; i++) f[i] = f[i].trim();
                if (header == null && rows.isEmpty() && !isNumber(f[0])) {
                    header = f;
                    continue;
                }
                rows.add(f);
            }
        } catch (java.nio.file.NoSuchFileException e) {
            throw new EdgeoptException(file + ": no such file");
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new EdgeoptException(file + ": cannot read (" + e.getMessage() + ")");
        }
        if (rows.isEmpty()) throw new EdgeoptException(file + ": no data rows");
        int cols = rows.get(0).length;
        if (cols < 2) throw new EdgeoptException(file + ": needs at least one feature column and a label column");
        int labelCol = cols - 1;
        if (o.labelColumn != null) {
            labelCol = -1;
            if (header != null) for (int i = 0; i < header.length; i++) if (header[i].equals(o.labelColumn)) labelCol = i;
            if (labelCol < 0) throw new EdgeoptException(file + ": no column named '" + o.labelColumn + "'");
        }
        int feats = cols - 1;
        float[] x = new float[rows.size() * feats];
        int[] y = new int[rows.size()];
        Map<String, Integer> names = new LinkedHashMap<>();
        boolean numericLabels = true;
        for (String[] f : rows) if (!isInteger(f.length > labelCol ? f[labelCol] : "")) numericLabels = false;
        for (int i = 0; i < rows.size(); i++) {
            String[] f = rows.get(i);
            int line = i + 1 + (header == null ? 0 : 1);
            if (f.length != cols) throw new EdgeoptException(file + ": line " + line + " has " + f.length + " fields, expected " + cols);
            int k = 0;
            for (int c = 0; c < cols; c++) {
                if (c == labelCol) continue;
                try {
                    x[i * feats + k++] = Float.parseFloat(f[c]);
                } catch (NumberFormatException e) {
                    throw new EdgeoptException(file + ": line " + line + " column " + (c + 1) + ": '" + f[c] + "' is not a number");
                }
            }
            if (numericLabels) {
                y[i] = Integer.parseInt(f[labelCol]);
                if (y[i] < 0) throw new EdgeoptException(file + ": line " + line + ": label " + y[i] + " is negative");
            } else {
                y[i] = names.computeIfAbsent(f[labelCol], s -> names.size());
            }
        }
        int classes = numericLabels ? java.util.Arrays.stream(y).max().orElse(0) + 1 : names.size();
        List<String> classNames = numericLabels ? null : new ArrayList<>(names.keySet());
        String name = file.getFileName().toString();
        if (o.window == 1) return new Dataset(name, x, new int[] {feats}, y, classes, classNames);
        List<Integer> starts = new ArrayList<>();
        for (int s = 0; s + o.window <= rows.size(); s += o.stride) {
            boolean ok = true;
            if (o.sameLabel) for (int j = s; j < s + o.window; j++) ok &= y[j] == y[s];
            if (ok) starts.add(s);
        }
        if (starts.isEmpty()) throw new EdgeoptException(file + ": no window of " + o.window + " rows fits (" + rows.size() + " rows)");
        float[] wx = new float[starts.size() * o.window * feats];
        int[] wy = new int[starts.size()];
        for (int i = 0; i < starts.size(); i++) {
            int s = starts.get(i);
            System.arraycopy(x, s * feats, wx, i * o.window * feats, o.window * feats);
            wy[i] = y[s + o.window - 1];
        }
        return new Dataset(name, wx, new int[] {o.window, feats}, wy, classes, classNames);
    }

    private static boolean isNumber(String s) {
        try {
            Float.parseFloat(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static boolean isInteger(String s) {
        try {
            Integer.parseInt(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
