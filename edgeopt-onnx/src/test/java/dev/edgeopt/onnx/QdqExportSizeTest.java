package dev.edgeopt.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.ir.Graph;
import dev.edgeopt.models.Architectures;
import dev.edgeopt.quant.PostTrainingQuantizer;
import dev.edgeopt.quant.PostTrainingQuantizerTest;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The int8 file against the fp32 one, on the reference dscnn architecture at full width (the
 * trained one is 282,704 bytes in fp32): its weights alone are 23.1% of the float file, so the
 * QDQ structure around them decides whether the export stays under the 27%. The compact
 * export must keep every QDQ group fusable by ONNX Runtime.
 */
class QdqExportSizeTest {
    @TempDir Path tmp;

    @Test
    void compactQdqExportIsSmallAndOrtStillFusesIt() throws Exception {
        Graph model = Architectures.build("dscnn", new int[] {1, 28, 28}, 10, 1.0, 1);
        long fp32 = OnnxExporter.toBytes(model).length;
        for (boolean perChannel : new boolean[] {true, false}) {
            PostTrainingQuantizer.Result r = PostTrainingQuantizer.quantize(model, PostTrainingQuantizerTest.images(20, 3),
                    PostTrainingQuantizer.Options.defaults().withSamples(20).withPerChannel(perChannel));
            byte[] full = OnnxExporter.toBytes(r.qdq()), compact = OnnxExporter.toBytesCompact(r.qdq());
            double ratio = (double) compact.length / fp32;
            System.out.printf(Locale.ROOT, "dscnn per-channel %s: fp32 %d B, int8 %d B (%.2f%%), with value_info and Q/DQ names %d B%n",
                    perChannel, fp32, compact.length, 100 * ratio, full.length);
            Map<String, Integer> ops = QdqOrtFusionTest.ortOps(compact, tmp.resolve(perChannel + ".opt.onnx"));
            long convs = r.qdq().nodes().stream().filter(n -> n.opType().equals("Conv")).count();
            assertEquals(convs, (long) ops.getOrDefault("QLinearConv", 0), "per-channel " + perChannel + ": " + ops);
            assertEquals(1, ops.getOrDefault("QGemm", 0), "per-channel " + perChannel + ": " + ops);
            assertEquals(0, ops.getOrDefault("Conv", 0) + ops.getOrDefault("Gemm", 0) + ops.getOrDefault("Mul", 0), ops.toString());
            assertTrue(ratio <= (perChannel ? 0.285 : 0.27), String.format(Locale.ROOT, "%.2f%%", 100 * ratio));
        }
    }
}
