package dev.edgeopt.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.engine.kernels.Activation;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.GraphVerifier;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.tensor.Tensor;
import dev.edgeopt.train.Parameters;
import dev.edgeopt.train.Tape;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelBuilderTest {
    private static long trainable(Graph g) {
        long n = 0;
        for (Value v : g.initializers()) if (!v.name().contains("running_")) n += v.constant().size();
        return n;
    }

    @Test
    void referenceSizes() {
        int[] in = {1, 28, 28};
        // 784*300+300 + 300*100+100 + 100*10+10
        assertEquals(266_610, trainable(Architectures.build("mlp", in, 10, 1, 0)));
        // conv 1->32 (288) + bn (64) + conv 32->64 (18432) + bn (128) + conv 64->128 (73728) + bn (256) + fc 128*10+10
        assertEquals(288 + 64 + 18_432 + 128 + 73_728 + 256 + 1_290, trainable(Architectures.build("cnn", in, 10, 1, 0)));
        // MLPerf Tiny's ResNet-8 has 78,186 trainable parameters (3x32x32 input); ours has one input
        // channel (2x16x9 fewer stem weights) and no biases on the 240 conv channels a BatchNormalization follows.
        assertEquals(78_186 - 288 - 240, trainable(Architectures.build("resnet8", in, 10, 1, 0)));
        assertEquals(Map.of("BatchNormalization", 9, "Conv", 9, "Relu", 9, "GlobalAveragePool", 1, "Flatten", 1, "Gemm", 1),
                Architectures.build("dscnn", in, 10, 1, 0).opHistogram());
    }

    @Test
    void graphsVerifyInferAndRunWithTheDeclaredShapes() {
        for (String a : Architectures.NAMES) {
            Graph g = Architectures.build(a, new int[] {1, 28, 28}, 10, 0.5, 0);
            GraphVerifier.verify(g);
            ShapeInference.annotate(g.copy(), null);
            Tape t = new Tape(g, new Parameters(g), new int[][] {{3, 1, 28, 28}}, ThreadPool.shared(1), 0, false);
            assertArrayEquals(new int[] {3, 10}, t.forward(false)[0].dims(), a);
        }
    }

    @Test
    void normalizationIsInTheGraphAndFrozen() {
        Graph g = Architectures.build("mlp", new int[] {1, 4, 4}, 3, 0.1, -1, 0, new float[][] {{0.5f}, {0.25f}});
        Parameters p = new Parameters(g);
        Tape t = new Tape(g, p, new int[][] {{2, 1, 4, 4}}, ThreadPool.shared(1), 0, false);
        t.forward(true);
        assertEquals(false, p.grads().containsKey("input.mean"));
        assertEquals(false, p.grads().containsKey("input.std"));
        assertEquals(true, p.grads().containsKey(g.nodes().get(3).input(1).name()));
        assertEquals("Sub", g.nodes().get(0).opType());
    }

    @Test
    void seededInitialization() {
        Graph a = Architectures.build("cnn", new int[] {1, 28, 28}, 10, 1, 4), b = Architectures.build("cnn", new int[] {1, 28, 28}, 10, 1, 4);
        Graph c = Architectures.build("cnn", new int[] {1, 28, 28}, 10, 1, 5);
        Tensor wa = a.value("conv1.weight").constant(), wb = b.value("conv1.weight").constant(), wc = c.value("conv1.weight").constant();
        assertArrayEquals(wa.floats(), wb.floats());
        assertNotEquals(wa.floats()[0], wc.floats()[0]);
        // He-normal: the sample variance of 288 weights is near 2/fan_in = 2/9.
        double s = 0;
        for (float v : wa.floats()) s += v * v;
        assertEquals(2.0 / 9, s / wa.size(), 0.05);
        assertEquals(16, Architectures.build("cnn", new int[] {1, 28, 28}, 10, 0.5, 0).value("conv1.weight").constant().dim(0));
    }

    @Test
    void blocksCompose() {
        ModelBuilder b = new ModelBuilder("blocks", 3);
        ModelBuilder.T x = b.input("input", 4, 6, 6);
        x = b.convBnAct(x, 8, 3, 1, Activation.HARD_SWISH);
        x = b.depthwiseSeparable(x, 8, 2, Activation.CLIP);
        x = b.squeezeExcite(x, 4);
        x = b.residual(x, 12, 1, Activation.RELU);
        x = b.maxPool(x, 2, 1);
        Graph g = b.build(b.dense(b.globalAvgPool(x), 5, false));
        GraphVerifier.verify(g);
        Tape t = new Tape(g, new Parameters(g), new int[][] {{2, 4, 6, 6}}, ThreadPool.shared(1), 0, false);
        assertArrayEquals(new int[] {2, 5}, t.forward(true)[0].dims());
        assertEquals("logits", g.outputs().get(0).name());
    }
}
