package dev.edgeopt.onnx;

import static dev.edgeopt.onnx.SingleNodeOracle.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgeopt.ir.Graph;
import dev.edgeopt.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Resize and Upsample against ONNX Runtime on modes and versions the node tests miss. */
class ResizeOrtTest {
    static Tensor scales(float... s) { return Tensor.of(s.clone(), s.length); }

    static Tensor sizes(long... s) { return Tensor.vector(s); }

    static final Tensor EMPTY_ROI = Tensor.of(new float[0], 0);

    @Test
    void coordinateModesAndNearestModesWithSymbolicBatch() {
        String[] coords = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn"};
        String[] nearest = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
        long seed = 0;
        for (String c : coords) {
            for (float s : new float[] {0.6f, 1.7f, 2f}) {
                // align_corners with a fractional in * scale: ONNX's reference (and its node tests,
                // which pass) divides by the real-valued output length, ORT by the integer one.
                if (c.equals("align_corners") && s != 2f) continue;
                for (String nm : nearest) {
                    SingleNodeOracle o = new SingleNodeOracle("Resize", 13).input(randn(seed++, 2, 3, 7, 6))
                            .constant(EMPTY_ROI).constant(scales(1, 1, s, 1.5f)).attr("mode", "nearest")
                            .attr("coordinate_transformation_mode", c).attr("nearest_mode", nm);
                    Graph g = o.graph();
                    assertEquals("N", g.outputs().get(0).shape().dim(0).toString());
                    o.check();
                }
                if (c.equals("tf_half_pixel_for_nn")) continue;
                for (String mode : new String[] {"linear", "cubic"}) {
                    new SingleNodeOracle("Resize", 13).input(randn(seed++, 2, 3, 7, 6)).constant(EMPTY_ROI)
                            .constant(scales(1, 1, s, 0.5f)).attr("mode", mode).attr("coordinate_transformation_mode", c).check();
                }
            }
        }
    }

    @Test
    void largeEnoughToSplitAcrossThreads() {
        for (String mode : new String[] {"nearest", "linear", "cubic"}) {
            new SingleNodeOracle("Resize", 13).input(randn(400, 2, 8, 40, 37)).constant(EMPTY_ROI)
                    .constant(scales(1, 1, 2, 1.7f)).attr("mode", mode).check();
        }
    }

    /**
     * ORT 1.23 with mode nearest and tf_crop_and_resize ignores the roi of the last axis (it
     * returns that axis unresized, where the linear path honours it): a roi on H only here.
     */
    @Test
    void nearestOnInt8AndUint8() {
        Tensor roiH = Tensor.of(new float[] {0, 0, -0.2f, 0, 1, 1, 0.7f, 1}, 8);
        new SingleNodeOracle("Resize", 13).staticInput(randn(501, 1, 2, 6, 6)).constant(roiH).absent().constant(sizes(1, 2, 5, 6))
                .attr("mode", "nearest").attr("coordinate_transformation_mode", "tf_crop_and_resize")
                .attr("extrapolation_value", 9f).check();
        for (dev.edgeopt.ir.DType t : new dev.edgeopt.ir.DType[] {dev.edgeopt.ir.DType.INT8, dev.edgeopt.ir.DType.UINT8}) {
            new SingleNodeOracle("Resize", 13).input(SingleNodeOracle.bytes(500, t, 2, 3, 5, 7)).constant(EMPTY_ROI)
                    .constant(scales(1, 1, 2, 0.6f)).attr("mode", "nearest").check();
            new SingleNodeOracle("Resize", 13).staticInput(SingleNodeOracle.bytes(501, t, 1, 2, 6, 6))
                    .constant(roiH).absent().constant(sizes(1, 2, 5, 6))
                    .attr("mode", "nearest").attr("coordinate_transformation_mode", "tf_crop_and_resize")
                    .attr("extrapolation_value", 9f).check();
        }
    }

    @Test
    void sizesCubicOptionsAndCropAndResize() {
        new SingleNodeOracle("Resize", 13).input(randn(100, 1, 2, 9, 5)).constant(EMPTY_ROI).absent()
                .constant(sizes(1, 2, 4, 11)).attr("mode", "cubic").attr("cubic_coeff_a", -0.5f).attr("exclude_outside", 1L).check();
        new SingleNodeOracle("Resize", 13).input(randn(101, 1, 2, 9, 5)).constant(EMPTY_ROI).absent()
                .constant(sizes(1, 2, 13, 3)).attr("mode", "linear").check();
        new SingleNodeOracle("Resize", 13).staticInput(randn(102, 1, 2, 8, 8))
                .constant(Tensor.of(new float[] {0, 0, -0.2f, 0.1f, 1, 1, 0.7f, 1.3f}, 8)).absent().constant(sizes(1, 2, 5, 6))
                .attr("mode", "linear").attr("coordinate_transformation_mode", "tf_crop_and_resize")
                .attr("extrapolation_value", 7f).check();
    }

    @Test
    void opset18AxesAspectPolicyAndAntialias() {
        for (String policy : new String[] {"stretch", "not_larger", "not_smaller"}) {
            new SingleNodeOracle("Resize", 18).input(randn(200, 2, 3, 9, 6)).constant(EMPTY_ROI).absent()
                    .constant(sizes(4, 5)).ints("axes", 2L, 3L).attr("keep_aspect_ratio_policy", policy).attr("mode", "linear").check();
        }
        for (String mode : new String[] {"linear", "cubic"}) {
            // Negative axes crash ONNX Runtime 1.23 (native fault at session creation): positive here,
            // and the negative spelling is checked against it in Java below.
            Tensor[] want = new SingleNodeOracle("Resize", 18).input(randn(201, 1, 2, 16, 12)).constant(EMPTY_ROI)
                    .constant(scales(0.4f, 0.3f)).ints("axes", 2L, 3L).attr("mode", mode).attr("antialias", 1L).check();
            Graph g = new SingleNodeOracle("Resize", 18).input(randn(201, 1, 2, 16, 12)).constant(EMPTY_ROI)
                    .constant(scales(0.4f, 0.3f)).ints("axes", -2L, -1L).attr("mode", mode).attr("antialias", 1L).graph();
            try (var ex = new dev.edgeopt.engine.Executor(g)) {
                assertEquals(null, Conformance.compare(want[0], ex.run(randn(201, 1, 2, 16, 12))[0], 0, 0));
            }
        }
        new SingleNodeOracle("Resize", 19).input(randn(202, 1, 2, 7, 5)).constant(EMPTY_ROI)
                .constant(scales(1, 1, 0.55f, 1.9f)).attr("mode", "linear").attr("coordinate_transformation_mode", "half_pixel_symmetric").check();
    }

    @Test
    void upsampleAndResize10() {
        new SingleNodeOracle("Upsample", 9).input(randn(300, 2, 3, 4, 5)).constant(scales(1, 1, 2, 3)).attr("mode", "linear").check();
        new SingleNodeOracle("Upsample", 9).input(randn(301, 2, 3, 4, 5)).constant(scales(1, 1, 2.5f, 1.5f)).check();
        new SingleNodeOracle("Upsample", 7).input(randn(302, 2, 3, 4, 5)).attrFloats("scales", 1, 1, 2, 2).check();
        new SingleNodeOracle("Resize", 10).input(randn(303, 2, 3, 8, 9)).constant(scales(1, 1, 0.5f, 0.7f)).check();
        new SingleNodeOracle("Resize", 10).input(randn(304, 2, 3, 8, 9)).constant(scales(1, 1, 1.5f, 0.7f)).attr("mode", "linear").check();
    }
}
