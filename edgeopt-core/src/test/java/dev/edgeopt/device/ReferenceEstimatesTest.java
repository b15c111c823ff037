package dev.edgeopt.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Value;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * The README's table: int8 arena, flash and latency of the MLPerf Tiny reference models on
 * STM32F746 and Corstone-300, plus the partition and memory facts those numbers rest on.
 */
class ReferenceEstimatesTest {
    @Test
    void referenceModelsOnF746AndCorstone300() {
        DeviceCatalog c = DeviceCatalog.builtin();
        System.out.println("| model | device | arena (lower bound) | flash | latency | accelerator layers |");
        System.out.println("|---|---|---|---|---|---|");
        for (Graph g : TinyModels.all()) {
            for (String dev : new String[] {"STM32F746", "Corstone-300"}) {
                Device d = c.require(dev);
                DeviceAnalysis.Report r = DeviceAnalysis.analyze(g, g.name(), d, Value::type, Value::isConstant, TinyModels.MACS);
                System.out.printf(Locale.ROOT, "| %s | %s | %.1f KiB (%.1f KiB) | %.1f KiB | %.3f ms | %s |%n", g.name(), dev,
                        r.arenaBytes() / 1024.0, r.arenaLowerBound() / 1024.0, r.flashBytes() / 1024.0, r.latencyMs(),
                        d.accelerator() == null ? "-" : r.partition().acceleratedCount() + " of " + r.layers().size());
                assertTrue(r.fits(), g.name() + " fits " + dev);
                assertTrue(r.arenaBytes() <= 1.05 * r.arenaLowerBound(), g.name() + " arena");
                if (d.accelerator() != null) {
                    // Every op of the four int8 models is one Ethos-U55 supports: one NPU partition, no fallback.
                    assertEquals(r.layers().size(), r.partition().acceleratedCount(), g.name() + " " + r.partition().fallbacks());
                    assertEquals(1, r.partition().partitions().size());
                }
            }
        }
    }

    @Test
    void edgeTpuStopsAtTheFirstUnsupportedOpAndCountsTransfers() {
        // DS-CNN with a HardSwish after the first convolution: the Edge TPU compiler maps only the
        // first Conv; everything after runs on the CPU, and the activation crosses once each way.
        Graph g = TinyModels.dscnn();
        dev.edgeopt.ir.Node first = g.nodes().get(0);
        Value conv = first.output(0);
        dev.edgeopt.ir.Node hs = g.addNode("HardSwish", "hswish", java.util.List.of(conv), java.util.List.of("hswish"));
        hs.output(0).setType(conv.type());
        for (dev.edgeopt.ir.Node n : g.nodes()) {
            if (n != hs && n.inputs().contains(conv)) n.setInput(n.inputs().indexOf(conv), hs.output(0));
        }
        g.sortTopologically();
        Device coral = DeviceCatalog.builtin().require("CoralDevBoard");
        DeviceAnalysis.Report r = DeviceAnalysis.analyze(g, g.name(), coral, Value::type, Value::isConstant, TinyModels.MACS);
        assertEquals(1, r.partition().acceleratedCount());
        assertEquals(2, r.partition().partitions().size());
        Partitioner.Fallback f = r.partition().fallbacks().get(0);
        assertEquals("hswish", f.node());
        assertEquals("HardSwish is not supported by Edge TPU", f.reason());
        assertEquals("replace with ReLU6 or HardSigmoid", f.fix());
        assertTrue(r.partition().fallbacks().get(1).reason().startsWith("follows unsupported node 'hswish'"));
        // Input 49x10 int8 to the TPU, the 25x5x64 conv output back to the CPU.
        assertEquals(490 + 25 * 5 * 64, r.partition().transferBytes());
        assertTrue(r.transferMs() > 0);
    }

    @Test
    void ethosStrideLimitFallsBackWithAFix() {
        TinyModels.B b = new TinyModels.B("strided", 8, 64, 64);
        b.conv(8, 5, 5, 4, false).conv(8, 3, 3, 1, false);
        Graph g = b.done();
        DeviceAnalysis.Report r = DeviceAnalysis.analyze(g, "strided", DeviceCatalog.builtin().require("Corstone-300"), Value::type, Value::isConstant, TinyModels.MACS);
        assertEquals(1, r.partition().fallbacks().size());
        Partitioner.Fallback f = r.partition().fallbacks().get(0);
        assertEquals("Conv has stride 4; Ethos-U55-128 allows at most 3", f.reason());
        assertTrue(f.fix().startsWith("use stride 3 or less"));
        assertEquals(2, r.partition().partitions().size());
        // The CPU conv's output (8x16x16 int8) crosses to the NPU; the NPU output returns to the host.
        assertEquals(8 * 16 * 16 + 8 * 16 * 16, r.partition().transferBytes());
    }
}
