package dev.edgeopt.onnx;

import static dev.edgeopt.onnx.SingleNodeOracle.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgeopt.ir.DType;
import dev.edgeopt.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Quantize ops against ONNX Runtime: rounding ties, saturation, per-axis and blocked parameters. */
class QuantOrtTest {
    /** Values on and around the .5 rounding ties of scale 0.5, plus out-of-range ones. */
    static Tensor ties(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (i - n / 2) * 0.25f;
        a[0] = -1000f;
        a[n - 1] = 1000f;
        return Tensor.of(a, n);
    }

    static Tensor zp(DType t, long... v) {
        Tensor z = Tensor.allocate(t, v.length);
        for (int i = 0; i < v.length; i++) z.setLong(i, v[i]);
        return z;
    }

    static Tensor zpScalar(DType t, long v) {
        Tensor z = Tensor.allocate(t);
        z.setLong(0, v);
        return z;
    }

    @Test
    void perTensorRoundsHalfToEvenAndSaturates() {
        for (DType t : new DType[] {DType.INT8, DType.UINT8}) {
            Tensor[] q = new SingleNodeOracle("QuantizeLinear", 13).staticInput(ties(301))
                    .constant(Tensor.of(new float[] {0.5f})).constant(zpScalar(t, t == DType.INT8 ? -3 : 128)).check();
            assertEquals(t, q[0].dtype());
            new SingleNodeOracle("DequantizeLinear", 13).staticInput(q[0])
                    .constant(Tensor.of(new float[] {0.5f})).constant(zpScalar(t, t == DType.INT8 ? -3 : 128)).check();
        }
        // No zero point: uint8 with zero point 0.
        new SingleNodeOracle("QuantizeLinear", 10).input(randn(1, 3, 5)).constant(Tensor.of(new float[] {0.02f})).check();
    }

    @Test
    void perAxisWithSymbolicBatch() {
        Tensor scale = SingleNodeOracle.uniform(2, 0.01f, 0.1f, 4);
        for (long axis : new long[] {1, -1}) {
            int[] shape = axis == 1 ? new int[] {2, 4, 3, 3} : new int[] {2, 3, 4};
            new SingleNodeOracle("QuantizeLinear", 13).input(randn(3 + axis, shape)).constant(scale)
                    .constant(zp(DType.INT8, -5, 0, 3, 100)).attr("axis", axis).check();
            Tensor q = SingleNodeOracle.bytes(5 + axis, DType.UINT8, shape);
            new SingleNodeOracle("DequantizeLinear", 13).input(q).constant(scale)
                    .constant(zp(DType.UINT8, 0, 17, 128, 255)).attr("axis", axis).check();
        }
        Random r = new Random(6);
        int[] v = new int[24];
        for (int i = 0; i < v.length; i++) v[i] = r.nextInt();
        new SingleNodeOracle("DequantizeLinear", 13).input(Tensor.ofInts(v, 2, 12)).constant(SingleNodeOracle.uniform(7, 1e-6f, 1e-4f, 12)).check();
    }

    @Test
    void blockedAnd16BitAtOpset21() {
        Tensor x = randn(10, 2, 7, 3);
        Tensor scale = SingleNodeOracle.uniform(11, 0.01f, 0.1f, 2, 3, 3);
        Tensor[] q = new SingleNodeOracle("QuantizeLinear", 21).input(x).constant(scale)
                .constant(SingleNodeOracle.bytes(12, DType.INT8, 2, 3, 3)).attr("axis", 1L).attr("block_size", 3L).check();
        new SingleNodeOracle("DequantizeLinear", 21).input(q[0]).constant(scale)
                .constant(SingleNodeOracle.bytes(12, DType.INT8, 2, 3, 3)).attr("axis", 1L).attr("block_size", 3L).check();
        for (DType t : new DType[] {DType.INT16, DType.UINT16}) {
            Tensor[] q16 = new SingleNodeOracle("QuantizeLinear", 21).input(x).constant(Tensor.of(new float[] {1e-4f}))
                    .constant(zpScalar(t, t == DType.INT16 ? -7 : 30000)).check();
            if (t == DType.UINT16) continue; // ORT's Java API cannot feed uint16 tensors
            new SingleNodeOracle("DequantizeLinear", 21).input(q16[0]).constant(Tensor.of(new float[] {1e-4f}))
                    .constant(zpScalar(t, t == DType.INT16 ? -7 : 30000)).check();
        }
    }

    @Test
    void dynamicQuantizeLinear() {
        new SingleNodeOracle("DynamicQuantizeLinear", 11).input(randn(20, 3, 50)).outputs(3).check();
        new SingleNodeOracle("DynamicQuantizeLinear", 11).input(SingleNodeOracle.uniform(21, 1f, 3f, 4, 7)).outputs(3).check();
        new SingleNodeOracle("DynamicQuantizeLinear", 11).input(SingleNodeOracle.uniform(22, -3f, -1f, 4, 7)).outputs(3).check();
        new SingleNodeOracle("DynamicQuantizeLinear", 11).input(Tensor.of(new float[12], 3, 4)).outputs(3).check();
    }
}
