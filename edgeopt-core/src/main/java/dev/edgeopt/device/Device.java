package dev.edgeopt.device;

import java.util.List;

/**
 * One catalog entry.
 *
 * @param kind "mcu" (weights in flash, arena in SRAM) or "linux" (everything in DRAM)
 * @param arenaRegionBytes the largest contiguous SRAM block, which bounds the arena (defaults to
 *     {@code sramBytes})
 * @param flashBytes 0 on boards that load the model into DRAM
 * @param powerMw whole-board power for energy, or NaN (then per-unit figures are used)
 * @param accelerator null when the device has none
 */
public record Device(String name, List<String> aliases, String summary, String kind,
                     long sramBytes, long arenaRegionBytes, long flashBytes, long dramBytes, double powerMw,
                     ComputeUnit cpu, ComputeUnit accelerator, String source) {
    public Device {
        aliases = List.copyOf(aliases);
    }

    public boolean isMcu() { return kind.equals("mcu"); }
}
