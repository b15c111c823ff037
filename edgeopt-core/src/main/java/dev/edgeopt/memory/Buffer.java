package dev.edgeopt.memory;

/**
 * A tensor to place in an arena: its size (in whatever unit the caller plans in: bytes for the C
 * arena, elements for the Java engine's typed arenas) and the first and last step (inclusive) at
 * which it must hold its data.
 */
public record Buffer(String name, long size, int firstUse, int lastUse) {
    public Buffer {
        if (size < 0) throw new IllegalArgumentException("negative size for " + name);
        if (lastUse < firstUse) throw new IllegalArgumentException(name + ": last use " + lastUse + " before first " + firstUse);
    }

    public boolean overlapsInTime(Buffer o) { return firstUse <= o.lastUse && o.firstUse <= lastUse; }
}
