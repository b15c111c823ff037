package dev.edgeopt.cli;

import dev.edgeopt.onnx.OnnxImporter;
import dev.edgeopt.EdgeoptException;
import dev.edgeopt.device.Device;
import dev.edgeopt.device.DeviceAnalysis;
import dev.edgeopt.device.DeviceCatalog;
import dev.edgeopt.ir.Graph;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code edgeopt analyze}: does a model fit a device, how fast, how much energy, what runs on the NPU. */
@Command(name = "analyze", mixinStandardHelpOptions = true,
        description = {
            "Estimates a model on a device from the catalog (edgeopt devices): flash (weights + code estimate)",
            "and RAM (planned arena + runtime estimate) against the device's, latency and energy per inference",
            "(roofline per layer, one calibrated efficiency per core type), the accelerator partition with",
            "every CPU fallback, its reason and a fix, the five heaviest layers and the optimizations that",
            "would help most."})
final class AnalyzeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "ONNX model file.")
    Path model;

    @Option(names = "--device", required = true, paramLabel = "NAME", description = "Device name or alias (see edgeopt devices).")
    String device;

    @Option(names = "--device-file", paramLabel = "FILE", description = "Extra device catalog (JSON, the format of the built-in devices.json).")
    Path deviceFile;

    @Option(names = "--shape", paramLabel = "INPUT=D1,D2,...", description = "Static shape for an input (repeatable); required for dynamic dimensions.")
    List<String> shapes = List.of();

    @Option(names = "--json", description = "Print one JSON object (keys fits, flash_bytes, ram_bytes, arena_bytes, arena_lower_bound_bytes, latency_ms, energy_uj, partitions, fallbacks, heaviest_layers, optimizations, memory_profile, layers...).")
    boolean json;

    @Override public Integer call() {
        Device d = DeviceCatalog.withFile(deviceFile).require(device);
        Graph g = OnnxImporter.load(model);
        DeviceAnalysis.Report r;
        try {
            r = DeviceAnalysis.analyze(g, model.toString(), d, parseShapes(shapes));
        } catch (EdgeoptException e) {
            String m = e.getMessage();
            throw m.startsWith(model.toString()) ? e : new EdgeoptException(model + ": " + m, e);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? DeviceAnalysis.toJson(r) + System.lineSeparator() : DeviceAnalysis.toText(r));
        out.flush();
        return 0;
    }

    /** {@code NAME=D1,D2,...} arguments. */
    static Map<String, long[]> parseShapes(List<String> args) {
        Map<String, long[]> m = new LinkedHashMap<>();
        for (String a : args) {
            int eq = a.lastIndexOf('=');
            if (eq <= 0 || eq == a.length() - 1) throw new EdgeoptException("--shape " + a + ": expected INPUT=D1,D2,... (e.g. input=1,3,224,224)");
            String[] parts = a.substring(eq + 1).split(",");
            long[] dims = new long[parts.length];
            for (int i = 0; i < parts.length; i++) {
                try {
                    dims[i] = Long.parseLong(parts[i].strip());
                } catch (NumberFormatException e) {
                    throw new EdgeoptException("--shape " + a + ": '" + parts[i] + "' is not a whole number");
                }
                if (dims[i] <= 0) throw new EdgeoptException("--shape " + a + ": dimensions must be positive");
            }
            m.put(a.substring(0, eq), dims);
        }
        return m;
    }
}
