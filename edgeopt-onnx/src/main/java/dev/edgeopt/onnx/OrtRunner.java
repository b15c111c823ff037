package dev.edgeopt.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.edgeopt.EdgeoptException;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ONNX Runtime, the oracle for whole models and the speed peer, behind edgeopt's Tensor type.
 * Sessions use a fixed intra-op thread count and one inter-op thread, so comparisons with the Java
 * engine use the same number of cores.
 */
public final class OrtRunner implements AutoCloseable {
    /** ONNX Runtime's graph optimization levels, named as in its API. */
    public enum OptLevel { NONE, BASIC, EXTENDED, ALL }

    private final OrtEnvironment env;
    private final OrtSession session;
    private final List<String> inputNames;
    private final List<String> outputNames;

    public OrtRunner(Path model, int threads, OptLevel level) {
        this(null, model, threads, level);
    }

    public OrtRunner(Graph graph, int threads, OptLevel level) {
        this(OnnxExporter.toBytes(graph), null, threads, level);
    }

    public OrtRunner(byte[] modelBytes, int threads, OptLevel level) {
        this(modelBytes, null, threads, level);
    }

    private OrtRunner(byte[] bytes, Path path, int threads, OptLevel level) {
        try {
            env = OrtEnvironment.getEnvironment();
            OrtSession.SessionOptions so = new OrtSession.SessionOptions();
            so.setIntraOpNumThreads(threads);
            so.setInterOpNumThreads(1);
            so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            so.setOptimizationLevel(switch (level) {
                case NONE -> OrtSession.SessionOptions.OptLevel.NO_OPT;
                case BASIC -> OrtSession.SessionOptions.OptLevel.BASIC_OPT;
                case EXTENDED -> OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
                case ALL -> OrtSession.SessionOptions.OptLevel.ALL_OPT;
            });
            session = path != null ? env.createSession(path.toString(), so) : env.createSession(bytes, so);
            inputNames = new ArrayList<>(session.getInputNames());
            outputNames = new ArrayList<>(session.getOutputNames());
        } catch (OrtException e) {
            throw new EdgeoptException((path != null ? path + ": " : "") + "ONNX Runtime cannot load the model: " + firstLine(e.getMessage()), e);
        }
    }

    public List<String> inputNames() { return inputNames; }

    public List<String> outputNames() { return outputNames; }

    /** Input shapes as ORT declares them (-1 for dynamic dims). */
    public Map<String, long[]> inputShapes() {
        try {
            Map<String, long[]> m = new LinkedHashMap<>();
            for (Map.Entry<String, NodeInfo> e : session.getInputInfo().entrySet()) {
                if (e.getValue().getInfo() instanceof TensorInfo ti) m.put(e.getKey(), ti.getShape());
            }
            return m;
        } catch (OrtException e) {
            throw new EdgeoptException("ONNX Runtime: " + e.getMessage(), e);
        }
    }

    /** Runs with inputs in the session's input order; returns outputs in its output order. */
    public Tensor[] run(Tensor... inputs) {
        if (inputs.length != inputNames.size()) {
            throw new EdgeoptException("ONNX Runtime session takes " + inputNames.size() + " inputs " + inputNames + ", got " + inputs.length);
        }
        Map<String, OnnxTensor> feed = new LinkedHashMap<>();
        try {
            for (int i = 0; i < inputs.length; i++) feed.put(inputNames.get(i), toOrt(env, inputs[i]));
            try (OrtSession.Result r = session.run(feed)) {
                Tensor[] out = new Tensor[outputNames.size()];
                for (int i = 0; i < out.length; i++) out[i] = fromOrt(r.get(i));
                return out;
            }
        } catch (OrtException e) {
            throw new EdgeoptException("ONNX Runtime failed: " + firstLine(e.getMessage()), e);
        } finally {
            for (OnnxTensor t : feed.values()) t.close();
        }
    }

    /** Runs with inputs by name. */
    public Map<String, Tensor> run(Map<String, Tensor> inputs) {
        Tensor[] in = new Tensor[inputNames.size()];
        for (int i = 0; i < in.length; i++) {
            in[i] = inputs.get(inputNames.get(i));
            if (in[i] == null) throw new EdgeoptException("missing input '" + inputNames.get(i) + "'");
        }
        Tensor[] out = run(in);
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (int i = 0; i < out.length; i++) m.put(outputNames.get(i), out[i]);
        return m;
    }

    /**
     * A reusable ORT input for benchmarks: creating OnnxTensors per call would time the copy, which
     * the Java engine's run does not pay.
     */
    public final class Prepared implements AutoCloseable {
        private final Map<String, OnnxTensor> feed = new LinkedHashMap<>();

        Prepared(Tensor[] inputs) throws OrtException {
            for (int i = 0; i < inputs.length; i++) feed.put(inputNames.get(i), toOrt(env, inputs[i]));
        }

        /** Runs once and discards the outputs. */
        public void run() {
            try (OrtSession.Result r = session.run(feed)) {
                if (r.size() == 0) throw new IllegalStateException("no outputs");
            } catch (OrtException e) {
                throw new EdgeoptException("ONNX Runtime failed: " + firstLine(e.getMessage()), e);
            }
        }

        @Override public void close() { for (OnnxTensor t : feed.values()) t.close(); }
    }

    public Prepared prepare(Tensor... inputs) {
        try {
            return new Prepared(inputs);
        } catch (OrtException e) {
            throw new EdgeoptException("ONNX Runtime: " + firstLine(e.getMessage()), e);
        }
    }

    static OnnxTensor toOrt(OrtEnvironment env, Tensor t) throws OrtException {
        long[] shape = new long[t.rank()];
        for (int i = 0; i < shape.length; i++) shape[i] = t.dim(i);
        Tensor c = t.offset() == 0 && java.lang.reflect.Array.getLength(t.data()) == t.size() ? t : t.copy();
        return switch (t.dtype()) {
            case FLOAT -> OnnxTensor.createTensor(env, FloatBuffer.wrap(c.floats()), shape);
            case DOUBLE -> OnnxTensor.createTensor(env, java.nio.DoubleBuffer.wrap(c.doubles()), shape);
            case INT64 -> OnnxTensor.createTensor(env, java.nio.LongBuffer.wrap(c.longs()), shape);
            case INT32 -> OnnxTensor.createTensor(env, java.nio.IntBuffer.wrap(c.ints()), shape);
            case INT16 -> OnnxTensor.createTensor(env, java.nio.ShortBuffer.wrap(c.shorts()), shape);
            case INT8 -> OnnxTensor.createTensor(env, ByteBuffer.wrap(c.bytes()), shape);
            case UINT8 -> OnnxTensor.createTensor(env, ByteBuffer.wrap(c.bytes()), shape, OnnxJavaType.UINT8);
            case FLOAT16 -> OnnxTensor.createTensor(env, packShorts(c.shorts()), shape, OnnxJavaType.FLOAT16);
            case BOOL -> {
                ByteBuffer b = ByteBuffer.allocateDirect(c.size());
                for (int i = 0; i < c.size(); i++) b.put(i, (byte) (c.bools()[i] ? 1 : 0));
                yield OnnxTensor.createTensor(env, b, shape, OnnxJavaType.BOOL);
            }
            case STRING -> OnnxTensor.createTensor(env, c.strings(), shape);
            default -> throw new EdgeoptException("ONNX Runtime bridge: dtype " + t.dtype() + " is not supported");
        };
    }

    private static ByteBuffer packShorts(short[] s) {
        ByteBuffer b = ByteBuffer.allocateDirect(s.length * 2).order(ByteOrder.nativeOrder());
        b.asShortBuffer().put(s);
        return b;
    }

    static Tensor fromOrt(OnnxValue v) throws OrtException {
        if (!(v instanceof OnnxTensor t)) throw new EdgeoptException("ONNX Runtime returned a non-tensor output");
        TensorInfo info = t.getInfo();
        long[] ls = info.getShape();
        int[] shape = new int[ls.length];
        for (int i = 0; i < ls.length; i++) shape[i] = (int) ls[i];
        int n = Tensor.numel(shape);
        return switch (info.type) {
            case FLOAT -> {
                float[] a = new float[n];
                t.getFloatBuffer().get(a);
                yield Tensor.of(a, shape);
            }
            case DOUBLE -> {
                double[] a = new double[n];
                t.getDoubleBuffer().get(a);
                yield Tensor.ofDoubles(a, shape);
            }
            case INT64 -> {
                long[] a = new long[n];
                t.getLongBuffer().get(a);
                yield Tensor.ofLongs(a, shape);
            }
            case INT32 -> {
                int[] a = new int[n];
                t.getIntBuffer().get(a);
                yield Tensor.ofInts(a, shape);
            }
            case INT16 -> {
                short[] a = new short[n];
                t.getShortBuffer().get(a);
                yield Tensor.of(DType.INT16, a, shape);
            }
            case INT8, UINT8 -> {
                byte[] a = new byte[n];
                t.getByteBuffer().get(a);
                yield Tensor.of(info.type == OnnxJavaType.UINT8 ? DType.UINT8 : DType.INT8, a, shape);
            }
            case BOOL -> {
                ByteBuffer b = t.getByteBuffer();
                boolean[] a = new boolean[n];
                for (int i = 0; i < n; i++) a[i] = b.get(i) != 0;
                yield Tensor.ofBools(a, shape);
            }
            case FLOAT16 -> {
                short[] a = new short[n];
                t.getShortBuffer().get(a);
                yield Tensor.of(DType.FLOAT16, a, shape);
            }
            default -> throw new EdgeoptException("ONNX Runtime bridge: output type " + info.type + " is not supported");
        };
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }

    @Override public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new EdgeoptException("ONNX Runtime: " + e.getMessage(), e);
        }
    }
}
