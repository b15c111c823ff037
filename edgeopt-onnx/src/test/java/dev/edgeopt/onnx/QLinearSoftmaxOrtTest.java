package dev.edgeopt.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.data.Dataset;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import dev.edgeopt.onnx.QLinearOrtTest.Case;
import dev.edgeopt.quant.Calibrator;
import dev.edgeopt.quant.Int8Engine;
import dev.edgeopt.quant.PostTrainingQuantizer;
import dev.edgeopt.quant.PostTrainingQuantizerTest;
import dev.edgeopt.tensor.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * com.microsoft QLinearSoftmax in the Java integer engine against ONNX Runtime: single-node models
 * (every element within one step, at least 99% equal, as {@link QLinearOrtTest}), and a classifier
 * with a Softmax output quantized end to end (its Softmax lowered by lower-qdq), whose argmax must
 * equal ORT's on the exported QDQ model.
 */
class QLinearSoftmaxOrtTest {
    @org.junit.jupiter.api.io.TempDir Path tmp;

    static Case softmax(long seed, DType t, float xScale, int opset, Long axis, int... shape) {
        int qmin = t == DType.UINT8 ? 0 : -128;
        Case c = new Case("QLinearSoftmax", "com.microsoft").in(QLinearOrtTest.q8(seed, t, shape)).in(QLinearOrtTest.scale(xScale))
                .in(QLinearOrtTest.zp(t, t == DType.UINT8 ? 128 : 3)).in(QLinearOrtTest.scale(1f / 256)).in(QLinearOrtTest.zp(t, qmin))
                .attr("opset", (long) opset);
        if (axis != null) c.attr("axis", axis.longValue());
        return c;
    }

    @Test
    void singleNodeMatchesOrt() {
        for (DType t : new DType[] {DType.INT8, DType.UINT8}) {
            // x_scale keeps the largest probability of a row below 255.5/256: above it ORT's int8
            // kernel wraps to -128 (see intOneWrapsInOrt).
            softmax(1, t, 0.02f, 13, null, 64, 10).check();
            softmax(2, t, 0.01f, 13, -1L, 3, 5, 40).check();
            softmax(3, t, 0.015f, 13, 1L, 4, 12, 9).check(); // not the last axis: strided rows
            softmax(4, t, 0.03f, 13, 0L, 6, 50).check();
            softmax(5, t, 0.005f, 13, 2L, 2, 3, 200, 2).check();
            softmax(6, t, 0.004f, 12, 1L, 4, 6, 7).check(); // opset 12: a row is everything from axis on
            softmax(7, t, 0.006f, 11, null, 3, 4, 5).check(); // ORT's schema default axis -1 applies at every opset
            softmax(8, t, 0.02f, 13, null, 300).check(); // rank 1
        }
    }

    /**
     * Where ORT's int8 kernel is not the quantized softmax: a probability that rounds to 256/256
     * gives 256 - 128 = 128, which ORT clamps only above 255 and so casts to -128. The integer
     * engine saturates it to 127 (what DequantizeLinear -> Softmax -> QuantizeLinear gives); uint8
     * agrees.
     */
    @Test
    void intOneWrapsInOrt() {
        for (DType t : new DType[] {DType.INT8, DType.UINT8}) {
            int top = t == DType.UINT8 ? 255 : 127, bottom = t == DType.UINT8 ? 0 : -128;
            Case c = new Case("QLinearSoftmax", "com.microsoft").in(Tensor.of(t, new byte[] {(byte) top, (byte) bottom, (byte) bottom}, 1, 3))
                    .in(QLinearOrtTest.scale(0.1f)).in(QLinearOrtTest.zp(t, 0)).in(QLinearOrtTest.scale(1f / 256)).in(QLinearOrtTest.zp(t, bottom))
                    .attr("opset", 13L);
            Tensor java = c.java(1), ort = c.ort();
            assertEquals(top, java.getLong(0));
            assertEquals(bottom, java.getLong(1));
            assertEquals(t == DType.UINT8 ? 255 : -128, ort.getLong(0), "ORT's behaviour changed: revisit the kernel's class comment");
        }
    }

    @Test
    void unsupportedInputsFailAtCreation() {
        // An axis out of range, no opset, a float input, mixed int8/uint8, a y_scale that is not 1/k.
        Case axis = softmax(20, DType.INT8, 0.02f, 13, 2L, 4, 10);
        EdgeoptException e = assertThrows(EdgeoptException.class, () -> axis.java(1));
        assertTrue(e.getMessage().contains("axis 2 is out of range"), e.getMessage());
        Case noOpset = softmax(21, DType.INT8, 0.02f, 13, null, 4, 10);
        noOpset.attrs.remove("opset");
        e = assertThrows(EdgeoptException.class, () -> noOpset.java(1));
        assertTrue(e.getMessage().contains("opset"), e.getMessage());
        Case badScale = softmax(22, DType.UINT8, 0.02f, 13, null, 4, 10);
        badScale.inputs.set(3, QLinearOrtTest.scale(0.003f));
        e = assertThrows(EdgeoptException.class, () -> badScale.java(1));
        assertTrue(e.getMessage().contains("y_scale must be 1/k"), e.getMessage());
        Case mixed = softmax(23, DType.INT8, 0.02f, 13, null, 4, 10);
        mixed.inputs.set(4, QLinearOrtTest.zp(DType.UINT8, 0));
        e = assertThrows(EdgeoptException.class, () -> mixed.java(1));
        assertTrue(e.getMessage().contains("types differ") && e.getMessage().contains("node"), e.getMessage());
        Case floats = softmax(24, DType.INT8, 0.02f, 13, null, 4, 10);
        floats.inputs.set(0, Tensor.of(new float[40], 4, 10));
        e = assertThrows(EdgeoptException.class, () -> floats.java(1));
        assertTrue(e.getMessage().contains("int8 or uint8"), e.getMessage());
    }

    /** mlp (random weights, the last Gemm scaled so predictions are confident) with a Softmax output. */
    static Graph classifier(float logitScale) {
        Graph g = PostTrainingQuantizerTest.model("mlp");
        Value logits = g.outputs().get(0);
        Node last = logits.producer();
        for (int i = 1; i < last.inputCount(); i++) {
            Value w = last.input(i);
            if (w != null && w.isConstant()) {
                float[] a = w.constant().toFloatArray();
                for (int j = 0; j < a.length; j++) a[j] *= logitScale;
                g.setConstant(w, Tensor.of(a, w.constant().dims()));
            }
        }
        Node sm = g.addNode("Softmax", "softmax", List.of(logits), List.of("probs"));
        sm.setAttr("axis", dev.edgeopt.ir.Attribute.of(-1L));
        g.setOutput(0, sm.output(0));
        dev.edgeopt.ops.ShapeInference.annotate(g, null);
        return g;
    }

    static final float LOGIT_SCALE = Float.parseFloat(System.getProperty("ls", "40"));

    @Test
    void classifierWithSoftmaxOutputAgreesWithOrt() throws Exception {
        Dataset d = PostTrainingQuantizerTest.images(300, 9);
        for (DType act : new DType[] {DType.INT8, DType.UINT8}) {
            PostTrainingQuantizer.Result r = PostTrainingQuantizer.quantize(classifier(LOGIT_SCALE), d,
                    PostTrainingQuantizer.Options.defaults().withSamples(100).withActivationType(act));
            assertTrue(r.warnings().stream().noneMatch(w -> w.contains("Softmax")), r.warnings().toString());
            var out = r.activations().stream().filter(a -> a.opType().equals("Softmax")).findFirst().orElseThrow().params();
            assertEquals(1f / 256, out.scale());
            assertEquals(act == DType.UINT8 ? 0 : -128, out.zeroPoint());
            byte[] bytes = OnnxExporter.toBytes(r.qdq());
            Graph back = OnnxImporter.fromBytes(bytes, "mlp_softmax.qdq.onnx");
            int[] idx = new int[200];
            for (int i = 0; i < idx.length; i++) idx[i] = 100 + i;
            Tensor x = Calibrator.batch(d, idx, 0, idx.length);
            float[] java, ort;
            try (Int8Engine ex = new Int8Engine(back, 1); OrtRunner rt = new OrtRunner(bytes, 1, OrtRunner.OptLevel.ALL)) {
                Map<String, Integer> ops = ex.lowered().opHistogram();
                assertEquals(1, ops.getOrDefault("QLinearSoftmax", 0), ops.toString());
                assertTrue(ex.floatOps().isEmpty(), ex.floatOps().toString());
                java = ex.run(x)[0].toFloatArray();
                ort = rt.run(x)[0].toFloatArray();
            }
            Map<String, Integer> ortOps = QdqOrtFusionTest.ortOps(bytes, tmp.resolve("opt_" + act + ".onnx"));
            // The QOperator file: uint8 keeps QLinearSoftmax; int8 is written back as DQ -> Softmax -> Q,
            // since ORT's int8 kernel would turn every probability of 1 into -128.
            Graph qop = Int8Engine.qoperator(r.qdq());
            assertEquals(act == DType.UINT8 ? 1 : 0, qop.opHistogram().getOrDefault("QLinearSoftmax", 0), qop.opHistogram().toString());
            float[] ortQop;
            try (OrtRunner rt = new OrtRunner(OnnxExporter.toBytes(qop), 1, OrtRunner.OptLevel.ALL)) {
                ortQop = rt.run(x)[0].toFloatArray();
            }
            int classes = 10, same = 0, within = 0, confident = 0, one = 0, sameQop = 0;
            for (float v : java) if (v >= 255f / 256) one++;
            // ORT fuses the group too (its x86 pass runs int8 QDQ as uint8, so its int8 wrap does not arise here).
            assertEquals(1, ortOps.getOrDefault("QLinearSoftmax", 0), ortOps.toString());
            for (int s = 0; s < idx.length; s++) {
                int aj = argmax(java, s * classes, classes), ao = argmax(ort, s * classes, classes);
                if (aj == ao) same++;
                if (aj == argmax(ortQop, s * classes, classes)) sameQop++;
                if (java[s * classes + aj] > 0.9f) confident++;
            }
            for (int i = 0; i < java.length; i++) if (Math.abs(java[i] - ort[i]) <= 1f / 256 + 1e-6f) within++;
            assertTrue(confident > 20, "only " + confident + " confident predictions; the test's logit scale is off");
            assertEquals(idx.length, same, act + ": argmax agrees on " + same + " of " + idx.length);
            assertEquals(idx.length, sameQop, act + ": argmax agrees with ORT on the QOperator file on " + sameQop + " of " + idx.length);
            assertTrue(within >= 0.99 * java.length, act + ": " + within + " of " + java.length + " within one step");
            System.out.printf("softmax classifier %s: argmax equal %d/%d, within one step %d/%d, confident %d, at 255/256 %d, ORT runs %s%n", act, same,
                    idx.length, within, java.length, confident, one, ortOps);
        }
    }

    static int argmax(float[] a, int off, int n) {
        int b = 0;
        for (int i = 1; i < n; i++) if (a[off + i] > a[off + b]) b = i;
        return b;
    }
}
