package dev.edgeopt.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BlasTest {
    /** dotLanes against a double-precision dot product, over shapes with every kind of ragged edge. */
    @Test void dotLanesMatchesNaiveDotProducts() {
        SplittableRandom r = new SplittableRandom(3);
        int[][] shapes = {{4, 4, 16}, {9, 16, 784}, {7, 5, 37}, {1, 3, 5}, {144, 16, 980}, {6, 2, 0}};
        for (int[] sh : shapes) {
            int mi = sh[0], nj = sh[1], len = sh[2], lda = len + 3, ldb = len + 1;
            float[] a = new float[2 + mi * lda], b = new float[1 + nj * ldb];
            for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
            for (int i = 0; i < b.length; i++) b[i] = (float) (r.nextDouble() * 2 - 1);
            int rs = Blas.L, cs = mi * Blas.L;
            float[] acc = new float[5 + nj * cs];
            for (int i = 0; i < acc.length; i++) acc[i] = (float) r.nextDouble();
            float[] before = acc.clone();
            Blas.dotLanes(mi, nj, len, a, 2, lda, b, 1, ldb, acc, 5, rs, cs);
            for (int i = 0; i < mi; i++) {
                for (int j = 0; j < nj; j++) {
                    double want = 0, got = 0;
                    for (int q = 0; q < len; q++) want += (double) a[2 + i * lda + q] * b[1 + j * ldb + q];
                    for (int l = 0; l < Blas.L; l++) {
                        int d = 5 + i * rs + j * cs + l;
                        want += before[d];
                        got += acc[d];
                    }
                    assertEquals(want, got, 1e-4 * (1 + Math.sqrt(len)), "mi=" + mi + " nj=" + nj + " len=" + len + " at " + i + "," + j);
                }
            }
        }
    }
}
