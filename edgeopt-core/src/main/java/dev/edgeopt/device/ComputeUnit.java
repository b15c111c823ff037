package dev.edgeopt.device;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A CPU cluster or an accelerator of one device. The CPU runs every op; an accelerator runs the ops,
 * dtypes and shapes its rules allow.
 *
 * @param count cores used in parallel (an ideal split of MACs; memory bandwidth is shared)
 * @param memBytesPerSecond bandwidth for activations (SRAM, or DRAM on Linux boards)
 * @param weightBytesPerSecond bandwidth for reading weights (flash on MCUs)
 * @param transferBytesPerSecond accelerator only: bandwidth of a CPU-accelerator hand-off (0 for a CPU)
 * @param powerMw active power of this unit, or NaN when not published
 * @param energyPerMacPj energy per MAC, or NaN when not published
 * @param ops accelerator only: supported op types ("*" for all); empty for a CPU
 * @param dtypes accelerator only: supported dtypes; empty for a CPU
 * @param prefixOnly accelerator only: the toolchain maps ops up to the first unsupported one and
 *     runs the rest on the CPU (Edge TPU compiler)
 * @param fixes suggested fix per op type (or per dtype name) for CPU fallbacks
 */
public record ComputeUnit(String name, CoreType core, int count, double clockHz,
                          double memBytesPerSecond, double weightBytesPerSecond, double transferBytesPerSecond,
                          double powerMw, double energyPerMacPj,
                          Set<String> ops, Set<String> dtypes, Limits limits, boolean prefixOnly,
                          Map<String, String> fixes) {
    public ComputeUnit {
        ops = Set.copyOf(ops);
        dtypes = Set.copyOf(dtypes);
        fixes = Map.copyOf(fixes);
    }

    /** Shape rules of an accelerator; 0 means no limit. */
    public record Limits(int maxStride, int maxBatch, long maxDim, int maxRank) {
        public static final Limits NONE = new Limits(0, 0, 0, 0);
    }

    public boolean supportsOp(String op) { return ops.contains("*") || ops.contains(op); }

    /** Peak MACs per second for a dtype over all cores, before efficiency. */
    public double peakMacsPerSecond(String dtype) { return core.peak(dtype) * clockHz * count; }

    public List<String> dtypeList() { return dtypes.stream().sorted().toList(); }
}
