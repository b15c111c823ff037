package dev.edgeopt.ops;

/** Schemas of one op family; see {@link OpRegistry#standard()}. */
final class FusedSchemas {
    private FusedSchemas() {}

    static void register(OpRegistry r) {
    }
}
