package dev.edgeopt.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.edgeopt.ir.DType;
import dev.edgeopt.onnx.proto.OnnxProto;
import dev.edgeopt.quant.Int8Engine;
import dev.edgeopt.quant.PostTrainingQuantizer;
import dev.edgeopt.quant.PostTrainingQuantizerTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
        check("cnn", DType.INT8);
        check("dscnn", DType.INT8);
        // A value read by a Conv and by a residual Add: with int8 activations ORT's x86 int8->uint8
        // pass skips its Q (two DQ readers after ORT duplicates the DQ) and 6 of 9 Convs stay
        // float; with uint8 activations there is nothing to convert and every group fuses.
        check("resnet8", DType.UINT8);
    }

    private void check(String arch, DType activations) throws Exception {
        for (boolean perChannel : new boolean[] {true, false}) {
            PostTrainingQuantizer.Result r = PostTrainingQuantizer.quantize(PostTrainingQuantizerTest.model(arch), PostTrainingQuantizerTest.images(20, 3),
                    PostTrainingQuantizer.Options.defaults().withSamples(20).withPerChannel(perChannel).withActivationType(activations));
            String what = arch + " " + activations + " per-channel " + perChannel;
            Map<String, Integer> ops = ortOps(OnnxExporter.toBytesCompact(r.qdq()), tmp.resolve(arch + perChannel + ".opt.onnx"));
            Map<String, Integer> before = r.qdq().opHistogram();
            assertEquals(before.get("Conv"), ops.getOrDefault("QLinearConv", 0), what + ": " + ops);
            assertEquals(before.getOrDefault("Add", 0), ops.getOrDefault("QLinearAdd", 0), what + ": " + ops);
            assertEquals(0, ops.getOrDefault("Conv", 0) + ops.getOrDefault("Gemm", 0) + ops.getOrDefault("Add", 0) + ops.getOrDefault("Mul", 0), what + ": " + ops);
            try (Int8Engine e = new Int8Engine(r.qdq(), 1)) {
                assertEquals(List.of(), e.floatOps(), what);
            }
        }
    }
}
