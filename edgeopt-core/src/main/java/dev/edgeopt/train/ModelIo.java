package dev.edgeopt.train;

import dev.edgeopt.ir.Graph;

/**
 * How checkpoints write and read model weights. The core has no file formats, so the caller that
 * has ONNX (edgeopt-onnx, the CLI) supplies its exporter and importer.
 */
public interface ModelIo {
    byte[] write(Graph g);

    Graph read(byte[] bytes, String label);

    /** The checkpoint's weights file name, e.g. "model.onnx". */
    default String fileName() { return "model.onnx"; }
}
