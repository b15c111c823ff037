package dev.edgeopt.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgeopt.device.ComputeUnit;
import dev.edgeopt.device.Device;
import dev.edgeopt.device.DeviceCatalog;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code edgeopt devices}: the device catalog. */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = {"Lists the device catalog (built in, plus --device-file): memory, clock, peak MACs per cycle,",
            "the accelerator and the calibrated efficiency of each core type. Every figure cites its source in devices.json."})
final class DevicesCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--device-file", paramLabel = "FILE", description = "Extra device catalog (JSON, the format of the built-in devices.json).")
    Path deviceFile;

    @Option(names = "--json", description = "Print one JSON object with a 'devices' array.")
    boolean json;

    @Override public Integer call() {
        DeviceCatalog c = DeviceCatalog.withFile(deviceFile);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectNode o = Cli.json().createObjectNode();
            ArrayNode a = o.putArray("devices");
            for (Device d : c.sorted()) {
                ObjectNode n = a.addObject();
                n.put("name", d.name());
                n.put("summary", d.summary());
                n.put("kind", d.kind());
                n.put("sram_bytes", d.sramBytes());
                n.put("flash_bytes", d.flashBytes());
                n.put("dram_bytes", d.dramBytes());
                unit(n.putObject("cpu"), d.cpu());
                if (d.accelerator() != null) unit(n.putObject("accelerator"), d.accelerator());
                ArrayNode al = n.putArray("aliases");
                d.aliases().forEach(al::add);
            }
            Cli.printJson(out, o);
            return 0;
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"device", "CPU", "MHz", "SRAM", "flash", "DRAM", "accelerator", "efficiency"});
        for (Device d : c.sorted()) {
            ComputeUnit cpu = d.cpu();
            ComputeUnit acc = d.accelerator();
            rows.add(new String[] {d.name(), (cpu.count() > 1 ? cpu.count() + "x " : "") + cpu.core().name(),
                String.format(Locale.ROOT, "%.0f", cpu.clockHz() / 1e6), size(d.sramBytes()), size(d.flashBytes()), size(d.dramBytes()),
                acc == null ? "-" : acc.name() + " (" + String.join("/", acc.dtypeList()) + ")",
                String.format(Locale.ROOT, "%.3f", cpu.core().efficiency())});
        }
        Table.print(out, rows, 2, 3, 4, 5, 7);
        out.println();
        out.println("efficiency: the one calibrated constant of the CPU core type (1.000 = not calibrated, the roofline optimum)");
        out.flush();
        return 0;
    }

    private static void unit(ObjectNode n, ComputeUnit u) {
        n.put("name", u.name());
        n.put("core", u.core().name());
        n.put("count", u.count());
        n.put("clock_hz", u.clockHz());
        n.put("efficiency", u.core().efficiency());
        ObjectNode m = n.putObject("macs_per_cycle");
        u.core().macsPerCycle().forEach(m::put);
        if (!u.dtypes().isEmpty()) {
            ArrayNode a = n.putArray("dtypes");
            u.dtypeList().forEach(a::add);
        }
    }

    static String size(long b) {
        if (b == 0) return "-";
        if (b >= 1L << 30) return (b >> 30) + " GB";
        if (b >= 1L << 20) return (b >> 20) + " MB";
        return (b >> 10) + " KB";
    }
}
