package dev.edgeopt.engine.kernels;

import static dev.edgeopt.engine.kernels.KernelHarness.random;
import static dev.edgeopt.engine.kernels.KernelHarness.run;
import static dev.edgeopt.engine.kernels.KernelHarness.window;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgeopt.ir.Attribute;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Reductions, Softmax and TopK against brute-force references over multi-indices. */
class ReduceKernelsTest {
    static final int[] SHAPE = {3, 4, 5, 7};

    static int[] unflatten(int i, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = i % shape[d];
            i /= shape[d];
        }
        return idx;
    }

    static void assertClose(double want, double got, String what) {
        if (Math.abs(want - got) > 1e-5 + 1e-5 * Math.abs(want)) throw new AssertionError(what + ": got " + got + ", expected " + want);
    }

    @Test
    void reductionsOverEveryAxisSetMatchBruteForce() {
        Random rnd = new Random(11);
        int n = Tensor.numel(SHAPE);
        float[] xv = random(rnd, n);
        for (String op : new String[] {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSumExp", "ReduceProd"}) {
            for (int mask = 0; mask < 16; mask++) {
                for (int threads : new int[] {1, 2}) {
                    List<Long> axes = new ArrayList<>();
                    for (int d = 0; d < 4; d++) if ((mask >> d & 1) != 0) axes.add((long) d - (d == 3 ? 4 : 0)); // one negative axis
                    int[] outShape = SHAPE.clone();
                    for (int d = 0; d < 4; d++) if (mask == 0 || (mask >> d & 1) != 0) outShape[d] = 1;
                    long[] ax = axes.stream().mapToLong(Long::longValue).toArray();
                    Tensor y;
                    Tensor x = window(rnd, xv, SHAPE);
                    if (op.equals("ReduceSum")) {
                        y = run(op, Map.of(), 13, threads, new Tensor[] {x, Tensor.vector(ax)}, TensorType.of(DType.FLOAT, outShape))[0];
                    } else {
                        Map<String, Attribute> at = ax.length == 0 ? Map.of() : Map.of("axes", Attribute.of(ax));
                        y = run(op, at, 13, threads, new Tensor[] {x}, TensorType.of(DType.FLOAT, outShape))[0];
                    }
                    List<List<Double>> groups = new ArrayList<>();
                    for (int i = 0; i < y.size(); i++) groups.add(new ArrayList<>());
                    for (int i = 0; i < n; i++) {
                        int[] idx = unflatten(i, SHAPE);
                        int o = 0;
                        for (int d = 0; d < 4; d++) o = o * outShape[d] + (outShape[d] == 1 ? 0 : idx[d]);
                        groups.get(o).add((double) xv[i]);
                    }
                    for (int o = 0; o < y.size(); o++) {
                        List<Double> g = groups.get(o);
                        double want = switch (op) {
                            case "ReduceSum" -> g.stream().mapToDouble(v -> v).sum();
                            case "ReduceMean" -> g.stream().mapToDouble(v -> v).average().orElseThrow();
                            case "ReduceMax" -> g.stream().mapToDouble(v -> v).max().orElseThrow();
                            case "ReduceMin" -> g.stream().mapToDouble(v -> v).min().orElseThrow();
                            case "ReduceL1" -> g.stream().mapToDouble(Math::abs).sum();
                            case "ReduceL2" -> Math.sqrt(g.stream().mapToDouble(v -> v * v).sum());
                            case "ReduceSumSquare" -> g.stream().mapToDouble(v -> v * v).sum();
                            case "ReduceLogSumExp" -> Math.log(g.stream().mapToDouble(Math::exp).sum());
                            default -> g.stream().mapToDouble(v -> v).reduce(1, (p, q) -> p * q);
                        };
                        assertClose(want, y.getFloat(o), op + " axes " + axes + " output " + o);
                    }
                }
            }
        }
    }

    @Test
    void softmaxFamilyOverEachAxisAndLegacyCoercion() {
        Random rnd = new Random(12);
        int n = Tensor.numel(SHAPE);
        float[] xv = random(rnd, n);
        for (int opset : new int[] {11, 13}) {
            for (int axis = -1; axis < 4; axis++) {
                for (String op : new String[] {"Softmax", "LogSoftmax", "Hardmax"}) {
                    Tensor y = run(op, Map.of("axis", Attribute.of((long) axis)), opset, 2, new Tensor[] {window(rnd, xv, SHAPE)},
                            TensorType.of(DType.FLOAT, SHAPE))[0];
                    int a = axis < 0 ? 3 : axis;
                    // Group elements: opset 13 normalizes along one axis; opset 11 over all axes >= a.
                    Map<Integer, List<Integer>> groups = new java.util.TreeMap<>();
                    for (int i = 0; i < n; i++) {
                        int[] idx = unflatten(i, SHAPE);
                        int key = 0;
                        for (int d = 0; d < 4; d++) {
                            boolean inGroup = opset >= 13 ? d == a : d >= a;
                            key = key * SHAPE[d] + (inGroup ? 0 : idx[d]);
                        }
                        groups.computeIfAbsent(key, k -> new ArrayList<>()).add(i);
                    }
                    for (List<Integer> g : groups.values()) {
                        double m = Double.NEGATIVE_INFINITY, s = 0;
                        int arg = -1;
                        for (int i : g) if (xv[i] > m) { m = xv[i]; arg = i; }
                        for (int i : g) s += Math.exp(xv[i] - m);
                        for (int i : g) {
                            double want = switch (op) {
                                case "Softmax" -> Math.exp(xv[i] - m) / s;
                                case "LogSoftmax" -> xv[i] - m - Math.log(s);
                                default -> i == arg ? 1 : 0;
                            };
                            assertClose(want, y.getFloat(i), op + " opset " + opset + " axis " + axis + " element " + i);
                        }
                    }
                }
            }
        }
    }

    @Test
    void parallelSplitGivesTheSingleThreadResult() {
        // Large enough that the pool splits the outputs (or softmax lines) across threads.
        int[] shape = {4, 64, 301};
        Random rnd = new Random(13);
        float[] xv = random(rnd, Tensor.numel(shape));
        for (long axis : new long[] {1, 2}) {
            int[] red = shape.clone();
            red[(int) axis] = 1;
            for (String op : new String[] {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceLogSumExp", "Softmax", "LogSoftmax"}) {
                boolean softmax = op.endsWith("Softmax");
                Map<String, Attribute> at = softmax ? Map.of("axis", Attribute.of(axis)) : Map.of("axes", Attribute.of(new long[] {axis}));
                TensorType outT = TensorType.of(DType.FLOAT, softmax ? shape : red);
                Tensor one = run(op, at, 13, 1, new Tensor[] {window(rnd, xv, shape)}, outT)[0];
                Tensor two = run(op, at, 13, 2, new Tensor[] {window(rnd, xv, shape)}, outT)[0];
                assertEquals(java.util.Arrays.toString(one.toFloatArray()), java.util.Arrays.toString(two.toFloatArray()), op + " axis " + axis);
            }
        }
    }

    @Test
    void topKIsStableAndArgMaxHonoursLastIndex() {
        float[] v = {3, 1, 3, 2, 1, 3, 0};
        Tensor[] r = run("TopK", Map.of(), 11, 1, new Tensor[] {window(new Random(1), v, 7), Tensor.vector(4L)},
                TensorType.of(DType.FLOAT, 4), TensorType.of(DType.INT64, 4));
        assertEquals("[3.0, 3.0, 3.0, 2.0]", java.util.Arrays.toString(r[0].toFloatArray()));
        assertEquals("[0, 2, 5, 3]", java.util.Arrays.toString(r[1].toLongArray()));
        Tensor[] s = run("TopK", Map.of("largest", Attribute.of(0L)), 11, 1, new Tensor[] {window(new Random(1), v, 7), Tensor.vector(3L)},
                TensorType.of(DType.FLOAT, 3), TensorType.of(DType.INT64, 3));
        assertEquals("[6, 1, 4]", java.util.Arrays.toString(s[1].toLongArray()));
        Tensor first = run("ArgMax", Map.of(), 13, 1, new Tensor[] {window(new Random(2), v, 7)}, TensorType.of(DType.INT64, 1))[0];
        Tensor last = run("ArgMax", Map.of("select_last_index", Attribute.of(1L)), 13, 1, new Tensor[] {window(new Random(2), v, 7)},
                TensorType.of(DType.INT64, 1))[0];
        assertEquals(0, first.getLong(0));
        assertEquals(5, last.getLong(0));
    }
}
