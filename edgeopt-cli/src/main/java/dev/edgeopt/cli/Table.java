package dev.edgeopt.cli;

import java.io.PrintWriter;
import java.util.List;

/** Plain-text tables: columns padded to their widest cell, numbers right-aligned. */
final class Table {
    private Table() {}

    /** Prints rows (the first is the header); the listed columns are right-aligned. */
    static void print(PrintWriter out, List<String[]> rows, int... rightAligned) {
        int cols = rows.get(0).length;
        int[] w = new int[cols];
        for (String[] r : rows) for (int c = 0; c < cols; c++) w[c] = Math.max(w[c], r[c].length());
        boolean[] right = new boolean[cols];
        for (int c : rightAligned) right[c] = true;
        StringBuilder b = new StringBuilder();
        for (String[] r : rows) {
            b.setLength(0);
            for (int c = 0; c < cols; c++) {
                String pad = " ".repeat(w[c] - r[c].length());
                if (c > 0) b.append("  ");
                b.append(right[c] ? pad + r[c] : c == cols - 1 ? r[c] : r[c] + pad);
            }
            out.println(b.toString().stripTrailing());
        }
    }
}
