package dev.edgeopt.device;

/**
 * What one runtime node asks of the hardware: its MACs, the activation bytes it reads and writes,
 * the weight bytes it reads, and the shape facts accelerator rules test.
 *
 * @param dtype the compute dtype ("int8" for quantized nodes, including QDQ-wrapped float ops)
 * @param elements the larger of input and output activation element counts (work of non-MAC ops)
 * @param maxStride largest stride attribute (1 when none)
 * @param batch leading dimension of the first activation input (1 when rank 0)
 * @param maxDim largest dimension of any activation tensor
 * @param rank largest rank of any activation tensor
 * @param inputs names of the activation values read (for partition transfers)
 * @param outputs names of the values written
 */
public record Layer(String name, String op, String dtype, long macs, long elements,
                    long inBytes, long outBytes, long weightBytes,
                    long maxStride, long batch, long maxDim, int rank,
                    java.util.List<String> inputs, java.util.List<String> outputs) {
    public Layer {
        inputs = java.util.List.copyOf(inputs);
        outputs = java.util.List.copyOf(outputs);
    }

    public Layer withDtype(String d, long newIn, long newOut, long newWeights) {
        return new Layer(name, op, d, macs, elements, newIn, newOut, newWeights, maxStride, batch, maxDim, rank, inputs, outputs);
    }
}
