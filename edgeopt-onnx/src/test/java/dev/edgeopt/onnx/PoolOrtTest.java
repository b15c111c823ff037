package dev.edgeopt.onnx;

import static dev.edgeopt.onnx.SingleNodeOracle.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Pools and BatchNormalization against ONNX Runtime on attribute combinations the node tests miss. */
class PoolOrtTest {
    @Test
    void maxPoolCeilModeWithPadsAndSymbolicBatch() {
        for (int ceil = 0; ceil <= 1; ceil++) {
            for (int outs = 1; outs <= 2; outs++) {
                SingleNodeOracle o = new SingleNodeOracle("MaxPool", 12).input(randn(1, 2, 3, 10, 9))
                        .ints("kernel_shape", 3L, 3L).ints("strides", 2L, 2L).ints("pads", 1L, 0L, 1L, 2L)
                        .attr("ceil_mode", (long) ceil).outputs(outs);
                Graph g = o.graph();
                assertEquals("[N,3," + (ceil == 1 ? "6,5" : "5,5") + "]", g.outputs().get(0).shape().toString());
                o.check();
            }
        }
    }

    @Test
    void maxPoolDilationsStorageOrderAndRanks() {
        new SingleNodeOracle("MaxPool", 12).input(randn(2, 1, 2, 11, 12)).ints("kernel_shape", 2L, 3L)
                .ints("dilations", 2L, 2L).ints("strides", 1L, 2L).attr("ceil_mode", 1L).outputs(2).check();
        new SingleNodeOracle("MaxPool", 12).input(randn(3, 2, 3, 7, 6)).ints("kernel_shape", 3L, 2L)
                .attr("storage_order", 1L).ints("pads", 1L, 1L, 1L, 1L).outputs(2).check();
        new SingleNodeOracle("MaxPool", 12).input(randn(4, 2, 3, 17)).ints("kernel_shape", 4L)
                .ints("strides", 3L).attr("auto_pad", "SAME_LOWER").outputs(2).check();
        new SingleNodeOracle("MaxPool", 12).input(randn(5, 1, 2, 5, 6, 7)).ints("kernel_shape", 2L, 3L, 2L)
                .ints("strides", 2L, 1L, 2L).ints("pads", 0L, 1L, 1L, 1L, 1L, 0L).outputs(2).check();
        new SingleNodeOracle("MaxPool", 8).input(randn(6, 2, 2, 8, 8)).ints("kernel_shape", 2L, 2L)
                .ints("strides", 2L, 2L).check();
    }

    @Test
    void maxPoolInt8AndUint8() {
        for (DType dt : new DType[] {DType.INT8, DType.UINT8}) {
            new SingleNodeOracle("MaxPool", 12).input(SingleNodeOracle.bytes(7, dt, 2, 3, 9, 9))
                    .ints("kernel_shape", 3L, 3L).ints("strides", 2L, 2L).ints("pads", 1L, 1L, 1L, 1L).check();
        }
    }

    @Test
    void averagePoolCeilPadsCountIncludePad() {
        for (int ceil = 0; ceil <= 1; ceil++) {
            for (int inc = 0; inc <= 1; inc++) {
                new SingleNodeOracle("AveragePool", 11).input(randn(10 + ceil, 2, 3, 10, 11))
                        .ints("kernel_shape", 3L, 3L).ints("strides", 2L, 2L).ints("pads", 1L, 1L, 1L, 1L)
                        .attr("ceil_mode", (long) ceil).attr("count_include_pad", (long) inc).check();
            }
        }
        new SingleNodeOracle("AveragePool", 11).input(randn(12, 1, 4, 9, 8)).ints("kernel_shape", 2L, 3L)
                .ints("strides", 2L, 3L).attr("auto_pad", "SAME_LOWER").attr("count_include_pad", 1L).check();
        new SingleNodeOracle("AveragePool", 11).input(randn(13, 2, 2, 6, 6, 6)).ints("kernel_shape", 3L, 3L, 3L)
                .ints("strides", 2L, 2L, 2L).ints("pads", 1L, 1L, 1L, 1L, 1L, 1L).check();
    }

    @Test
    void unitStrideVectorPathsAndBorders() {
        for (String op : new String[] {"MaxPool", "AveragePool"}) {
            new SingleNodeOracle(op, 11).input(randn(70, 2, 3, 9, 41)).ints("kernel_shape", 3L, 3L)
                    .ints("pads", 1L, 1L, 1L, 1L).attr(op.equals("AveragePool") ? "count_include_pad" : "ceil_mode", 1L).check();
            new SingleNodeOracle(op, 11).input(randn(71, 1, 2, 6, 50)).ints("kernel_shape", 2L, 5L)
                    .ints("pads", 0L, 2L, 1L, 2L).check();
            new SingleNodeOracle(op, 11).input(randn(72, 2, 2, 37)).ints("kernel_shape", 3L).ints("pads", 2L, 0L).check();
        }
        new SingleNodeOracle("MaxPool", 12).input(randn(73, 1, 2, 12, 45)).ints("kernel_shape", 3L, 3L)
                .ints("dilations", 2L, 3L).ints("pads", 2L, 2L, 2L, 2L).check();
    }

    @Test
    void maxRoiPool() {
        Tensor rois = Tensor.of(new float[] {
            0, 0, 0, 7, 9,
            1, 2.5f, 1.5f, 5.5f, 6.4f,
            0, -3, -2, 3, 4,
            1, 10, 12, 30, 30,
            0, 4, 4, 4, 4}, 5, 5);
        for (float scale : new float[] {1f, 0.5f}) {
            new SingleNodeOracle("MaxRoiPool", 13).staticInput(randn(80, 2, 3, 10, 12)).input(rois)
                    .ints("pooled_shape", 3L, 2L).attr("spatial_scale", scale).check();
        }
    }

    @Test
    void averagePoolDilationsAtOpset19() {
        new SingleNodeOracle("AveragePool", 19).input(randn(14, 2, 3, 12, 11)).ints("kernel_shape", 3L, 2L)
                .ints("dilations", 2L, 3L).ints("strides", 1L, 2L).ints("pads", 1L, 1L, 2L, 0L).check();
    }

    @Test
    void lpPoolAndGlobalPools() {
        for (long p = 1; p <= 3; p++) {
            new SingleNodeOracle("LpPool", 11).input(randn(20 + p, 2, 3, 8, 9)).ints("kernel_shape", 3L, 2L)
                    .ints("strides", 2L, 2L).ints("pads", 1L, 0L, 1L, 1L).attr("p", p).check();
            new SingleNodeOracle("GlobalLpPool", 2 == p ? 13 : 11).input(randn(30 + p, 2, 3, 5, 7)).attr("p", p).check();
        }
        new SingleNodeOracle("LpPool", 18).input(randn(24, 2, 3, 9, 9)).ints("kernel_shape", 3L, 3L)
                .ints("strides", 2L, 2L).attr("ceil_mode", 1L).check();
        new SingleNodeOracle("GlobalAveragePool", 13).input(randn(40, 3, 5, 7, 9)).check();
        new SingleNodeOracle("GlobalAveragePool", 13).input(randn(41, 2, 300, 14, 14)).check();
        new SingleNodeOracle("GlobalMaxPool", 13).input(randn(42, 3, 5, 7, 9)).check();
        new SingleNodeOracle("GlobalMaxPool", 13).input(randn(43, 2, 4, 37)).check();
    }

    @Test
    void batchNormInferenceWithConstantAndRuntimeStatistics() {
        int c = 5;
        for (int opset : new int[] {9, 15}) {
            new SingleNodeOracle("BatchNormalization", opset).input(randn(50, 2, c, 7, 6))
                    .constant(randn(51, c)).constant(randn(52, c)).constant(randn(53, c))
                    .constant(SingleNodeOracle.uniform(54, 0.5f, 2f, c)).attr("epsilon", 1e-3f).check();
            new SingleNodeOracle("BatchNormalization", opset).input(randn(55, 3, c, 40))
                    .staticInput(randn(56, c)).staticInput(randn(57, c)).staticInput(randn(58, c))
                    .staticInput(SingleNodeOracle.uniform(59, 0.5f, 2f, c)).check();
        }
        // Opset 7: spatial=0 gives every element of X.shape[1:] its own parameters.
        new SingleNodeOracle("BatchNormalization", 7).input(randn(70, 2, 3, 4, 5))
                .constant(randn(71, 3, 4, 5)).constant(randn(72, 3, 4, 5)).constant(randn(73, 3, 4, 5))
                .constant(SingleNodeOracle.uniform(74, 0.5f, 2f, 3, 4, 5)).attr("spatial", 0L).check();
        new SingleNodeOracle("BatchNormalization", 7).input(randn(75, 2, 3, 4, 5))
                .constant(randn(76, 3)).constant(randn(77, 3)).constant(randn(78, 3))
                .constant(SingleNodeOracle.uniform(79, 0.5f, 2f, 3)).check();
        // Large enough to split planes across threads.
        new SingleNodeOracle("BatchNormalization", 15).input(randn(65, 2, 16, 33, 32))
                .constant(randn(66, 16)).constant(randn(67, 16)).constant(randn(68, 16))
                .constant(SingleNodeOracle.uniform(69, 0.5f, 2f, 16)).check();
        new SingleNodeOracle("BatchNormalization", 15).input(randn(60, 4, c))
                .constant(randn(61, c)).constant(randn(62, c)).constant(randn(63, c))
                .constant(SingleNodeOracle.uniform(64, 0.5f, 2f, c)).check();
    }
}
