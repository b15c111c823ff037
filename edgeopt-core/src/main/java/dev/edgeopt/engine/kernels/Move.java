package dev.edgeopt.engine.kernels;

import java.util.Arrays;

/**
 * Dtype-agnostic element movement for the shape family. Data-movement ops never look at values,
 * so one implementation over the storage arrays serves every dtype (float16 and bfloat16 travel as
 * their raw short bits, strings as references). Contiguous runs go through
 * {@link System#arraycopy}; strided runs through one loop per storage kind.
 */
final class Move {
    private Move() {}

    /** {@code dst[d + j*ds] = src[s + j*ss]} for {@code j < n}; strides may be zero or negative. */
    static void strided(Object src, int s, int ss, Object dst, int d, int ds, int n) {
        if (ss == 1 && ds == 1) {
            System.arraycopy(src, s, dst, d, n);
            return;
        }
        switch (src) {
            case float[] a -> { float[] b = (float[]) dst; for (int j = 0; j < n; j++, s += ss, d += ds) b[d] = a[s]; }
            case double[] a -> { double[] b = (double[]) dst; for (int j = 0; j < n; j++, s += ss, d += ds) b[d] = a[s]; }
            case long[] a -> { long[] b = (long[]) dst; for (int j = 0; j < n; j++, s += ss, d += ds) b[d] = a[s]; }
            case int[] a -> { int[] b = (int[]) dst; for (int j = 0; j < n; j++, s += ss, d += ds) b[d] = a[s]; }
            case short[] a -> { short[] b = (short[]) dst; for (int j = 0; j < n; j++, s += ss, d += ds) b[d] = a[s]; }
            case byte[] a -> { byte[] b = (byte[]) dst; for (int j = 0; j < n; j++, s += ss, d += ds) b[d] = a[s]; }
            case boolean[] a -> { boolean[] b = (boolean[]) dst; for (int j = 0; j < n; j++, s += ss, d += ds) b[d] = a[s]; }
            case Object[] a -> { Object[] b = (Object[]) dst; for (int j = 0; j < n; j++, s += ss, d += ds) b[d] = a[s]; }
            default -> throw new IllegalArgumentException("not a tensor array: " + src.getClass());
        }
    }

    /** {@code dst[d + j] = src[base + map[m + j]]} for {@code j < n}. */
    static void gather(Object src, int base, int[] map, int m, Object dst, int d, int n) {
        switch (src) {
            case float[] a -> { float[] b = (float[]) dst; for (int j = 0; j < n; j++) b[d + j] = a[base + map[m + j]]; }
            case double[] a -> { double[] b = (double[]) dst; for (int j = 0; j < n; j++) b[d + j] = a[base + map[m + j]]; }
            case long[] a -> { long[] b = (long[]) dst; for (int j = 0; j < n; j++) b[d + j] = a[base + map[m + j]]; }
            case int[] a -> { int[] b = (int[]) dst; for (int j = 0; j < n; j++) b[d + j] = a[base + map[m + j]]; }
            case short[] a -> { short[] b = (short[]) dst; for (int j = 0; j < n; j++) b[d + j] = a[base + map[m + j]]; }
            case byte[] a -> { byte[] b = (byte[]) dst; for (int j = 0; j < n; j++) b[d + j] = a[base + map[m + j]]; }
            case boolean[] a -> { boolean[] b = (boolean[]) dst; for (int j = 0; j < n; j++) b[d + j] = a[base + map[m + j]]; }
            case Object[] a -> { Object[] b = (Object[]) dst; for (int j = 0; j < n; j++) b[d + j] = a[base + map[m + j]]; }
            default -> throw new IllegalArgumentException("not a tensor array: " + src.getClass());
        }
    }

    /** Fills {@code arr[off, off+n)} with the element {@code src[s]} by doubling copies. */
    static void fill(Object src, int s, Object arr, int off, int n) {
        if (n <= 0) return;
        System.arraycopy(src, s, arr, off, 1);
        int done = 1;
        while (done < n) {
            int k = Math.min(done, n - done);
            System.arraycopy(arr, off, arr, off + done, k);
            done += k;
        }
    }

    /** Sets {@code arr[off, off+n)} to the dtype's zero (false, "" for strings). */
    static void zero(Object arr, int off, int n) {
        int to = off + n;
        switch (arr) {
            case float[] a -> Arrays.fill(a, off, to, 0f);
            case double[] a -> Arrays.fill(a, off, to, 0d);
            case long[] a -> Arrays.fill(a, off, to, 0L);
            case int[] a -> Arrays.fill(a, off, to, 0);
            case short[] a -> Arrays.fill(a, off, to, (short) 0);
            case byte[] a -> Arrays.fill(a, off, to, (byte) 0);
            case boolean[] a -> Arrays.fill(a, off, to, false);
            case String[] a -> Arrays.fill(a, off, to, "");
            default -> throw new IllegalArgumentException("not a tensor array: " + arr.getClass());
        }
    }

    /** Integer element i of an index tensor's storage (int64 or int32). */
    static long index(Object arr, int i) {
        return arr instanceof long[] l ? l[i] : ((int[]) arr)[i];
    }
}
