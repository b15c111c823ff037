package dev.edgeopt.ops;

/** Schemas of one op family; see {@link OpRegistry#standard()}. */
final class ShapeSchemas {
    private ShapeSchemas() {}

    static void register(OpRegistry r) {
    }
}
