package dev.edgeopt.device;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Assigns each layer to the accelerator or the CPU by the device's rules (op, dtype, shape limits),
 * groups consecutive layers on one unit into partitions and counts the bytes that cross between
 * units. Every CPU fallback carries its reason and a suggested fix.
 */
public final class Partitioner {
    private Partitioner() {}

    /** A layer that could not run on the accelerator. */
    public record Fallback(String node, String op, String reason, String fix) {}

    /** Consecutive layers on one unit. {@code inBytes}: activation bytes it receives from the other unit or the host. */
    public record Partition(int index, String unit, boolean accelerator, List<String> nodes, long inBytes, long outBytes) {}

    public record Result(List<Boolean> onAccelerator, List<Partition> partitions, List<Fallback> fallbacks, long transferBytes) {
        public int acceleratedCount() {
            int n = 0;
            for (boolean b : onAccelerator) if (b) n++;
            return n;
        }
    }

    /** Why the accelerator cannot run this layer, or null when it can. */
    public static String[] rejection(Layer l, ComputeUnit acc) {
        String name = acc.name();
        if (!acc.supportsOp(l.op())) {
            return new String[] {l.op() + " is not supported by " + name,
                    acc.fixes().getOrDefault(l.op(), "replace " + l.op() + " with ops " + name + " supports, or keep it on the CPU")};
        }
        if (!acc.dtypes().contains(l.dtype())) {
            return new String[] {l.op() + " in " + l.dtype() + " is not supported by " + name + " (it runs " + String.join(", ", acc.dtypeList()) + ")",
                    acc.fixes().getOrDefault(l.dtype(), "convert to " + String.join(" or ", acc.dtypeList()))};
        }
        ComputeUnit.Limits lim = acc.limits();
        if (lim.maxStride() > 0 && l.maxStride() > lim.maxStride()) {
            return new String[] {l.op() + " has stride " + l.maxStride() + "; " + name + " allows at most " + lim.maxStride(),
                    "use stride " + lim.maxStride() + " or less (e.g. a stride-1 " + l.op() + " followed by pooling)"};
        }
        if (lim.maxBatch() > 0 && l.batch() > lim.maxBatch()) {
            return new String[] {l.op() + " has batch " + l.batch() + "; " + name + " allows at most " + lim.maxBatch(),
                    "export the model with batch size " + lim.maxBatch() + " (--shape INPUT=1,...)"};
        }
        if (lim.maxRank() > 0 && l.rank() > lim.maxRank()) {
            return new String[] {l.op() + " has a rank-" + l.rank() + " tensor; " + name + " allows rank " + lim.maxRank() + " at most",
                    "reshape to rank " + lim.maxRank() + " or less around this op"};
        }
        if (lim.maxDim() > 0 && l.maxDim() > lim.maxDim()) {
            return new String[] {l.op() + " has a dimension of " + l.maxDim() + "; " + name + " allows at most " + lim.maxDim(),
                    "split the tensor along that dimension"};
        }
        return null;
    }

    public static Result partition(List<Layer> layers, Device d, Set<String> graphInputs, Set<String> graphOutputs) {
        ComputeUnit acc = d.accelerator();
        List<Boolean> on = new ArrayList<>();
        List<Fallback> fallbacks = new ArrayList<>();
        String firstBlocker = null;
        for (Layer l : layers) {
            if (acc == null) {
                on.add(false);
                continue;
            }
            String[] why = rejection(l, acc);
            if (why == null && firstBlocker != null) {
                why = new String[] {"follows unsupported node '" + firstBlocker + "': " + acc.name() + " maps only the graph before the first unsupported op",
                        "fix node '" + firstBlocker + "' to bring this node back onto the " + acc.name()};
            }
            if (why == null) {
                on.add(true);
            } else {
                on.add(false);
                fallbacks.add(new Fallback(l.name(), l.op(), why[0], why[1]));
                if (acc.prefixOnly() && firstBlocker == null) firstBlocker = l.name();
            }
        }
        // Partitions and the bytes that cross units.
        Map<String, Integer> producerPart = new HashMap<>();
        Map<String, Long> valueBytes = new HashMap<>();
        List<Partition> parts = new ArrayList<>();
        List<List<String>> nodes = new ArrayList<>();
        List<long[]> io = new ArrayList<>();
        List<Boolean> partAcc = new ArrayList<>();
        int[] partOf = new int[layers.size()];
        for (int i = 0; i < layers.size(); i++) {
            if (i == 0 || !on.get(i).equals(on.get(i - 1))) {
                nodes.add(new ArrayList<>());
                io.add(new long[2]);
                partAcc.add(on.get(i));
            }
            int p = nodes.size() - 1;
            partOf[i] = p;
            Layer l = layers.get(i);
            nodes.get(p).add(l.name());
            long each = l.outputs().isEmpty() ? 0 : l.outBytes() / l.outputs().size();
            for (String o : l.outputs()) {
                producerPart.put(o, p);
                valueBytes.put(o, each);
            }
        }
        long transfer = 0;
        Set<String> counted = new HashSet<>();
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            int p = partOf[i];
            long each = l.inputs().isEmpty() ? 0 : l.inBytes() / l.inputs().size();
            for (String in : new LinkedHashSet<>(l.inputs())) {
                Integer src = producerPart.get(in);
                boolean fromHost = src == null && graphInputs.contains(in);
                boolean crosses = src != null && !partAcc.get(src).equals(partAcc.get(p));
                // Host input into an accelerator partition crosses too; into the CPU it is already there.
                if ((crosses || (fromHost && partAcc.get(p))) && counted.add(in + "->" + partAcc.get(p))) {
                    long b = src == null ? each : valueBytes.getOrDefault(in, each);
                    io.get(p)[0] += b;
                    if (src != null) io.get(src)[1] += b;
                    transfer += b;
                }
            }
        }
        for (String o : graphOutputs) {
            Integer src = producerPart.get(o);
            if (src != null && partAcc.get(src) && counted.add(o + "->host")) {
                long b = valueBytes.getOrDefault(o, 0L);
                io.get(src)[1] += b;
                transfer += b;
            }
        }
        for (int p = 0; p < nodes.size(); p++) {
            parts.add(new Partition(p, partAcc.get(p) ? acc.name() : "CPU", partAcc.get(p), nodes.get(p), io.get(p)[0], io.get(p)[1]));
        }
        return new Result(on, parts, fallbacks, acc == null ? 0 : transfer);
    }
}
