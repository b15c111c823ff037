package dev.edgeopt.onnx;

import static dev.edgeopt.onnx.SingleNodeOracle.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgeopt.ir.Graph;
import dev.edgeopt.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Normalizations, LRN and MaxUnpool against ONNX Runtime. */
class NormOrtTest {
    @Test
    void instanceNormalization() {
        new SingleNodeOracle("InstanceNormalization", 13).input(randn(1, 2, 3, 5, 7))
                .constant(randn(2, 3)).constant(randn(3, 3)).attr("epsilon", 1e-3f).check();
        // An offset mean: the two-pass variance must agree with ORT's.
        Tensor x = randn(4, 3, 4, 50);
        for (int i = 0; i < x.size(); i++) x.floats()[i] = 10f + x.floats()[i];
        new SingleNodeOracle("InstanceNormalization", 13).input(x).staticInput(randn(5, 4)).staticInput(randn(6, 4))
                .tolerance(1e-3, 1e-4).check();
    }

    @Test
    void layerNormalizationAxesStashOutputsAndSymbolicBatch() {
        for (int axis : new int[] {-1, -2, 1}) {
            int[] inner = axis == -1 ? new int[] {6} : new int[] {5, 6};
            SingleNodeOracle o = new SingleNodeOracle("LayerNormalization", 17).input(randn(10, 3, 5, 6))
                    .constant(randn(11, inner)).constant(randn(12, inner)).attr("axis", (long) axis).outputs(3);
            Graph g = o.graph();
            assertEquals(axis == -1 ? "[N,5,1]" : "[N,1,1]", g.outputs().get(1).shape().toString());
            o.check();
        }
        // Large enough to split rows across threads.
        new SingleNodeOracle("LayerNormalization", 17).input(randn(15, 64, 512)).constant(randn(16, 512)).constant(randn(17, 512)).check();
        new SingleNodeOracle("InstanceNormalization", 13).input(randn(18, 2, 16, 40, 40)).constant(randn(19, 16)).constant(randn(20, 16)).check();
        // No bias.
        new SingleNodeOracle("LayerNormalization", 17).input(randn(13, 2, 4, 6)).constant(randn(14, 4, 6))
                .attr("axis", 1L).attr("epsilon", 1e-2f).check();
    }

    @Test
    void groupNormalizationPerGroupAt18AndPerChannelAt21() {
        new SingleNodeOracle("GroupNormalization", 21).input(randn(40, 2, 6, 4, 5)).constant(randn(41, 6)).constant(randn(42, 6))
                .attr("num_groups", 3L).attr("epsilon", 1e-3f).check();
        new SingleNodeOracle("GroupNormalization", 18).input(randn(43, 2, 6, 7)).constant(randn(44, 2)).constant(randn(45, 2))
                .attr("num_groups", 2L).check();
    }

    @Test
    void meanVarianceNormalizationAndLrn() {
        new SingleNodeOracle("MeanVarianceNormalization", 13).input(randn(20, 2, 3, 4, 5)).check();
        new SingleNodeOracle("MeanVarianceNormalization", 13).input(randn(21, 2, 3, 4, 5)).ints("axes", 1L, 3L).tolerance(1e-3, 1e-4).check();
        // ORT accepts odd sizes only; even sizes are checked against tools/golden (LrnGoldenTest).
        for (long size : new long[] {1, 3, 5, 9}) {
            new SingleNodeOracle("LRN", 13).input(randn(22 + size, 2, 7, 3, 4)).attr("size", size)
                    .attr("alpha", 0.01f).attr("beta", 0.6f).attr("bias", 2f).check();
        }
    }

    @Test
    void maxUnpoolInvertsMaxPoolIndices() {
        Tensor x = randn(30, 2, 3, 8, 9);
        SingleNodeOracle pool = new SingleNodeOracle("MaxPool", 12).input(x).ints("kernel_shape", 2L, 3L)
                .ints("strides", 2L, 3L).outputs(2);
        Tensor[] yi = pool.check();
        new SingleNodeOracle("MaxUnpool", 11).input(yi[0]).input(yi[1]).ints("kernel_shape", 2L, 3L)
                .ints("strides", 2L, 3L).check();
    }
}
