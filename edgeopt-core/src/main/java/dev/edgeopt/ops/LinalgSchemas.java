package dev.edgeopt.ops;

/** Schemas of the MAC-bearing ops (Conv, ConvTranspose, Gemm, MatMul); see {@link OpRegistry#standard()}. */
final class LinalgSchemas {
    private LinalgSchemas() {}

    static void register(OpRegistry r) {
    }
}
