package dev.edgeopt.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * The cost model against published MLPerf Tiny latencies. Each core type has one calibrated
 * constant (its efficiency): this test refits it from the published results and checks that the
 * catalog holds the fitted value, then that every benchmark lands within 35% of its published
 * latency. With one constant for four models the test measures whether the model's relative costs
 * (MACs, layer counts, memory traffic) are right; a leave-one-out fit, printed, shows how well a
 * benchmark is predicted when it took no part in the calibration.
 */
class CalibrationTest {
    static final DeviceCatalog CATALOG = DeviceCatalog.builtin();

    static Device withEfficiency(Device d, double eff) {
        ComputeUnit u = d.cpu();
        CoreType c = u.core();
        CoreType c2 = new CoreType(c.name(), c.macsPerCycle(), eff, c.opOverheadCycles());
        ComputeUnit u2 = new ComputeUnit(u.name(), c2, u.count(), u.clockHz(), u.memBytesPerSecond(), u.weightBytesPerSecond(),
                u.transferBytesPerSecond(), u.powerMw(), u.energyPerMacPj(), u.ops(), u.dtypes(), u.limits(), u.prefixOnly(), u.fixes());
        return new Device(d.name(), d.aliases(), d.summary(), d.kind(), d.sramBytes(), d.arenaRegionBytes(), d.flashBytes(), d.dramBytes(),
                d.powerMw(), u2, d.accelerator(), d.source());
    }

    static double estimateMs(Graph g, Device d) {
        return DeviceAnalysis.analyze(g, g.name(), d, Value::type, Value::isConstant, TinyModels.MACS).latencyMs();
    }

    /** Least squares in log space over efficiency (golden section on log eff in [1e-3, 1]). */
    static double fit(Device d, List<TinyModels.Published> pubs) {
        double lo = Math.log(1e-3), hi = 0;
        double gr = (Math.sqrt(5) - 1) / 2;
        for (int it = 0; it < 80; it++) {
            double a = hi - gr * (hi - lo), b = lo + gr * (hi - lo);
            if (loss(d, pubs, Math.exp(a)) < loss(d, pubs, Math.exp(b))) hi = b;
            else lo = a;
        }
        return Math.exp((lo + hi) / 2);
    }

    static double loss(Device d, List<TinyModels.Published> pubs, double eff) {
        Device x = withEfficiency(d, eff);
        double s = 0;
        for (TinyModels.Published p : pubs) {
            double e = Math.log(estimateMs(p.model(), x) / p.ms());
            s += e * e;
        }
        return s;
    }

    void check(String core, String device, List<TinyModels.Published> pubs) {
        Device d = CATALOG.require(device);
        assertEquals(core, d.cpu().core().name());
        double fitted = fit(d, pubs);
        double catalog = d.cpu().core().efficiency();
        System.out.printf(Locale.ROOT, "%s on %s: fitted efficiency %.4f (catalog %.4f)%n", core, device, fitted, catalog);
        assertEquals(fitted, catalog, 0.002 * fitted, "devices.json efficiency for " + core + " must be the fitted value");
        List<String> bad = new ArrayList<>();
        for (TinyModels.Published p : pubs) {
            double est = estimateMs(p.model(), d);
            List<TinyModels.Published> others = new ArrayList<>(pubs);
            others.remove(p);
            double loo = estimateMs(p.model(), withEfficiency(d, fit(d, others)));
            double err = est / p.ms() - 1, looErr = loo / p.ms() - 1;
            System.out.printf(Locale.ROOT, "  %-4s published %7.2f ms  estimate %7.2f ms  %+6.1f%%   leave-one-out %7.2f ms %+6.1f%%%n",
                    p.benchmark(), p.ms(), est, 100 * err, loo, 100 * looErr);
            if (Math.abs(err) > 0.35) bad.add(p.benchmark() + " " + Math.round(100 * err) + "%");
        }
        assertTrue(bad.isEmpty(), core + ": estimates off by more than 35%: " + bad);
    }

    @Test
    void cortexM4MatchesMlperfTinyV13() { check("cortex-m4", "STM32L4R5", TinyModels.cortexM4()); }

    @Test
    void cortexM7MatchesMlperfTinyV11() { check("cortex-m7", "STM32F746", TinyModels.cortexM7()); }

    @Test
    void referenceModelsHaveTheirPublishedMacCounts() {
        long[] macs = new long[4];
        List<Graph> all = TinyModels.all();
        for (int i = 0; i < 4; i++) macs[i] = DeviceAnalysis.analyze(all.get(i), "m", CATALOG.require("STM32F746"), Value::type, Value::isConstant, TinyModels.MACS).totalMacs();
        // ResNet-8 12.5 M (issue 6); DS-CNN 2.66 M, MobileNetV1-0.25 7.49 M, FC-AE 0.264 M (MLPerf Tiny paper, table 1, rounded there).
        assertEquals(12_501_632, macs[0]);
        assertEquals(2_656_768, macs[1]);
        assertEquals(7_489_664, macs[2]);
        assertEquals(264_192, macs[3]);
    }
}
