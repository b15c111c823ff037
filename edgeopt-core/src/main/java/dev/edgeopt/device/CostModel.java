package dev.edgeopt.device;

/**
 * Roofline latency and energy of one layer on one compute unit.
 *
 * <pre>
 *   compute  = work / (peak MACs per cycle for the dtype x clock x cores x efficiency)
 *   memory   = activation bytes / activation bandwidth + weight bytes / weight bandwidth
 *   latency  = max(compute, memory) + op overhead cycles / clock
 * </pre>
 * Work is the layer's MACs, or for ops without MACs (pooling, elementwise, data movement) the
 * larger of its input and output element counts, one lane-operation each. {@code efficiency} is the
 * single calibrated constant of the core type (see {@code devices.json}); nothing here depends on
 * the model.
 *
 * <p>Energy: the unit's published energy per MAC when there is one, else its published active
 * power times the latency, else NaN (not published).
 */
public final class CostModel {
    private CostModel() {}

    /** One layer's estimate. Times in seconds, energy in joules (NaN when not published). */
    public record Cost(Layer layer, ComputeUnit unit, double computeS, double memoryS, double overheadS, double energyJ) {
        public double seconds() { return Math.max(computeS, memoryS) + overheadS; }

        public boolean memoryBound() { return memoryS > computeS; }
    }

    /** Peak MACs per cycle the unit applies to a dtype: its own rate, else the nearest path it has. */
    public static double peakPerCycle(ComputeUnit u, String dtype) {
        CoreType c = u.core();
        double p = c.peak(dtype);
        if (p > 0) return p;
        // int16 runs on 16-bit lanes where there is no int16 rate, float16 as float32 (widened).
        if (dtype.equals("int16")) p = c.peak("int8") / 2;
        if (p <= 0 && (dtype.equals("float16") || dtype.equals("bfloat16") || dtype.equals("float64"))) p = c.peak("float32");
        if (p <= 0) p = c.peak("float32");
        if (p <= 0) for (double v : c.macsPerCycle().values()) p = Math.max(p, v);
        return p;
    }

    public static Cost cost(Layer l, ComputeUnit u) {
        double rate = peakPerCycle(u, l.dtype()) * u.clockHz() * u.count() * u.core().efficiency();
        double work = l.macs() > 0 ? l.macs() : l.elements();
        double compute = work / rate;
        double memory = l.inBytes() / u.memBytesPerSecond() + l.outBytes() / u.memBytesPerSecond()
                + l.weightBytes() / u.weightBytesPerSecond();
        double overhead = u.core().opOverheadCycles() / u.clockHz();
        double seconds = Math.max(compute, memory) + overhead;
        double energy;
        // Ops without MACs are charged one MAC-equivalent per element, the unit of work used above.
        if (!Double.isNaN(u.energyPerMacPj())) energy = Math.max(l.macs(), l.elements()) * u.energyPerMacPj() * 1e-12;
        else if (!Double.isNaN(u.powerMw())) energy = u.powerMw() * 1e-3 * seconds;
        else energy = Double.NaN;
        return new Cost(l, u, compute, memory, overhead, energy);
    }
}
