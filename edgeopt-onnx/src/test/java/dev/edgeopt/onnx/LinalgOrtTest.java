package dev.edgeopt.onnx;

import static dev.edgeopt.onnx.SingleNodeOracle.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.ops.FusedOps;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Conv, ConvTranspose, Gemm and MatMul as single-node models in the Java engine (2 threads) and in
 * ONNX Runtime, including MobileNet-shaped layers; fused nodes run in Java and, unfused to standard
 * ONNX by {@link FusedOps#unfuse}, in ONNX Runtime.
 */
class LinalgOrtTest {
    static SingleNodeOracle op(String op) { return new SingleNodeOracle(op, 17).tolerance(1e-3, 1e-4); }

    @Test
    void convLayersMatchOrt() {
        // Stem, depthwise stride 1 and 2, pointwise with bias: the shapes MobileNetV2 runs.
        op("Conv").input(randn(1, 2, 3, 57, 61)).constant(randn(2, 16, 3, 3, 3)).constant(randn(3, 16))
                .ints("strides", 2, 2).ints("pads", 1, 1, 1, 1).check();
        op("Conv").input(randn(4, 1, 24, 29, 29)).constant(randn(5, 24, 1, 3, 3)).constant(randn(6, 24))
                .attr("group", 24L).ints("pads", 1, 1, 1, 1).check();
        op("Conv").input(randn(7, 2, 24, 30, 31)).constant(randn(8, 24, 1, 3, 3))
                .attr("group", 24L).ints("strides", 2, 2).ints("pads", 1, 1, 1, 1).check();
        op("Conv").input(randn(9, 1, 40, 14, 14)).constant(randn(10, 72, 40, 1, 1)).constant(randn(11, 72)).check();
        // Groups, dilation, asymmetric pads, auto_pad, 1-D and 3-D.
        op("Conv").input(randn(12, 2, 6, 17, 13)).constant(randn(13, 9, 2, 3, 2))
                .attr("group", 3L).ints("dilations", 2, 1).ints("pads", 0, 1, 2, 0).check();
        op("Conv").input(randn(14, 1, 5, 20, 11)).constant(randn(15, 7, 5, 4, 3))
                .ints("strides", 3, 2).attr("auto_pad", "SAME_LOWER").check();
        op("Conv").input(randn(16, 3, 4, 50)).constant(randn(17, 6, 4, 5)).ints("strides", 2).ints("pads", 2, 1).check();
        op("Conv").input(randn(18, 1, 3, 7, 8, 9)).constant(randn(19, 4, 3, 2, 3, 3)).ints("pads", 1, 0, 1, 0, 1, 1).check();
    }

    @Test
    void convTransposeGemmMatMulMatchOrt() {
        op("ConvTranspose").input(randn(20, 2, 6, 7, 5)).constant(randn(21, 6, 2, 3, 3)).constant(randn(22, 4))
                .attr("group", 2L).ints("strides", 2, 3).ints("pads", 1, 0, 0, 1).ints("output_padding", 1, 2).check();
        op("ConvTranspose").input(randn(23, 1, 3, 9)).constant(randn(24, 3, 5, 4)).ints("strides", 2).ints("dilations", 2).check();
        op("Gemm").input(randn(25, 33, 70)).constant(randn(26, 50, 70)).constant(randn(27, 50)).attr("transB", 1L).check();
        op("Gemm").staticInput(randn(28, 19, 8)).staticInput(randn(29, 19, 23)).constant(randn(30, 8, 1))
                .attr("transA", 1L).attr("alpha", 0.5f).attr("beta", -2f).check();
        op("MatMul").input(randn(31, 3, 4, 37, 29)).constant(randn(32, 29, 41)).check();
        op("MatMul").input(randn(33, 2, 5, 16)).staticInput(randn(34, 2, 16, 9)).check();
        op("MatMul").input(randn(35, 6, 300)).constant(randn(36, 300)).check();
    }

    /** A fused node in Java equals its unfused standard-ONNX form in ORT. */
    @Test
    void fusedNodesUnfuseToWhatOrtComputes() {
        String[][] acts = {{"Relu"}, {"Clip", "0", "6"}, {"LeakyRelu", "0.1"}, {"HardSigmoid", "0.3", "0.4"}, {"Sigmoid"}, {"Tanh"}, {"HardSwish"}};
        for (String[] act : acts) {
            for (String base : new String[] {"Conv", "Gemm", "MatMul"}) {
                Graph g = new Graph("fused");
                Tensor x;
                List<Value> ins = new ArrayList<>();
                switch (base) {
                    case "Conv" -> {
                        x = randn(40, 1, 8, 12, 12);
                        ins.add(g.addInput("x", TensorType.of(DType.FLOAT, 1, 8, 12, 12)));
                        ins.add(g.addInitializer("w", randn(41, 16, 8, 3, 3)));
                        ins.add(g.addInitializer("b", randn(42, 16)));
                    }
                    case "Gemm" -> {
                        x = randn(43, 5, 24);
                        ins.add(g.addInput("x", TensorType.of(DType.FLOAT, 5, 24)));
                        ins.add(g.addInitializer("w", randn(44, 24, 40)));
                        ins.add(g.addInitializer("b", randn(45, 40)));
                    }
                    default -> {
                        x = randn(46, 2, 5, 24);
                        ins.add(g.addInput("x", TensorType.of(DType.FLOAT, 2, 5, 24)));
                        ins.add(g.addInitializer("w", randn(47, 24, 40)));
                        ins.add(g.addInitializer("b", randn(48, 40)));
                    }
                }
                Node n = g.insertNode(0, FusedOps.fusedOp(base), FusedOps.DOMAIN, "f", ins, List.of("y"));
                if (base.equals("Conv")) n.setAttr("pads", Attribute.ofInts(1, 1, 1, 1));
                n.setAttr(FusedOps.ACTIVATION, Attribute.of(act[0]));
                if (act.length > 1) {
                    float[] p = new float[act.length - 1];
                    for (int i = 0; i < p.length; i++) p[i] = Float.parseFloat(act[i + 1]);
                    n.setAttr(FusedOps.ACTIVATION_PARAMS, Attribute.of(p));
                }
                g.addOutput(n.output(0));
                g.opsetImports().put(FusedOps.DOMAIN, 1L);
                ShapeInference.annotate(g, null);
                Tensor java;
                try (Executor ex = new Executor(g, 2)) {
                    java = ex.run(x)[0];
                }
                Graph std = g.copy();
                assertEquals(1, FusedOps.unfuse(std));
                assertTrue(std.nodes().stream().noneMatch(m -> FusedOps.DOMAIN.equals(m.domain())));
                assertEquals("y", std.outputs().get(0).name());
                ShapeInference.annotate(std, null);
                try (OrtRunner ort = new OrtRunner(std, 1, OrtRunner.OptLevel.NONE)) {
                    Tensor o = ort.run(x)[0];
                    assertNull(Conformance.compare(o, java, 1e-4, 1e-5), base + "+" + act[0]);
                }
            }
        }
    }
}
