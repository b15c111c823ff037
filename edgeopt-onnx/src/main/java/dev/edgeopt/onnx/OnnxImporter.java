package dev.edgeopt.onnx;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.edgeopt.EdgeoptException;
import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Dim;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.Shape;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.onnx.proto.OnnxProto.AttributeProto;
import dev.edgeopt.onnx.proto.OnnxProto.GraphProto;
import dev.edgeopt.onnx.proto.OnnxProto.ModelProto;
import dev.edgeopt.onnx.proto.OnnxProto.NodeProto;
import dev.edgeopt.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.edgeopt.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.edgeopt.onnx.proto.OnnxProto.TensorProto;
import dev.edgeopt.onnx.proto.OnnxProto.TensorShapeProto;
import dev.edgeopt.onnx.proto.OnnxProto.TypeProto;
import dev.edgeopt.onnx.proto.OnnxProto.ValueInfoProto;
import dev.edgeopt.ops.OpRegistry;
import dev.edgeopt.ops.ShapeInference;
import dev.edgeopt.ops.UnsupportedOpException;
import dev.edgeopt.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * ONNX ModelProto to {@link Graph}. Constant nodes become initializers; initializers listed as
 * graph inputs become constants; nodes are put in topological order; types of every value are
 * inferred. Every failure is one line that names the file and the tensor or node.
 */
public final class OnnxImporter {
    /** The default-domain opsets edgeopt reads. */
    public static final int MIN_OPSET = 7, MAX_OPSET = 21;

    private final Path baseDir;
    private final String label;
    private boolean inferTypes = true;

    private OnnxImporter(Path baseDir, String label) {
        this.baseDir = baseDir;
        this.label = label;
    }

    /** Loads a model file. */
    public static Graph load(Path file) {
        byte[] bytes;
        try {
            if (Files.isDirectory(file)) throw new EdgeoptException(file + ": is a directory, not an ONNX model");
            bytes = Files.readAllBytes(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new EdgeoptException(file + ": no such file");
        } catch (IOException e) {
            throw new EdgeoptException(file + ": cannot read: " + e.getMessage(), e);
        }
        Path dir = file.toAbsolutePath().getParent();
        return new OnnxImporter(dir, file.toString()).parse(bytes);
    }

    /** Loads a model from bytes; external data is refused (there is no folder to resolve it in). */
    public static Graph fromBytes(byte[] bytes, String label) { return new OnnxImporter(null, label).parse(bytes); }

    /** Loads without type inference (for tools that inspect unsupported models). */
    public static Graph loadRaw(Path file) throws IOException {
        OnnxImporter im = new OnnxImporter(file.toAbsolutePath().getParent(), file.toString());
        im.inferTypes = false;
        return im.parse(Files.readAllBytes(file));
    }

    private Graph parse(byte[] bytes) {
        if (bytes.length == 0) throw new EdgeoptException(label + ": file is empty");
        ModelProto m;
        try {
            m = ModelProto.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new EdgeoptException(label + ": not a valid ONNX model (truncated or corrupt protobuf: " + firstLine(e.getMessage()) + ")");
        }
        if (!m.hasGraph() || m.getIrVersion() <= 0) {
            throw new EdgeoptException(label + ": not an ONNX model (no " + (m.hasGraph() ? "ir_version" : "graph") + " field)");
        }
        Graph g = new Graph(m.getGraph().getName());
        g.opsetImports().clear();
        for (OperatorSetIdProto o : m.getOpsetImportList()) {
            String d = o.getDomain().equals("ai.onnx") ? "" : o.getDomain();
            g.opsetImports().put(d, o.getVersion());
        }
        if (!g.opsetImports().containsKey("")) {
            if (m.getOpsetImportCount() == 0) g.opsetImports().put("", 1L);
            else g.opsetImports().put("", (long) MAX_OPSET);
        }
        long opset = g.opsetImports().get("");
        if (opset < MIN_OPSET || opset > MAX_OPSET) {
            throw new EdgeoptException(label + ": default-domain opset " + opset + " is not supported (edgeopt reads opsets " + MIN_OPSET + " to " + MAX_OPSET + ")");
        }
        g.setIrVersion(m.getIrVersion());
        g.setProducerName(m.getProducerName());
        g.setProducerVersion(m.getProducerVersion());
        g.setDocString(m.getDocString());
        g.setModelVersion(m.getModelVersion());
        for (StringStringEntryProto e : m.getMetadataPropsList()) g.metadata().put(e.getKey(), e.getValue());
        try {
            readGraph(m.getGraph(), g);
            if (inferTypes) ShapeInference.annotate(g, Executor.evaluator());
        } catch (EdgeoptException e) {
            throw withLabel(e);
        }
        return g;
    }

    /**
     * Errors raised below the importer (registries, shape inference) name the node but not the
     * file; this adds it, keeping the exception's type so callers can still tell unsupported ops.
     */
    private EdgeoptException withLabel(EdgeoptException e) {
        if (e.getMessage().startsWith(label)) return e;
        String m = label + ": " + e.getMessage();
        EdgeoptException w = e instanceof UnsupportedOpException u ? new UnsupportedOpException(u.op(), m) : new EdgeoptException(m, e);
        w.setStackTrace(e.getStackTrace());
        return w;
    }

    private void readGraph(GraphProto gp, Graph g) {
        if (gp.getSparseInitializerCount() > 0) throw new EdgeoptException(label + ": sparse initializers are not supported");
        Map<String, TensorType> declared = new HashMap<>();
        for (ValueInfoProto vi : gp.getValueInfoList()) {
            TensorType t = typeOf(vi.getType(), "value_info '" + vi.getName() + "'");
            if (t != null) declared.put(vi.getName(), t);
        }
        Set<String> initNames = new HashSet<>();
        for (TensorProto tp : gp.getInitializerList()) {
            String name = tp.getName();
            if (name.isEmpty()) throw new EdgeoptException(label + ": an initializer has no name");
            if (!initNames.add(name)) throw new EdgeoptException(label + ": initializer '" + name + "' is defined twice");
            g.addInitializer(name, OnnxTensors.fromProto(tp, baseDir, label + ": initializer '" + name + "'"));
        }
        for (ValueInfoProto vi : gp.getInputList()) {
            if (initNames.contains(vi.getName())) continue; // an overridable default: edgeopt treats it as a constant
            TensorType t = typeOf(vi.getType(), "input '" + vi.getName() + "'");
            if (t == null) throw new EdgeoptException(label + ": graph input '" + vi.getName() + "' has no tensor type");
            if (g.value(vi.getName()) != null) throw new EdgeoptException(label + ": graph input '" + vi.getName() + "' is listed twice");
            g.addInput(vi.getName(), t);
        }
        // Outputs first, so a node reading a value produced later in the list still resolves; the
        // topological sort below fixes the order.
        List<NodeProto> nodes = new ArrayList<>();
        Map<String, NodeProto> producerOf = new HashMap<>();
        for (NodeProto np : gp.getNodeList()) {
            for (String out : np.getOutputList()) {
                if (out.isEmpty()) continue;
                NodeProto prev = producerOf.put(out, np);
                if (prev != null || g.value(out) != null) {
                    throw new EdgeoptException(label + ": value '" + out + "' has more than one producer (node '" + np.getName() + "'"
                            + (prev != null ? " and node '" + prev.getName() + "'" : " and a graph input or initializer") + ")");
                }
            }
            nodes.add(np);
        }
        Set<String> nodeNames = new HashSet<>();
        List<Node> built = new ArrayList<>();
        List<NodeProto> pending = new ArrayList<>();
        int idx = 0;
        for (NodeProto np : nodes) {
            String nodeName = np.getName().isEmpty() ? np.getOpType() + "_" + idx : np.getName();
            idx++;
            while (!nodeNames.add(nodeName)) nodeName = nodeName + "_" + idx;
            String domain = np.getDomain().equals("ai.onnx") ? "" : np.getDomain();
            if (domain.isEmpty() && np.getOpType().equals("Constant")) {
                importConstant(np, g, nodeName);
                continue;
            }
            List<String> outNames = new ArrayList<>();
            for (int i = 0; i < np.getOutputCount(); i++) {
                String o = np.getOutput(i);
                outNames.add(o.isEmpty() ? g.uniqueName(nodeName + "_unused" + i) : o);
            }
            Node n = g.insertNode(g.nodes().size(), np.getOpType(), domain, nodeName, List.of(), outNames);
            for (int i = 0; i < np.getOutputCount(); i++) {
                TensorType t = declared.get(np.getOutput(i));
                if (t != null) n.output(i).setType(t);
            }
            for (AttributeProto ap : np.getAttributeList()) {
                n.setAttr(ap.getName(), attribute(ap, n));
            }
            built.add(n);
            pending.add(np);
        }
        for (int k = 0; k < built.size(); k++) {
            Node n = built.get(k);
            NodeProto np = pending.get(k);
            for (int i = 0; i < np.getInputCount(); i++) {
                String in = np.getInput(i);
                if (in.isEmpty()) {
                    n.setInput(i, null);
                    continue;
                }
                Value v = g.value(in);
                if (v == null) throw new EdgeoptException(label + ": node " + n.describe() + " reads '" + in + "', which no node, input or initializer defines");
                n.setInput(i, v);
            }
        }
        for (ValueInfoProto vi : gp.getOutputList()) {
            Value v = g.value(vi.getName());
            if (v == null) throw new EdgeoptException(label + ": graph output '" + vi.getName() + "' is never computed");
            TensorType t = typeOf(vi.getType(), "output '" + vi.getName() + "'");
            if (t != null && v.type() == null && !v.isConstant()) v.setType(t);
            g.addOutput(v);
        }
        g.sortTopologically();
        if (inferTypes) {
            for (Node n : g.nodes()) OpRegistry.standard().require(n);
        }
    }

    private void importConstant(NodeProto np, Graph g, String nodeName) {
        if (np.getOutputCount() != 1) throw new EdgeoptException(label + ": Constant node '" + nodeName + "' must have one output");
        String what = label + ": Constant node '" + nodeName + "'";
        if (np.getAttributeCount() != 1) throw new EdgeoptException(what + " needs exactly one value attribute");
        AttributeProto a = np.getAttribute(0);
        Tensor t = switch (a.getName()) {
            case "value" -> OnnxTensors.fromProto(a.getT(), baseDir, what);
            case "value_float" -> Tensor.scalar(a.getF()).reshape();
            case "value_floats" -> {
                float[] f = new float[a.getFloatsCount()];
                for (int i = 0; i < f.length; i++) f[i] = a.getFloats(i);
                yield Tensor.of(f, f.length);
            }
            case "value_int" -> Tensor.scalarLong(a.getI()).reshape();
            case "value_ints" -> {
                long[] l = new long[a.getIntsCount()];
                for (int i = 0; i < l.length; i++) l[i] = a.getInts(i);
                yield Tensor.ofLongs(l, l.length);
            }
            case "value_string" -> Tensor.ofStrings(new String[] {a.getS().toStringUtf8()});
            case "value_strings" -> {
                String[] s = new String[a.getStringsCount()];
                for (int i = 0; i < s.length; i++) s[i] = a.getStrings(i).toStringUtf8();
                yield Tensor.ofStrings(s, s.length);
            }
            default -> throw new EdgeoptException(what + ": attribute '" + a.getName() + "' is not supported");
        };
        if (a.getName().equals("value_string")) t = t.reshape();
        String out = np.getOutput(0);
        g.addInitializer(out, t);
    }

    private Attribute attribute(AttributeProto a, Node n) {
        AttributeProto.AttributeType type = a.getType();
        if (type == AttributeProto.AttributeType.UNDEFINED) type = guessType(a);
        String what = label + ": node " + n.describe() + " attribute '" + a.getName() + "'";
        if (!a.getRefAttrName().isEmpty()) throw new EdgeoptException(what + " refers to a function attribute, which is not supported");
        return switch (type) {
            case FLOAT -> Attribute.of(a.getF());
            case INT -> Attribute.of(a.getI());
            case STRING -> Attribute.of(a.getS().toStringUtf8());
            case TENSOR -> Attribute.of(OnnxTensors.fromProto(a.getT(), baseDir, what));
            case FLOATS -> {
                float[] f = new float[a.getFloatsCount()];
                for (int i = 0; i < f.length; i++) f[i] = a.getFloats(i);
                yield Attribute.of(f);
            }
            case INTS -> {
                long[] l = new long[a.getIntsCount()];
                for (int i = 0; i < l.length; i++) l[i] = a.getInts(i);
                yield Attribute.of(l);
            }
            case STRINGS -> {
                String[] s = new String[a.getStringsCount()];
                for (int i = 0; i < s.length; i++) s[i] = a.getStrings(i).toStringUtf8();
                yield Attribute.of(s);
            }
            case TENSORS -> {
                Tensor[] t = new Tensor[a.getTensorsCount()];
                for (int i = 0; i < t.length; i++) t[i] = OnnxTensors.fromProto(a.getTensors(i), baseDir, what);
                yield Attribute.of(t);
            }
            case GRAPH, GRAPHS -> throw new EdgeoptException(what + " is a subgraph; control flow (If, Loop, Scan) is not supported");
            default -> throw new EdgeoptException(what + " has unsupported type " + type);
        };
    }

    private static AttributeProto.AttributeType guessType(AttributeProto a) {
        if (a.hasF()) return AttributeProto.AttributeType.FLOAT;
        if (a.hasI()) return AttributeProto.AttributeType.INT;
        if (a.hasS()) return AttributeProto.AttributeType.STRING;
        if (a.hasT()) return AttributeProto.AttributeType.TENSOR;
        if (a.hasG()) return AttributeProto.AttributeType.GRAPH;
        if (a.getFloatsCount() > 0) return AttributeProto.AttributeType.FLOATS;
        if (a.getIntsCount() > 0) return AttributeProto.AttributeType.INTS;
        if (a.getStringsCount() > 0) return AttributeProto.AttributeType.STRINGS;
        if (a.getTensorsCount() > 0) return AttributeProto.AttributeType.TENSORS;
        return AttributeProto.AttributeType.INTS; // an empty list
    }

    private TensorType typeOf(TypeProto tp, String what) {
        if (tp.getValueCase() == TypeProto.ValueCase.VALUE_NOT_SET) return null;
        if (!tp.hasTensorType()) throw new EdgeoptException(label + ": " + what + " has a " + tp.getValueCase().name().toLowerCase() + " type; only tensors are supported");
        TypeProto.Tensor tt = tp.getTensorType();
        DType dt = DType.fromOnnx(tt.getElemType());
        if (dt == null) throw new EdgeoptException(label + ": " + what + " has unsupported element type " + OnnxTensors.dataTypeName(tt.getElemType()));
        if (!tt.hasShape()) return new TensorType(dt, null);
        List<Dim> dims = new ArrayList<>();
        for (TensorShapeProto.Dimension d : tt.getShape().getDimList()) {
            if (d.hasDimValue()) {
                if (d.getDimValue() < 0) throw new EdgeoptException(label + ": " + what + " has negative dimension " + d.getDimValue());
                dims.add(Dim.of(d.getDimValue()));
            } else if (d.hasDimParam() && !d.getDimParam().isEmpty()) {
                dims.add(Dim.sym(d.getDimParam()));
            } else {
                dims.add(Dim.unknown());
            }
        }
        Shape s = Shape.of(dims);
        if (s.isStatic()) {
            try {
                s.toIntArray();
            } catch (ArithmeticException e) {
                throw new EdgeoptException(label + ": " + what + " shape " + s + " overflows (more elements than fit in memory)");
            }
        }
        return new TensorType(dt, s);
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }
}
