package dev.edgeopt.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.data.Dataset;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.onnx.OnnxExporter;
import dev.edgeopt.onnx.OrtRunner;
import dev.edgeopt.quant.Calibrator;
import dev.edgeopt.quant.Int8Engine;
import dev.edgeopt.quant.PostTrainingQuantizer;
import dev.edgeopt.quant.PostTrainingQuantizerTest;
import dev.edgeopt.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * lower-qdq on quantized reference networks: the lowered graph is integer-only, the Java engine
 * running it agrees with ONNX Runtime running the QDQ model (the agreement statistics), and
 * ORT runs the exported QOperator form.
 */
class LowerQdqTest {
    private static Tensor[] ort(byte[] model, Tensor x) {
        try (OrtRunner r = new OrtRunner(model, 1, OrtRunner.OptLevel.ALL)) {
            return r.run(x);
        }
    }

    @Test
    void referenceNetworksLowerToIntegerOpsAndAgreeWithOrt() {
        Dataset d = PostTrainingQuantizerTest.images(60, 3);
        int[] idx = new int[24];
        for (int i = 0; i < idx.length; i++) idx[i] = 30 + i;
        Tensor x = Calibrator.batch(d, idx, 0, idx.length);
        for (String arch : List.of("mlp", "cnn", "dscnn", "resnet8")) {
            PostTrainingQuantizer.Result r = PostTrainingQuantizer.quantize(PostTrainingQuantizerTest.model(arch), d,
                    PostTrainingQuantizer.Options.defaults().withSamples(30));
            Graph qdq = r.qdq();
            float step = r.activations().stream().filter(a -> a.dequantized().equals(qdq.outputs().get(0).name())).findFirst().orElseThrow().params().scale();
            float[] java, ortQdq, ortQop;
            try (Int8Engine e = new Int8Engine(qdq, 1)) {
                assertEquals(List.of(), e.floatOps(), arch + ": ops left in float");
                Map<String, Integer> h = e.lowered().opHistogram();
                assertEquals(1, h.getOrDefault("QuantizeLinear", 0), arch + ": only the input is quantized: " + h);
                assertEquals(1, h.getOrDefault("DequantizeLinear", 0), arch + ": only the output is dequantized: " + h);
                java = e.run(x)[0].toFloatArray();
            }
            ortQdq = ort(OnnxExporter.toBytes(qdq), x)[0].toFloatArray();
            ortQop = ort(OnnxExporter.toBytes(Int8Engine.qoperator(qdq)), x)[0].toFloatArray();
            int classes = java.length / idx.length;
            if (System.getenv("QDEBUG") != null) {
                float[] fq;
                try (dev.edgeopt.engine.Executor ex = new dev.edgeopt.engine.Executor(qdq, 1)) { fq = ex.run(x)[0].toFloatArray(); }
                int a = 0, b = 0, c = 0;
                for (int i = 0; i < java.length; i++) {
                    if (Math.abs(java[i] - fq[i]) <= step * 1.001f) a++;
                    if (Math.abs(ortQdq[i] - fq[i]) <= step * 1.001f) b++;
                    if (Math.abs(ortQop[i] - ortQdq[i]) <= step * 1.001f) c++;
                }
                Graph low = Int8Engine.qoperator(qdq);
                for (dev.edgeopt.ir.Node n : low.nodes()) if (!low.isGraphOutput(n.output(0))) low.addOutput(n.output(0));
                Tensor[] jo, oo;
                try (dev.edgeopt.engine.Executor ex = new dev.edgeopt.engine.Executor(low, 1)) { jo = ex.run(x); }
                try (OrtRunner rr = new OrtRunner(OnnxExporter.toBytes(low), 1, OrtRunner.OptLevel.NONE)) { oo = rr.run(Map.of(low.inputs().get(0).name(), x)).values().toArray(new Tensor[0]); }
                for (int k = 0; k < jo.length; k++) {
                    int diff = 0; double md = 0;
                    for (int i = 0; i < jo[k].size(); i++) { double dd = Math.abs(jo[k].getDouble(i) - oo[k].getDouble(i)); if (dd > 0) diff++; md = Math.max(md, dd); }
                    dev.edgeopt.ir.Value v = low.outputs().get(k);
                    System.out.println("QDEBUG   " + v.name() + " " + (v.producer() == null ? "" : v.producer().opType()) + " diffs " + diff + "/" + jo[k].size() + " max " + md);
                }
                System.out.println("QDEBUG " + arch + " int-vs-fakequant " + a + " ortqdq-vs-fakequant " + b + " ortqop-vs-ortqdq " + c + " of " + java.length);
            }
            int within = 0, withinQop = 0, agree = 0;
            for (int i = 0; i < java.length; i++) {
                if (Math.abs(java[i] - ortQdq[i]) <= step * 1.001f) within++;
                if (Math.abs(java[i] - ortQop[i]) <= step * 1.001f) withinQop++;
            }
            for (int s = 0; s < idx.length; s++) if (argmax(java, s, classes) == argmax(ortQdq, s, classes)) agree++;
            assertTrue(within >= 0.99 * java.length, arch + ": " + within + " of " + java.length + " outputs within one step of ORT (QDQ)");
            assertTrue(withinQop >= 0.99 * java.length, arch + ": " + withinQop + " of " + java.length + " outputs within one step of ORT (QOperator)");
            assertEquals(idx.length, agree, arch + ": argmax differs from ORT");
        }
    }

    static int argmax(float[] z, int s, int classes) {
        int a = 0;
        for (int j = 1; j < classes; j++) if (z[s * classes + j] > z[s * classes + a]) a = j;
        return a;
    }
}
