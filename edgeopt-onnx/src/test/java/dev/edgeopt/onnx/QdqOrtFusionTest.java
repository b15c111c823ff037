package dev.edgeopt.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.edgeopt.onnx.proto.OnnxProto;
import dev.edgeopt.quant.PostTrainingQuantizer;
import dev.edgeopt.quant.PostTrainingQuantizerTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ORT's int8 speed depends on it recognizing the exported QDQ groups: every Conv must become a
 * QLinearConv (and the Gemm a QGemm) in the graph ORT actually runs, whatever the weight
 * DequantizeLinear omits (the Conv weights carry no zero point).
 */
class QdqOrtFusionTest {
    @TempDir Path tmp;

    static Map<String, Integer> ortOps(byte[] model, Path optimized) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            so.setOptimizedModelFilePath(optimized.toString());
            try (OrtSession s = env.createSession(model, so)) {
                s.getInputNames();
            }
        }
        Map<String, Integer> ops = new TreeMap<>();
        for (OnnxProto.NodeProto n : OnnxProto.ModelProto.parseFrom(Files.readAllBytes(optimized)).getGraph().getNodeList()) ops.merge(n.getOpType(), 1, Integer::sum);
        return ops;
    }

    @Test
    void ortFusesEveryQuantizedConvAndGemm() throws Exception {
        for (String arch : new String[] {"cnn", "dscnn"}) {
            for (boolean perChannel : new boolean[] {true, false}) {
                PostTrainingQuantizer.Result r = PostTrainingQuantizer.quantize(PostTrainingQuantizerTest.model(arch), PostTrainingQuantizerTest.images(20, 3),
                        PostTrainingQuantizer.Options.defaults().withSamples(20).withPerChannel(perChannel));
                Map<String, Integer> ops = ortOps(OnnxExporter.toBytesCompact(r.qdq()), tmp.resolve(arch + perChannel + ".opt.onnx"));
                long convs = r.qdq().nodes().stream().filter(n -> n.opType().equals("Conv")).count();
                assertEquals(convs, (long) ops.getOrDefault("QLinearConv", 0), arch + " per-channel " + perChannel + ": " + ops);
                assertEquals(0, ops.getOrDefault("Conv", 0), arch + ": " + ops);
                assertEquals(0, ops.getOrDefault("Gemm", 0), arch + ": " + ops);
            }
        }
    }
}
