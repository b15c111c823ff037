package dev.edgeopt.cli;

import dev.edgeopt.ir.Graph;
import dev.edgeopt.onnx.OnnxImporter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code edgeopt inspect}: what a model is made of and what it costs. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description =
            "Lists every node of an ONNX model with its input and output shapes, the parameters it reads, "
            + "its multiply-accumulates (Conv, ConvTranspose, Gemm, MatMul) and its output bytes; then totals: "
            + "MACs, weight elements and bytes (every non-scalar initializer, BatchNormalization statistics "
            + "included; rank-0 constants are counted apart), the largest activation and an op histogram.")
final class InspectCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "ONNX model file.")
    Path model;

    @Option(names = "--batch", paramLabel = "B", description = "Set the batch dimension (dim 0 of every input) to B first, so symbolic shapes become static and MACs countable.")
    Integer batch;

    @Option(names = "--device", paramLabel = "NAME", description = "Also estimate the model on this device (as edgeopt analyze does; with --json, under the key 'device').")
    String device;

    @Option(names = "--device-file", paramLabel = "FILE", description = "Extra device catalog for --device.")
    Path deviceFile;

    @Option(names = "--json", description = "Print one JSON object (keys macs, weight_elements, weight_bytes, scalar_constants, largest_activation, op_histogram, nodes).")
    boolean json;

    @Override public Integer call() {
        Graph g = OnnxImporter.load(model);
        if (batch != null) g = Cli.withBatch(g, batch);
        ModelStats s = ModelStats.of(g);
        PrintWriter out = spec.commandLine().getOut();
        dev.edgeopt.device.DeviceAnalysis.Report r = null;
        if (device != null) {
            dev.edgeopt.device.Device d = dev.edgeopt.device.DeviceCatalog.withFile(deviceFile).require(device);
            try {
                r = dev.edgeopt.device.DeviceAnalysis.analyze(g, model.toString(), d, Map.of());
            } catch (dev.edgeopt.EdgeoptException e) {
                String m = e.getMessage();
                throw m.startsWith(model.toString()) ? e : new dev.edgeopt.EdgeoptException(model + ": " + m, e);
            }
        }
        if (json) {
            if (r == null) {
                Cli.printJson(out, s);
            } else {
                com.fasterxml.jackson.databind.node.ObjectNode o = Cli.json().valueToTree(s);
                try {
                    o.set("device", Cli.json().readTree(dev.edgeopt.device.DeviceAnalysis.toJson(r)));
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IllegalStateException(e);
                }
                Cli.printJson(out, o);
            }
        } else {
            print(out, model.toString(), s);
            if (r != null) {
                out.println();
                out.print(dev.edgeopt.device.DeviceAnalysis.toText(r));
                out.flush();
            }
        }
        return 0;
    }

    static void print(PrintWriter out, String title, ModelStats s) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"#", "node", "op", "inputs", "outputs", "params", "MACs", "out bytes"});
        int i = 0;
        for (ModelStats.NodeStats n : s.nodes()) {
            rows.add(new String[] {
                Integer.toString(i++), n.name(), n.op(), String.join(" ", n.inputs()), String.join(" ", n.outputs()),
                n.params() == 0 ? "" : Cli.grouped(n.params()),
                n.macs() == null ? "?" : n.macs() == 0 ? "" : Cli.grouped(n.macs()),
                n.outputBytes() == null ? "?" : Cli.grouped(n.outputBytes())});
        }
        Table.print(out, rows, 5, 6, 7);
        out.println();
        out.println(title);
        out.printf("  nodes               %d%n", s.nodes().size());
        out.printf("  MACs                %s%n", s.macs() == null ? "unknown (shapes are not static)" : Cli.grouped(s.macs()));
        out.printf("  weight elements     %s%n", Cli.grouped(s.weightElements()));
        out.printf("  weight bytes        %s (%s)%n", Cli.grouped(s.weightBytes()), Cli.bytes(s.weightBytes()));
        out.printf("  scalar constants    %d%n", s.scalarConstants());
        if (s.largestActivation() != null) {
            out.printf("  largest activation  %s %s, %s%n", s.largestActivation().name(), s.largestActivation().shape(), Cli.bytes(s.largestActivation().bytes()));
        }
        StringBuilder h = new StringBuilder();
        for (Map.Entry<String, Integer> e : s.opHistogram().entrySet()) h.append(h.isEmpty() ? "" : ", ").append(e.getKey()).append(' ').append(e.getValue());
        out.printf("  ops                 %s%n", h);
        out.flush();
    }
}
