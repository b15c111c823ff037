package dev.edgeopt.device;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgeopt.EdgeoptException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The device catalog: the built-in {@code devices.json} plus any files the user adds. A file holds
 * {@code core_types} (per-cycle throughput and the one calibrated constant of each core type) and
 * {@code devices}. Every figure must name its source in the {@code sources} map of the object that
 * holds it; a file without them is rejected, so the catalog never carries an unexplained number.
 *
 * <p>A user file may use the built-in core types and may replace a built-in device by giving its
 * name.
 */
public final class DeviceCatalog {
    public static final String BUILTIN = "devices.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, CoreType> coreTypes = new LinkedHashMap<>();
    private final Map<String, Device> devices = new LinkedHashMap<>();

    private DeviceCatalog() {}

    /** The built-in catalog. */
    public static DeviceCatalog builtin() {
        DeviceCatalog c = new DeviceCatalog();
        try (InputStream in = DeviceCatalog.class.getResourceAsStream(BUILTIN)) {
            if (in == null) throw new IllegalStateException("resource " + BUILTIN + " is missing");
            c.add(BUILTIN, in.readAllBytes());
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + BUILTIN, e);
        }
        return c;
    }

    /** The built-in catalog extended (or overridden by name) with a user file. */
    public static DeviceCatalog withFile(Path file) {
        DeviceCatalog c = builtin();
        if (file != null) c.addFile(file);
        return c;
    }

    public void addFile(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new EdgeoptException(file + ": cannot read device file: " + e.getMessage());
        }
        add(file.toString(), bytes);
    }

    /** Parses one catalog file. @throws EdgeoptException naming the file and the field */
    public void add(String file, byte[] bytes) {
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new EdgeoptException(file + ": not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()));
        } catch (IOException e) {
            throw new EdgeoptException(file + ": cannot read device file: " + e.getMessage());
        }
        if (root == null || !root.isObject()) throw new EdgeoptException(file + ": the top level must be a JSON object");
        String format = root.path("format").asText("");
        if (!format.equals("edgeopt-devices/1")) {
            throw new EdgeoptException(file + ": field 'format' must be \"edgeopt-devices/1\" (found " + (format.isEmpty() ? "nothing" : "\"" + format + "\"") + ")");
        }
        JsonNode ct = root.path("core_types");
        if (!ct.isMissingNode()) {
            if (!ct.isObject()) throw new EdgeoptException(file + ": field 'core_types' must be an object");
            for (Map.Entry<String, JsonNode> e : ct.properties()) {
                coreTypes.put(e.getKey(), parseCoreType(new Ctx(file, "core_types." + e.getKey()), e.getKey(), e.getValue()));
            }
        }
        JsonNode ds = root.path("devices");
        if (ds.isMissingNode()) return;
        if (!ds.isArray()) throw new EdgeoptException(file + ": field 'devices' must be an array");
        for (int i = 0; i < ds.size(); i++) {
            JsonNode d = ds.get(i);
            String label = "devices[" + i + "]" + (d.path("name").isTextual() ? " (" + d.path("name").asText() + ")" : "");
            Device dev = parseDevice(new Ctx(file, label), d);
            devices.keySet().removeIf(k -> k.equalsIgnoreCase(dev.name()));
            devices.put(dev.name(), dev);
        }
    }

    public List<Device> devices() { return List.copyOf(devices.values()); }

    public Map<String, CoreType> coreTypes() { return Map.copyOf(coreTypes); }

    /**
     * The device with this name or alias (case and punctuation ignored).
     *
     * @throws EdgeoptException listing the close matches when there is none
     */
    public Device require(String name) {
        Device d = find(name);
        if (d != null) return d;
        List<String> close = closeMatches(name);
        throw new EdgeoptException("unknown device '" + name + "'"
                + (close.isEmpty() ? "" : "; did you mean " + String.join(", ", close) + "?")
                + " (edgeopt devices lists all " + devices.size() + ")");
    }

    public Device find(String name) {
        String k = norm(name);
        for (Device d : devices.values()) {
            if (norm(d.name()).equals(k)) return d;
            for (String a : d.aliases()) if (norm(a).equals(k)) return d;
        }
        return null;
    }

    /** Names within a small edit distance of {@code name}, or sharing a prefix with it; best first. */
    public List<String> closeMatches(String name) {
        String k = norm(name);
        Map<String, Integer> best = new TreeMap<>();
        for (Device d : devices.values()) {
            List<String> names = new ArrayList<>(d.aliases());
            names.add(d.name());
            int score = Integer.MAX_VALUE;
            for (String n : names) {
                String m = norm(n);
                int dist = levenshtein(k, m);
                if (k.length() >= 3 && (m.startsWith(k) || k.startsWith(m) || m.contains(k))) dist = Math.min(dist, 1);
                score = Math.min(score, dist);
            }
            if (score <= Math.max(2, k.length() / 3)) best.put(d.name(), score);
        }
        return best.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().thenComparing(Map.Entry.comparingByKey()))
                .limit(4).map(Map.Entry::getKey).toList();
    }

    static String norm(String s) { return s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", ""); }

    static int levenshtein(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            int[] t = prev; prev = cur; cur = t;
        }
        return prev[b.length()];
    }

    // ------------------------------------------------------------------ parsing

    /** Where we are in which file, for one-line errors. */
    private record Ctx(String file, String where) {
        EdgeoptException fail(String field, String problem) {
            return new EdgeoptException(file + ": " + where + ": field '" + field + "' " + problem);
        }

        Ctx in(String sub) { return new Ctx(file, where + ": " + sub); }
    }

    private CoreType parseCoreType(Ctx c, String name, JsonNode n) {
        requireObject(c, n);
        JsonNode sources = sources(c, n);
        Map<String, Double> macs = new TreeMap<>();
        JsonNode m = n.path("macs_per_cycle");
        if (!m.isObject() || m.isEmpty()) throw c.fail("macs_per_cycle", "must be an object of dtype: MACs per cycle");
        for (Map.Entry<String, JsonNode> e : m.properties()) {
            checkDtype(c, "macs_per_cycle." + e.getKey(), e.getKey());
            macs.put(e.getKey(), positive(c, "macs_per_cycle." + e.getKey(), e.getValue(), sources));
        }
        double eff = positive(c, "efficiency", n.path("efficiency"), sources);
        if (eff > 1) throw c.fail("efficiency", "must be at most 1 (a fraction of peak), found " + eff);
        double overhead = nonNegative(c, "op_overhead_cycles", n.path("op_overhead_cycles"), sources);
        return new CoreType(name, macs, eff, overhead);
    }

    private Device parseDevice(Ctx c, JsonNode n) {
        requireObject(c, n);
        JsonNode sources = sources(c, n);
        String name = text(c, n, "name");
        List<String> aliases = new ArrayList<>();
        JsonNode al = n.path("aliases");
        if (!al.isMissingNode()) {
            if (!al.isArray()) throw c.fail("aliases", "must be an array of strings");
            for (JsonNode a : al) aliases.add(a.asText());
        }
        String summary = n.path("summary").asText(name);
        String kind = text(c, n, "kind");
        if (!kind.equals("mcu") && !kind.equals("linux")) throw c.fail("kind", "must be \"mcu\" or \"linux\", found \"" + kind + "\"");
        long sram = bytes(c, "sram_bytes", n.path("sram_bytes"), sources);
        long region = n.has("arena_region_bytes") ? bytes(c, "arena_region_bytes", n.path("arena_region_bytes"), sources) : sram;
        long flash = bytes(c, "flash_bytes", n.path("flash_bytes"), sources);
        long dram = bytes(c, "dram_bytes", n.path("dram_bytes"), sources);
        if (kind.equals("mcu") && (sram == 0 || flash == 0)) throw c.fail(sram == 0 ? "sram_bytes" : "flash_bytes", "must be positive for an mcu");
        if (kind.equals("linux") && dram == 0) throw c.fail("dram_bytes", "must be positive for a linux board");
        double power = optionalPositive(c, "power_mw", n, sources);
        if (!n.path("cpu").isObject()) throw c.fail("cpu", "must be an object");
        ComputeUnit cpu = parseUnit(c.in("cpu"), "cpu", n.path("cpu"), false);
        ComputeUnit acc = null;
        if (n.has("accelerator") && !n.path("accelerator").isNull()) acc = parseUnit(c.in("accelerator"), null, n.path("accelerator"), true);
        return new Device(name, aliases, summary, kind, sram, region, flash, dram, power, cpu, acc, c.file());
    }

    private ComputeUnit parseUnit(Ctx c, String defaultName, JsonNode n, boolean accelerator) {
        requireObject(c, n);
        JsonNode sources = sources(c, n);
        String name = accelerator ? text(c, n, "name") : n.path("name").asText(defaultName);
        String coreName = text(c, n, "core");
        CoreType core = coreTypes.get(coreName);
        if (core == null) throw c.fail("core", "names unknown core type '" + coreName + "' (known: " + String.join(", ", new TreeMap<>(coreTypes).keySet()) + ")");
        int count = accelerator && !n.has("count") ? 1 : (int) positive(c, "count", n.path("count"), sources);
        double clock = positive(c, "clock_hz", n.path("clock_hz"), sources);
        double mem = positive(c, "mem_bytes_per_second", n.path("mem_bytes_per_second"), sources);
        double wts = positive(c, "weight_bytes_per_second", n.path("weight_bytes_per_second"), sources);
        double xfer = accelerator ? positive(c, "transfer_bytes_per_second", n.path("transfer_bytes_per_second"), sources) : 0;
        double power = optionalPositive(c, "power_mw", n, sources);
        double epm = optionalPositive(c, "energy_per_mac_pj", n, sources);
        Set<String> ops = new LinkedHashSet<>(), dtypes = new LinkedHashSet<>();
        ComputeUnit.Limits limits = ComputeUnit.Limits.NONE;
        boolean prefixOnly = false;
        Map<String, String> fixes = new TreeMap<>();
        if (accelerator) {
            ops.addAll(strings(c, n, "ops"));
            if (ops.isEmpty()) throw c.fail("ops", "must list at least one op (or \"*\")");
            cited(c, "ops", sources);
            dtypes.addAll(strings(c, n, "dtypes"));
            if (dtypes.isEmpty()) throw c.fail("dtypes", "must list at least one dtype");
            for (String d : dtypes) checkDtype(c, "dtypes", d);
            cited(c, "dtypes", sources);
            for (String d : dtypes) {
                if (core.peak(d) <= 0) throw c.fail("dtypes", "lists " + d + " but core type '" + coreName + "' has no macs_per_cycle." + d);
            }
            JsonNode l = n.path("limits");
            if (!l.isMissingNode()) {
                if (!l.isObject()) throw c.fail("limits", "must be an object");
                for (Iterator<String> it = l.fieldNames(); it.hasNext(); ) {
                    String f = it.next();
                    if (!Set.of("max_stride", "max_batch", "max_dim", "max_rank").contains(f)) {
                        throw c.fail("limits." + f, "is not a known limit (max_stride, max_batch, max_dim, max_rank)");
                    }
                }
                limits = new ComputeUnit.Limits(
                        (int) optionalCount(c, "limits.max_stride", l.path("max_stride"), sources),
                        (int) optionalCount(c, "limits.max_batch", l.path("max_batch"), sources),
                        optionalCount(c, "limits.max_dim", l.path("max_dim"), sources),
                        (int) optionalCount(c, "limits.max_rank", l.path("max_rank"), sources));
            }
            JsonNode p = n.path("prefix_only");
            if (!p.isMissingNode()) {
                if (!p.isBoolean()) throw c.fail("prefix_only", "must be true or false");
                prefixOnly = p.asBoolean();
                if (prefixOnly) cited(c, "prefix_only", sources);
            }
            JsonNode fx = n.path("fixes");
            if (!fx.isMissingNode()) {
                if (!fx.isObject()) throw c.fail("fixes", "must be an object of op: suggested fix");
                for (Map.Entry<String, JsonNode> e : fx.properties()) {
                    if (!e.getValue().isTextual()) throw c.fail("fixes." + e.getKey(), "must be a string");
                    fixes.put(e.getKey(), e.getValue().asText());
                }
            }
        }
        return new ComputeUnit(name, core, count, clock, mem, wts, xfer, power, epm, ops, dtypes, limits, prefixOnly, fixes);
    }

    private static final Set<String> DTYPES = Set.of("int4", "int8", "uint8", "int16", "float16", "bfloat16", "float32");

    private static void checkDtype(Ctx c, String field, String d) {
        if (!DTYPES.contains(d)) throw c.fail(field, "names unknown dtype '" + d + "' (known: " + String.join(", ", DTYPES.stream().sorted().toList()) + ")");
    }

    private static void requireObject(Ctx c, JsonNode n) {
        if (!n.isObject()) throw new EdgeoptException(c.file() + ": " + c.where() + " must be a JSON object");
    }

    private static JsonNode sources(Ctx c, JsonNode n) {
        JsonNode s = n.path("sources");
        if (!s.isObject()) throw c.fail("sources", "is missing: every figure must cite its source");
        return s;
    }

    private static void cited(Ctx c, String field, JsonNode sources) {
        JsonNode s = sources.path(field);
        if (!s.isTextual() || s.asText().isBlank()) throw c.fail(field, "has no source: add sources." + field + " naming the datasheet or manual and section");
    }

    private static String text(Ctx c, JsonNode n, String field) {
        JsonNode v = n.path(field);
        if (!v.isTextual() || v.asText().isBlank()) throw c.fail(field, "is missing or not a string");
        return v.asText();
    }

    private static List<String> strings(Ctx c, JsonNode n, String field) {
        JsonNode v = n.path(field);
        if (!v.isArray()) throw c.fail(field, "must be an array of strings");
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isTextual()) throw c.fail(field, "must be an array of strings");
            out.add(e.asText());
        }
        return out;
    }

    private static double number(Ctx c, String field, JsonNode v, JsonNode sources) {
        if (v.isMissingNode() || v.isNull()) throw c.fail(field, "is missing");
        if (!v.isNumber()) throw c.fail(field, "must be a number, found " + v);
        double d = v.asDouble();
        if (!Double.isFinite(d)) throw c.fail(field, "must be finite");
        cited(c, field, sources);
        return d;
    }

    private static double positive(Ctx c, String field, JsonNode v, JsonNode sources) {
        double d = number(c, field, v, sources);
        if (d <= 0) throw c.fail(field, "must be positive, found " + v);
        return d;
    }

    private static double nonNegative(Ctx c, String field, JsonNode v, JsonNode sources) {
        double d = number(c, field, v, sources);
        if (d < 0) throw c.fail(field, "must not be negative, found " + v);
        return d;
    }

    private static long bytes(Ctx c, String field, JsonNode v, JsonNode sources) {
        double d = nonNegative(c, field, v, sources);
        if (d != Math.rint(d)) throw c.fail(field, "must be a whole number of bytes, found " + v);
        return (long) d;
    }

    private static double optionalPositive(Ctx c, String field, JsonNode parent, JsonNode sources) {
        JsonNode v = parent.path(field);
        if (v.isMissingNode() || v.isNull()) return Double.NaN;
        return positive(c, field, v, sources);
    }

    private static long optionalCount(Ctx c, String field, JsonNode v, JsonNode sources) {
        if (v.isMissingNode() || v.isNull()) return 0;
        double d = positive(c, field, v, sources);
        if (d != Math.rint(d)) throw c.fail(field, "must be a whole number, found " + v);
        return (long) d;
    }

    /** Devices sorted by name, for listings. */
    public List<Device> sorted() {
        List<Device> l = new ArrayList<>(devices.values());
        l.sort(Comparator.comparing(d -> d.name().toLowerCase(Locale.ROOT)));
        return l;
    }
}
