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
        if (src instanceof float[] a) {
            float[] b = (float[]) dst;
            for (int j = 0; j < n; j++, s += ss, d += ds) b[d] = a[s];
        } else if (src instanceof double[] a) {
            double[] b = (double[]) dst;
            for (int j = 0; j < n; j++, s += ss, d += ds) b[d] = a[s];
        } else if (src instanceof long[] a) {
            long[] b = (long[]) dst;
            for (int j = 0; j < n; j++, s += ss, d += ds) b[d] = a[s];
        } else if (src instanceof int[] a) {
            int[] b = (int[]) dst;
            for (int j = 0; j < n; j++, s += ss, d += ds) b[d] = a[s];
        } else if (src instanceof short[] a) {
            short[] b = (short[]) dst;
            for (int j = 0; j < n; j++, s += ss, d += ds) b[d] = a[s];
        } else if (src instanceof byte[] a) {
            byte[] b = (byte[]) dst;
            for (int j = 0; j < n; j++, s += ss, d += ds) b[d] = a[s];
        } else if (src instanceof boolean[] a) {
            boolean[] b = (boolean[]) dst;
            for (int j = 0; j < n; j++, s += ss, d += ds) b[d] = a[s];
        } else if (src instanceof Object[] a) {
            Object[] b = (Object[]) dst;
            for (int j = 0; j < n; j++, s += ss, d += ds) b[d] = a[s];
        } else {
            throw new IllegalArgumentException("not a tensor array: " + src.getClass());
        }
    }

    /** {@code dst[d + j] = src[base + map[m + j]]} for {@code j < n}. */
    static void gather(Object src, int base, int[] map, int m, Object dst, int d, int n) {
        if (src instanceof float[] a) {
            float[] b = (float[]) dst;
            for (int j = 0; j < n; j++) b[d + j] = a[base + map[m + j]];
        } else if (src instanceof double[] a) {
            double[] b = (double[]) dst;
            for (int j = 0; j < n; j++) b[d + j] = a[base + map[m + j]];
        } else if (src instanceof long[] a) {
            long[] b = (long[]) dst;
            for (int j = 0; j < n; j++) b[d + j] = a[base + map[m + j]];
        } else if (src instanceof int[] a) {
            int[] b = (int[]) dst;
            for (int j = 0; j < n; j++) b[d + j] = a[base + map[m + j]];
        } else if (src instanceof short[] a) {
            short[] b = (short[]) dst;
            for (int j = 0; j < n; j++) b[d + j] = a[base + map[m + j]];
        } else if (src instanceof byte[] a) {
            byte[] b = (byte[]) dst;
            for (int j = 0; j < n; j++) b[d + j] = a[base + map[m + j]];
        } else if (src instanceof boolean[] a) {
            boolean[] b = (boolean[]) dst;
            for (int j = 0; j < n; j++) b[d + j] = a[base + map[m + j]];
        } else if (src instanceof Object[] a) {
            Object[] b = (Object[]) dst;
            for (int j = 0; j < n; j++) b[d + j] = a[base + map[m + j]];
        } else {
            throw new IllegalArgumentException("not a tensor array: " + src.getClass());
        }
    }

    /** Fills {@code arr[off, off+n)} with the element {@code src[s]} by doubling copies. */
    static void fill(Object src, int s, Object arr, int off, int n) {
        if (n <= 0) return;
        if (n <= 16) {
            // Short runs (pad borders): a typed fill beats the per-call cost of untyped arraycopy.
            if (arr instanceof float[] a) {
                Arrays.fill(a, off, off + n, ((float[]) src)[s]);
                return;
            } else if (arr instanceof byte[] a) {
                Arrays.fill(a, off, off + n, ((byte[]) src)[s]);
                return;
            } else if (arr instanceof int[] a) {
                Arrays.fill(a, off, off + n, ((int[]) src)[s]);
                return;
            } else if (arr instanceof long[] a) {
                Arrays.fill(a, off, off + n, ((long[]) src)[s]);
                return;
            }
        }
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
        if (arr instanceof float[] a) {
            Arrays.fill(a, off, to, 0f);
        } else if (arr instanceof double[] a) {
            Arrays.fill(a, off, to, 0d);
        } else if (arr instanceof long[] a) {
            Arrays.fill(a, off, to, 0L);
        } else if (arr instanceof int[] a) {
            Arrays.fill(a, off, to, 0);
        } else if (arr instanceof short[] a) {
            Arrays.fill(a, off, to, (short) 0);
        } else if (arr instanceof byte[] a) {
            Arrays.fill(a, off, to, (byte) 0);
        } else if (arr instanceof boolean[] a) {
            Arrays.fill(a, off, to, false);
        } else if (arr instanceof String[] a) {
            Arrays.fill(a, off, to, "");
        } else {
            throw new IllegalArgumentException("not a tensor array: " + arr.getClass());
        }
    }

    /** Integer element i of an index tensor's storage (int64 or int32). */
    static long index(Object arr, int i) {
        return arr instanceof long[] l ? l[i] : ((int[]) arr)[i];
    }
}
