package dev.edgeopt.engine.kernels.int8;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The chunking that keeps float32 sums of int8 products exact. */
class ExactFloatTest {
    @Test
    void chunksFollowEachChannelsWeights() {
        int maxX = ExactFloat.maxDistance(false, -128); // 255
        assertEquals(255, maxX);
        // 518 * 127 * 255 <= 2^24 < 519 * 127 * 255.
        float[] w = new float[519];
        Arrays.fill(w, 127);
        assertEquals(1, ExactFloat.chunks(w, 0, 1, 518, 0, 1, maxX));
        assertEquals(2, ExactFloat.chunks(w, 0, 1, 519, 0, 1, maxX));
        w[100] = -127; // magnitudes count, not signs
        assertEquals(2, ExactFloat.chunks(w, 0, 1, 519, 0, 1, maxX));
        // Small weights in a deep channel fit in one chunk where the coarse bound K * 255 * 127 needed two.
        float[] two = new float[2 * 1000];
        Arrays.fill(two, 0, 1000, 3);
        two[7] = 127;
        assertEquals(1, ExactFloat.chunks(two, 0, 2, 1000, 1000, 1, maxX));
        // The worst channel decides; weights read K-major with a column stride (as QLinearMatMul's B).
        float[] kMajor = new float[1100 * 2];
        for (int i = 0; i < 1100; i++) {
            kMajor[i * 2] = 1;
            kMajor[i * 2 + 1] = 127;
        }
        assertEquals(3, ExactFloat.chunks(kMajor, 0, 2, 1100, 1, 2, maxX));
        assertEquals(1, ExactFloat.chunks(new float[0], 0, 3, 0, 0, 1, maxX));
    }
}
