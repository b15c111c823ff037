package dev.edgeopt.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.edgeopt.EdgeoptException;
import dev.edgeopt.onnx.proto.OnnxProto.GraphProto;
import dev.edgeopt.onnx.proto.OnnxProto.ModelProto;
import dev.edgeopt.onnx.proto.OnnxProto.NodeProto;
import dev.edgeopt.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.edgeopt.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.edgeopt.onnx.proto.OnnxProto.TensorProto;
import dev.edgeopt.onnx.proto.OnnxProto.TensorShapeProto;
import dev.edgeopt.onnx.proto.OnnxProto.TypeProto;
import dev.edgeopt.onnx.proto.OnnxProto.ValueInfoProto;
import dev.edgeopt.ops.UnsupportedOpException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every malformed model ends in one {@link EdgeoptException} whose single line names the file and
 * the tensor or node at fault; nothing crashes with a stack trace or reads outside the model folder.
 */
class OnnxImporterBadInputTest {
    @TempDir Path tmp;

    private static ValueInfoProto info(String name, long... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : dims) s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        return ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(s)))
                .build();
    }

    private static NodeProto node(String name, String op, String in, String out) {
        NodeProto.Builder n = NodeProto.newBuilder().setName(name).setOpType(op).addOutput(out);
        for (String i : in.split(",")) n.addInput(i);
        return n.build();
    }

    private static ModelProto model(GraphProto.Builder g) {
        return ModelProto.newBuilder().setIrVersion(8).addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(17)).setGraph(g.setName("g")).build();
    }

    /** x[2] -> Relu -> y: a valid base that each case breaks in one way. */
    private static GraphProto.Builder reluGraph() {
        return GraphProto.newBuilder().addInput(info("x", 2)).addNode(node("relu", "Relu", "x", "y")).addOutput(info("y", 2));
    }

    /** Add(x, w) with the initializer w given by the caller. */
    private static GraphProto.Builder addGraph(TensorProto w) {
        return GraphProto.newBuilder().addInput(info("x", 2)).addInitializer(w).addNode(node("add", "Add", "x,w", "y")).addOutput(info("y", 2));
    }

    private Path save(String file, byte[] bytes) throws IOException { return Files.write(tmp.resolve(file), bytes); }

    private Path save(String file, ModelProto m) throws IOException { return save(file, m.toByteArray()); }

    /** Loading fails with one line that starts with the file and mentions each fragment. */
    private static EdgeoptException fails(Path file, String... mentions) {
        EdgeoptException e = assertThrows(EdgeoptException.class, () -> OnnxImporter.load(file));
        String m = e.getMessage();
        assertFalse(m.contains("\n"), "one line: " + m);
        assertTrue(m.startsWith(file.toString()), "names the file: " + m);
        for (String s : mentions) assertTrue(m.contains(s), "mentions '" + s + "': " + m);
        return e;
    }

    @Test void validBaseLoads() throws IOException {
        assertEquals(1, OnnxImporter.load(save("ok.onnx", model(reluGraph()))).nodes().size());
    }

    @Test void emptyFile() throws IOException {
        fails(save("empty.onnx", new byte[0]), "empty");
    }

    @Test void truncatedModel() throws IOException {
        byte[] b = model(addGraph(TensorProto.newBuilder().setName("w").setDataType(TensorProto.DataType.FLOAT_VALUE).addDims(2)
                .setRawData(ByteString.copyFrom(new byte[8])).build())).toByteArray();
        fails(save("cut.onnx", Arrays.copyOf(b, b.length - 5)), "truncated or corrupt");
    }

    @Test void nonOnnxFiles() throws IOException {
        fails(save("text.onnx", "name,value\nx,1\n".getBytes()));
        // A PNG header: not protobuf at all.
        fails(save("image.onnx", new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13}));
        // Valid protobuf that is not a model: no graph, or no ir_version.
        fails(save("nograph.onnx", ModelProto.newBuilder().setProducerName("x").build()), "not an ONNX model", "graph");
        fails(save("noir.onnx", model(reluGraph()).toBuilder().clearIrVersion().build()), "not an ONNX model", "ir_version");
        fails(tmp.resolve("missing.onnx"), "no such file");
    }

    @Test void graphWithACycle() throws IOException {
        GraphProto.Builder g = GraphProto.newBuilder().addInput(info("x", 2))
                .addNode(node("a", "Add", "x,b_out", "a_out"))
                .addNode(node("b", "Relu", "a_out", "b_out"))
                .addOutput(info("b_out", 2));
        fails(save("cycle.onnx", model(g)), "cycle", "node a");
    }

    @Test void unknownOpNamesOpAndNode() throws IOException {
        GraphProto.Builder g = GraphProto.newBuilder().addInput(info("x", 2)).addNode(node("mystery_node", "Frobnicate", "x", "y")).addOutput(info("y", 2));
        EdgeoptException e = fails(save("unknown.onnx", model(g)), "Frobnicate", "mystery_node");
        // Conformance counts unsupported cases by op, so the type survives the file prefix.
        assertInstanceOf(UnsupportedOpException.class, e);
        assertEquals("Frobnicate", ((UnsupportedOpException) e).op());
    }

    @Test void declaredSizeDisagreesWithData() throws IOException {
        TensorProto raw = TensorProto.newBuilder().setName("w").setDataType(TensorProto.DataType.FLOAT_VALUE).addDims(2)
                .setRawData(ByteString.copyFrom(new byte[12])).build();
        fails(save("raw.onnx", model(addGraph(raw))), "initializer 'w'", "8 bytes", "12");
        TensorProto typed = TensorProto.newBuilder().setName("w").setDataType(TensorProto.DataType.FLOAT_VALUE).addDims(2)
                .addFloatData(1).addFloatData(2).addFloatData(3).build();
        fails(save("typed.onnx", model(addGraph(typed))), "initializer 'w'", "2 elements", "holds 3");
    }

    @Test void dimensionOverflow() throws IOException {
        TensorProto huge = TensorProto.newBuilder().setName("w").setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addDims(1L << 40).addDims(1L << 40).addDims(1L << 40).build();
        fails(save("huge_init.onnx", model(addGraph(huge))), "initializer 'w'", "overflows");
        GraphProto.Builder g = GraphProto.newBuilder().addInput(info("x", 1L << 33, 1L << 33)).addNode(node("relu", "Relu", "x", "y")).addOutput(info("y", 2));
        fails(save("huge_input.onnx", model(g)), "input 'x'", "overflow");
    }

    private static TensorProto external(String location) {
        return TensorProto.newBuilder().setName("w").setDataType(TensorProto.DataType.FLOAT_VALUE).addDims(2)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location)).build();
    }

    @Test void externalDataLoadsFromTheModelFolder() throws IOException {
        Files.write(tmp.resolve("w.bin"), new byte[8]);
        assertEquals(2, OnnxImporter.load(save("ext.onnx", model(addGraph(external("w.bin"))))).value("w").constant().size());
    }

    @Test void externalDataAbsoluteLocation() throws IOException {
        Path outside = Files.write(Files.createTempFile("edgeopt-secret", ".bin"), new byte[8]);
        try {
            fails(save("abs.onnx", model(addGraph(external(outside.toString())))), "initializer 'w'", "absolute");
        } finally {
            Files.delete(outside);
        }
    }

    @Test void externalDataWithDotDot() throws IOException {
        Path sub = Files.createDirectories(tmp.resolve("m"));
        Files.write(tmp.resolve("w.bin"), new byte[8]);
        Path file = Files.write(sub.resolve("dots.onnx"), model(addGraph(external("../w.bin"))).toByteArray());
        fails(file, "initializer 'w'", "'..'");
        // A '..' that normalizes back inside is refused too: the rule is about the text, not luck.
        Files.write(sub.resolve("w.bin"), new byte[8]);
        fails(Files.write(sub.resolve("dots2.onnx"), model(addGraph(external("x/../w.bin"))).toByteArray()), "'..'");
    }

    @Test void externalDataThroughSymlinkOutside() throws IOException {
        Path sub = Files.createDirectories(tmp.resolve("m"));
        Path secret = Files.write(tmp.resolve("secret.bin"), new byte[8]);
        Files.createSymbolicLink(sub.resolve("w.bin"), secret);
        Path file = Files.write(sub.resolve("link.onnx"), model(addGraph(external("w.bin"))).toByteArray());
        fails(file, "initializer 'w'", "outside the model's folder");
        // A symlinked folder on the way out is caught the same way.
        Files.createSymbolicLink(sub.resolve("up"), tmp);
        fails(Files.write(sub.resolve("link2.onnx"), model(addGraph(external("up/secret.bin"))).toByteArray()), "outside the model's folder");
    }
}
