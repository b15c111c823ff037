package dev.edgeopt.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeopt.EdgeoptException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeviceCatalogTest {
    @Test
    void builtinHasEveryRequiredDeviceWithItsFigures() {
        DeviceCatalog c = DeviceCatalog.builtin();
        for (String n : List.of("STM32F446", "STM32F746", "STM32H743", "nRF52840", "ESP32-S3", "Corstone-300",
                "RaspberryPi4", "RaspberryPiZero2W", "CoralDevBoard", "JetsonNano")) {
            assertNotNull(c.find(n), n);
        }
        Device f7 = c.require("stm32f746");
        assertEquals(216e6, f7.cpu().clockHz());
        assertEquals(320 * 1024, f7.sramBytes());
        assertEquals(1024 * 1024, f7.flashBytes());
        assertEquals("cortex-m7", f7.cpu().core().name());
        assertEquals(2.0, f7.cpu().core().peak("int8"));
        assertNull(f7.accelerator());
        Device h7 = c.require("STM32H743");
        assertEquals(512 * 1024, h7.arenaRegionBytes());
        Device cs = c.require("corstone300");
        assertEquals("Ethos-U55-128", cs.accelerator().name());
        assertEquals(128.0, cs.accelerator().core().peak("int8"));
        assertEquals(3, cs.accelerator().limits().maxStride());
        Device coral = c.require("edgetpu");
        assertTrue(coral.accelerator().prefixOnly());
        assertFalse(coral.accelerator().supportsOp("HardSwish"));
        assertEquals("replace with ReLU6 or HardSigmoid", coral.accelerator().fixes().get("HardSwish"));
        assertEquals(2e12, coral.accelerator().peakMacsPerSecond("int8"), 1e9);
        Device jet = c.require("jetson-nano");
        assertTrue(jet.accelerator().supportsOp("Anything"));
        assertEquals(256.0 * 921.6e6, jet.accelerator().peakMacsPerSecond("float16"), 1);
    }

    @Test
    void unknownNameListsCloseMatches() {
        DeviceCatalog c = DeviceCatalog.builtin();
        EdgeoptException e = assertThrows(EdgeoptException.class, () -> c.require("STM32F747"));
        assertEquals("unknown device 'STM32F747'; did you mean STM32F746, STM32F446, STM32H743? (edgeopt devices lists all 11)", e.getMessage());
        e = assertThrows(EdgeoptException.class, () -> c.require("raspberry"));
        assertTrue(e.getMessage().contains("RaspberryPi4"), e.getMessage());
        e = assertThrows(EdgeoptException.class, () -> c.require("zzzzzzzzzz"));
        assertEquals("unknown device 'zzzzzzzzzz' (edgeopt devices lists all 11)", e.getMessage());
    }

    static final String CORE = """
            "core_types": {"tiny": {"macs_per_cycle": {"int8": 1}, "efficiency": 0.5, "op_overhead_cycles": 10,
              "sources": {"macs_per_cycle.int8": "TRM 1.2", "efficiency": "fit", "op_overhead_cycles": "guess"}}}""";

    static String device(String cpuExtra, String devExtra) {
        return "{\"format\": \"edgeopt-devices/1\", " + CORE + ", \"devices\": [{\"name\": \"MyBoard\", \"kind\": \"mcu\","
                + " \"sram_bytes\": 65536, \"flash_bytes\": 262144, \"dram_bytes\": 0" + devExtra + ","
                + " \"cpu\": {\"core\": \"tiny\", \"count\": 1, \"clock_hz\": 48e6, \"mem_bytes_per_second\": 1e8, \"weight_bytes_per_second\": 1e8" + cpuExtra + ","
                + "  \"sources\": {\"clock_hz\": \"DS 1\", \"count\": \"DS 1\", \"mem_bytes_per_second\": \"RM 2\", \"weight_bytes_per_second\": \"RM 3\"}},"
                + " \"sources\": {\"sram_bytes\": \"DS 1\", \"flash_bytes\": \"DS 1\", \"dram_bytes\": \"DS 1\"}}]}";
    }

    @Test
    void userFileAddsADeviceAndUsesItsOwnCoreType(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("mine.json");
        Files.writeString(f, device("", ""));
        DeviceCatalog c = DeviceCatalog.withFile(f);
        Device d = c.require("myboard");
        assertEquals(48e6, d.cpu().clockHz());
        assertEquals(0.5, d.cpu().core().efficiency());
        assertEquals(12, c.devices().size());
    }

    static String error(Path dir, String json) throws Exception {
        Path f = dir.resolve("bad.json");
        Files.writeString(f, json, StandardCharsets.UTF_8);
        return assertThrows(EdgeoptException.class, () -> DeviceCatalog.withFile(f)).getMessage().replace(f.toString(), "bad.json");
    }

    @Test
    void malformedFilesGiveOneLineErrorsNamingFileAndField(@TempDir Path dir) throws Exception {
        assertTrue(error(dir, "{\"format\": ").startsWith("bad.json: not valid JSON: "));
        assertEquals("bad.json: field 'format' must be \"edgeopt-devices/1\" (found nothing)", error(dir, "{}"));
        assertEquals("bad.json: devices[0] (MyBoard): cpu: field 'clock_hz' must be positive, found -5",
                error(dir, device("", "").replace("48e6", "-5")));
        assertEquals("bad.json: devices[0] (MyBoard): cpu: field 'clock_hz' must be a number, found \"fast\"",
                error(dir, device("", "").replace("48e6", "\"fast\"")));
        assertEquals("bad.json: devices[0] (MyBoard): field 'power_mw' has no source: add sources.power_mw naming the datasheet or manual and section",
                error(dir, device("", ", \"power_mw\": 12")));
        assertEquals("bad.json: devices[0] (MyBoard): cpu: field 'core' names unknown core type 'huge' (known: cortex-a53, cortex-a57, cortex-a72, cortex-m4, cortex-m55, cortex-m7, edge-tpu, ethos-u55-128, maxwell-gpu-128, tiny, xtensa-lx7-pie)",
                error(dir, device("", "").replace("\"core\": \"tiny\"", "\"core\": \"huge\"")));
        assertEquals("bad.json: core_types.tiny: field 'efficiency' must be at most 1 (a fraction of peak), found 1.5",
                error(dir, device("", "").replace("\"efficiency\": 0.5", "\"efficiency\": 1.5")));
        assertEquals("bad.json: devices[0] (MyBoard): field 'kind' must be \"mcu\" or \"linux\", found \"phone\"",
                error(dir, device("", "").replace("\"kind\": \"mcu\"", "\"kind\": \"phone\"")));
        for (String msg : List.of(error(dir, "{\"format\": \"edgeopt-devices/1\", \"devices\": {}}"))) {
            assertFalse(msg.contains("\n"));
            assertEquals("bad.json: field 'devices' must be an array", msg);
        }
    }

    @Test
    void everyBuiltinFigureIsCited() {
        // The loader rejects uncited figures, so loading is the check; the sources must also be real text.
        DeviceCatalog c = DeviceCatalog.builtin();
        assertEquals(11, c.devices().size());
        for (CoreType t : c.coreTypes().values()) assertTrue(t.efficiency() > 0 && t.efficiency() <= 1, t.name());
    }
}
