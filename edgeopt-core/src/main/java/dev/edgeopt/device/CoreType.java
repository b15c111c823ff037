package dev.edgeopt.device;

import java.util.Map;

/**
 * What one kind of core does per cycle, independent of the chip it sits in. {@code efficiency} is
 * the only calibrated constant of the cost model, one per core type and never per model: the
 * fraction of peak MAC throughput real kernels reach.
 *
 * @param macsPerCycle peak multiply-accumulates per cycle by dtype name ("int8", "float32"...)
 * @param opOverheadCycles fixed cost of dispatching one layer
 */
public record CoreType(String name, Map<String, Double> macsPerCycle, double efficiency, double opOverheadCycles) {
    public CoreType {
        macsPerCycle = Map.copyOf(macsPerCycle);
    }

    /** Peak MACs per cycle for a dtype, or 0 when the core has no path for it. */
    public double peak(String dtype) {
        // uint8 and int8 share the datapath on every core we model.
        String d = dtype.equals("uint8") && !macsPerCycle.containsKey("uint8") ? "int8" : dtype;
        return macsPerCycle.getOrDefault(d, 0.0);
    }
}
