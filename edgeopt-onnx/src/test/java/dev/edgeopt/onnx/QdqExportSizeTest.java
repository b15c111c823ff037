package dev.edgeopt.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Value;
import dev.edgeopt.models.Architectures;
import dev.edgeopt.quant.Calibrator;
import dev.edgeopt.quant.Int8Engine;
import dev.edgeopt.quant.PostTrainingQuantizer;
import dev.edgeopt.quant.PostTrainingQuantizerTest;
import dev.edgeopt.tensor.Tensor;
import java.nio.file.Path;
import java.util.List;
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
            // 28.0% and 26.5% now; before the compact form, 31.3% and 28.4% on the trained dscnn.
            assertTrue(ratio <= (perChannel ? 0.282 : 0.267), String.format(Locale.ROOT, "%.2f%%", 100 * ratio));
            // What was left out is recomputed on import: the file runs bit for bit as the graph it came from.
            Graph back = OnnxImporter.fromBytes(compact, "compact");
            Tensor x = Calibrator.batch(PostTrainingQuantizerTest.images(8, 4), new int[] {0, 1, 2, 3, 4, 5, 6, 7}, 0, 8);
            try (Int8Engine a = new Int8Engine(r.qdq(), 1); Int8Engine b = new Int8Engine(back, 1)) {
                assertArrayEquals(a.run(x)[0].toFloatArray(), b.run(x)[0].toFloatArray());
                assertEquals(List.of(), b.floatOps());
            }
            // The bias scale written as Mul(s_in, s_w) means what the stored product meant: ORT gives
            // the same bits on both files, as written (NONE: the Mul runs) and fused (ALL).
            Graph stored = r.qdq().copy();
            int muls = 0;
            for (Node n : List.copyOf(stored.nodes())) {
                if (!n.opType().equals("Mul") || !n.input(0).isConstant() || !n.input(1).isConstant()) continue;
                float[] ws = n.input(1).constant().toFloatArray();
                for (int c = 0; c < ws.length; c++) ws[c] = n.input(0).constant().getFloat(0) * ws[c];
                Value c = stored.addInitializer(stored.uniqueName(n.output(0).name() + "_stored"), Tensor.of(ws, ws.length));
                stored.replaceAllUses(n.output(0), c);
                stored.removeNode(n);
                muls++;
            }
            // One per Conv/Gemm with per-channel weights; per tensor the one scale is stored.
            assertEquals(perChannel ? convs + 1 : 0, muls);
            for (OrtRunner.OptLevel level : new OrtRunner.OptLevel[] {OrtRunner.OptLevel.NONE, OrtRunner.OptLevel.ALL}) {
                try (OrtRunner a = new OrtRunner(compact, 1, level); OrtRunner b = new OrtRunner(OnnxExporter.toBytes(stored), 1, level)) {
                    assertArrayEquals(b.run(x)[0].toFloatArray(), a.run(x)[0].toFloatArray(), level.toString());
                }
            }
        }
    }
}
