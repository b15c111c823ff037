package dev.edgeopt.onnx;

import com.google.protobuf.ByteString;
import dev.edgeopt.io.AtomicFile;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.Dim;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.onnx.proto.OnnxProto.AttributeProto;
import dev.edgeopt.onnx.proto.OnnxProto.GraphProto;
import dev.edgeopt.onnx.proto.OnnxProto.ModelProto;
import dev.edgeopt.onnx.proto.OnnxProto.NodeProto;
import dev.edgeopt.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.edgeopt.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.edgeopt.onnx.proto.OnnxProto.TensorShapeProto;
import dev.edgeopt.onnx.proto.OnnxProto.TypeProto;
import dev.edgeopt.onnx.proto.OnnxProto.ValueInfoProto;
import dev.edgeopt.tensor.Tensor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@link Graph} to ONNX ModelProto. Constants become initializers; every value's type is written
 * (inputs, outputs and value_info) so other runtimes and viewers see what edgeopt inferred.
 *
 * <p>{@link #toBytesCompact} is for files whose size is the point (quantized models): it leaves
 * out what readers recompute. The types of intermediate values (value_info) go, since ONNX Runtime
 * and {@link OnnxImporter} infer them from the inputs and initializers; so do the names of
 * QuantizeLinear/DequantizeLinear nodes, which the tensor each produces already identifies, and of
 * nodes that compute from initializers only (the per-channel bias scale's Mul), which readers fold
 * at load (ONNX node names are optional; ORT and the importer name unnamed nodes themselves).
 */
public final class OnnxExporter {
    private OnnxExporter() {}

    public static ModelProto toProto(Graph g) { return toProto(g, false); }

    static ModelProto toProto(Graph g, boolean compact) {
        ModelProto.Builder m = ModelProto.newBuilder()
                .setIrVersion(irVersionFor(g))
                .setProducerName(g.producerName() == null || g.producerName().isEmpty() ? "edgeopt" : g.producerName())
                .setProducerVersion(g.producerVersion() == null ? "" : g.producerVersion())
                .setModelVersion(g.modelVersion());
        if (g.docString() != null && !g.docString().isEmpty()) m.setDocString(g.docString());
        for (Map.Entry<String, Long> e : g.opsetImports().entrySet()) {
            m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(e.getKey()).setVersion(e.getValue()));
        }
        boolean usesEdgeopt = g.nodes().stream().anyMatch(n -> n.domain().equals("edgeopt"));
        if (usesEdgeopt && !g.opsetImports().containsKey("edgeopt")) {
            m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("edgeopt").setVersion(1));
        }
        for (Map.Entry<String, String> e : g.metadata().entrySet()) {
            m.addMetadataProps(StringStringEntryProto.newBuilder().setKey(e.getKey()).setValue(e.getValue()));
        }
        m.setGraph(graphProto(g, compact));
        return m.build();
    }

    /**
     * The IR version that matches the opset (ONNX's versioning table), never older than what the
     * model declared, so ONNX Runtime accepts the file.
     */
    static long irVersionFor(Graph g) {
        int opset = g.opset();
        long ir = opset <= 8 ? 3 : opset <= 9 ? 4 : opset <= 10 ? 5 : opset <= 11 ? 6 : opset <= 14 ? 7 : opset <= 18 ? 8 : opset <= 20 ? 9 : 10;
        return Math.max(ir, Math.min(g.irVersion(), 10));
    }

    static GraphProto graphProto(Graph g) { return graphProto(g, false); }

    static GraphProto graphProto(Graph g, boolean compact) {
        GraphProto.Builder b = GraphProto.newBuilder().setName(g.name());
        for (Value v : g.inputs()) b.addInput(valueInfo(v));
        for (Value v : g.initializers()) b.addInitializer(OnnxTensors.toProto(v.constant(), v.name()));
        for (Node n : g.nodes()) {
            NodeProto.Builder nb = NodeProto.newBuilder().setOpType(n.opType());
            if (n.name() != null && !(compact && unnamedWhenCompact(n))) nb.setName(n.name());
            if (!n.domain().isEmpty()) nb.setDomain(n.domain());
            for (Value v : n.inputs()) nb.addInput(v == null ? "" : v.name());
            for (Value v : n.outputs()) nb.addOutput(v.name());
            for (Map.Entry<String, Attribute> e : n.attributes().entrySet()) nb.addAttribute(attribute(e.getKey(), e.getValue()));
            b.addNode(nb);
            if (compact) continue;
            for (Value v : n.outputs()) {
                if (!g.isGraphOutput(v) && v.type() != null && !g.uses(v).isEmpty()) b.addValueInfo(valueInfo(v));
            }
        }
        for (Value v : g.outputs()) b.addOutput(valueInfo(v));
        return b.build();
    }

    /** Q/DQ nodes, and nodes that compute from initializers only (folded by readers at load). */
    private static boolean unnamedWhenCompact(Node n) {
        if (n.domain().isEmpty() && (n.opType().equals("QuantizeLinear") || n.opType().equals("DequantizeLinear"))) return true;
        if (n.inputCount() == 0) return false;
        for (Value v : n.inputs()) if (v != null && !v.isConstant()) return false;
        return true;
    }

    static ValueInfoProto valueInfo(Value v) {
        ValueInfoProto.Builder b = ValueInfoProto.newBuilder().setName(v.name());
        TensorType t = v.type();
        if (t != null) {
            TypeProto.Tensor.Builder tt = TypeProto.Tensor.newBuilder().setElemType(t.dtype().onnxCode());
            if (t.shape() != null) {
                TensorShapeProto.Builder sb = TensorShapeProto.newBuilder();
                for (Dim d : t.shape().dims()) {
                    TensorShapeProto.Dimension.Builder db = TensorShapeProto.Dimension.newBuilder();
                    if (d.isKnown()) db.setDimValue(d.value());
                    else if (d.isSymbolic()) db.setDimParam(d.toString());
                    sb.addDim(db);
                }
                tt.setShape(sb);
            }
            b.setType(TypeProto.newBuilder().setTensorType(tt));
        }
        return b.build();
    }

    static AttributeProto attribute(String name, Attribute a) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name);
        switch (a.kind()) {
            case FLOAT -> b.setType(AttributeProto.AttributeType.FLOAT).setF(a.asFloat());
            case INT -> b.setType(AttributeProto.AttributeType.INT).setI(a.asInt());
            case STRING -> b.setType(AttributeProto.AttributeType.STRING).setS(ByteString.copyFrom(a.asString(), StandardCharsets.UTF_8));
            case TENSOR -> b.setType(AttributeProto.AttributeType.TENSOR).setT(OnnxTensors.toProto(a.asTensor(), null));
            case FLOATS -> {
                b.setType(AttributeProto.AttributeType.FLOATS);
                for (float f : a.asFloats()) b.addFloats(f);
            }
            case INTS -> {
                b.setType(AttributeProto.AttributeType.INTS);
                for (long l : a.asInts()) b.addInts(l);
            }
            case STRINGS -> {
                b.setType(AttributeProto.AttributeType.STRINGS);
                for (String s : a.asStrings()) b.addStrings(ByteString.copyFrom(s, StandardCharsets.UTF_8));
            }
            case TENSORS -> {
                b.setType(AttributeProto.AttributeType.TENSORS);
                for (Tensor t : a.asTensors()) b.addTensors(OnnxTensors.toProto(t, null));
            }
            case GRAPH, GRAPHS -> throw new UnsupportedOperationException("subgraph attributes are not exported");
        }
        return b.build();
    }

    public static byte[] toBytes(Graph g) { return toProto(g).toByteArray(); }

    /** As {@link #toBytes}, without intermediate value types and Q/DQ node names (see the class comment). */
    public static byte[] toBytesCompact(Graph g) { return toProto(g, true).toByteArray(); }

    /** Writes the model atomically (temporary file, then rename). */
    public static void save(Graph g, Path file) { AtomicFile.write(file, toBytes(g)); }
}
