package dev.edgeopt.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.data.Dataset;
import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.quant.Calibrator;
import dev.edgeopt.quant.PostTrainingQuantizer;
import dev.edgeopt.quant.PostTrainingQuantizerTest;
import dev.edgeopt.quant.RangeMethod;
import dev.edgeopt.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Exported QDQ models run in ONNX Runtime and agree with the Java engine running the same graph. */
class QdqOrtTest {
    @Test
    void ortRunsTheExportedQdqModelsAndAgreesWithinOneStep() {
        Dataset d = PostTrainingQuantizerTest.images(60, 9);
        for (String arch : List.of("mlp", "cnn", "dscnn", "resnet8")) {
            for (boolean perChannel : new boolean[] {true, false}) {
                PostTrainingQuantizer.Result r = PostTrainingQuantizer.quantize(PostTrainingQuantizerTest.model(arch), d,
                        PostTrainingQuantizer.Options.defaults().withMethod(RangeMethod.PERCENTILE).withPerChannel(perChannel).withSamples(30));
                byte[] bytes = OnnxExporter.toBytes(r.qdq());
                Graph back = OnnxImporter.fromBytes(bytes, arch + ".qdq.onnx");
                assertEquals(r.qdq().metadata().get("edgeopt.quant.method"), back.metadata().get("edgeopt.quant.method"));
                int[] idx = new int[30];
                for (int i = 0; i < idx.length; i++) idx[i] = 30 + i;
                Tensor x = Calibrator.batch(d, idx, 0, idx.length);
                float[] java, ort;
                try (Executor ex = new Executor(back); OrtRunner rt = new OrtRunner(bytes, 1, OrtRunner.OptLevel.ALL)) {
                    java = ex.run(x)[0].toFloatArray();
                    ort = rt.run(x)[0].toFloatArray();
                }
                // The output is itself quantized: both engines give multiples of its scale.
                float step = r.activations().stream().filter(a -> a.tensor().equals(back.outputs().get(0).name())).findFirst().orElseThrow().params().scale();
                int within = 0;
                for (int i = 0; i < java.length; i++) {
                    assertTrue(Math.abs(java[i] - ort[i]) <= 2 * step + 1e-6, arch + " element " + i + ": " + java[i] + " vs " + ort[i]);
                    if (Math.abs(java[i] - ort[i]) <= step * 1.001f) within++;
                }
                assertTrue(within >= 0.99 * java.length, arch + ": " + within + " of " + java.length + " within one step");
            }
        }
    }
}
