package dev.edgeopt.engine.kernels.int8;

import dev.edgeopt.engine.KernelContext;
import dev.edgeopt.engine.Scratch;
import dev.edgeopt.engine.ThreadPool;
import dev.edgeopt.ir.DType;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.ir.Node;
import dev.edgeopt.ir.TensorType;
import dev.edgeopt.ir.Value;
import dev.edgeopt.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Opt-in ({@code -Dbench=true}): QLinearAdd on mobilenet_v2's ten residual shapes, the table kernel
 * against the int32 vector rows, alternating in one process (rounds of each, best of 7 medians),
 * with {@code -Dbench.threads=N} (default 1). Prints; asserts only that both give the same bytes.
 *
 * <pre>./mvnw -q -o -pl edgeopt-core test -Dtest=QLinearBinaryBench -Dsurefire.failIfNoSpecifiedTests=false -Dbench=true</pre>
 */
@EnabledIfSystemProperty(named = "bench", matches = "true")
class QLinearBinaryBench {
    static final int THREADS = Integer.getInteger("bench.threads", 1);
    /** mobilenet_v2's residual Adds: channels and side, each with how many such Adds. */
    static final int[][] SHAPES = {{24, 56, 1}, {32, 28, 2}, {64, 14, 3}, {96, 14, 2}, {160, 7, 2}};

    static QLinearBinary kernel(boolean rows, int[] shape) {
        Graph g = new Graph("t");
        g.opsetImports().put("com.microsoft", 1L);
        DType t = DType.INT8;
        Tensor[] ins = {Tensor.allocate(t, shape), QLinearBinaryTest.scalar(0.05f), QLinearBinaryTest.zp(t, 3), Tensor.allocate(t, shape),
            QLinearBinaryTest.scalar(0.04f), QLinearBinaryTest.zp(t, -5), QLinearBinaryTest.scalar(0.07f), QLinearBinaryTest.zp(t, 1)};
        List<Value> vs = new ArrayList<>();
        for (int i = 0; i < ins.length; i++) vs.add(g.addInitializer("i" + i, ins[i]));
        Node node = g.insertNode(0, "QLinearAdd", "com.microsoft", "n", vs, List.of("y"));
        TensorType[] inT = new TensorType[ins.length];
        Tensor[] consts = new Tensor[ins.length];
        for (int i = 0; i < ins.length; i++) {
            inT[i] = ins[i].type();
            consts[i] = i == 0 || i == 3 ? null : ins[i];
        }
        return new QLinearBinary(new KernelContext(node, 13, inT, new TensorType[] {TensorType.of(t, shape)}, consts,
                ThreadPool.shared(THREADS), new Scratch()), false, rows);
    }

    @Test
    void residualAdds() {
        SplittableRandom r = new SplittableRandom(3);
        double tableTotal = 0, rowsTotal = 0;
        for (int[] s : SHAPES) {
            int[] shape = {1, s[0], s[1], s[1]};
            int n = Tensor.numel(shape);
            byte[] a = new byte[n], b = new byte[n];
            for (int i = 0; i < n; i++) {
                a[i] = (byte) r.nextInt(256);
                b[i] = (byte) r.nextInt(256);
            }
            Tensor[] ins = {Tensor.of(DType.INT8, a, shape), null, null, Tensor.of(DType.INT8, b, shape), null, null, null, null};
            Tensor ya = Tensor.allocate(DType.INT8, shape), yb = Tensor.allocate(DType.INT8, shape);
            QLinearBinary table = kernel(false, shape), rows = kernel(true, shape);
            if (table.vectorized() || !rows.vectorized()) throw new AssertionError("kernels not as intended");
            long bestT = Long.MAX_VALUE, bestR = Long.MAX_VALUE;
            for (int round = 0; round < 7; round++) {
                long[] tt = new long[201], tr = new long[201];
                for (int i = 0; i < tt.length; i++) {
                    long t0 = System.nanoTime();
                    table.run(ins, new Tensor[] {ya});
                    long t1 = System.nanoTime();
                    rows.run(ins, new Tensor[] {yb});
                    long t2 = System.nanoTime();
                    tt[i] = t1 - t0;
                    tr[i] = t2 - t1;
                }
                Arrays.sort(tt);
                Arrays.sort(tr);
                bestT = Math.min(bestT, tt[tt.length / 2]);
                bestR = Math.min(bestR, tr[tr.length / 2]);
            }
            if (!Arrays.equals(ya.bytes(), yb.bytes())) throw new AssertionError("outputs differ for " + Arrays.toString(shape));
            tableTotal += bestT * s[2];
            rowsTotal += bestR * s[2];
            System.out.printf("QLinearAdd %-16s x%d threads %d: table %7.1f us, int32 rows %7.1f us (%.1fx)%n", Arrays.toString(shape), s[2], THREADS,
                    bestT / 1e3, bestR / 1e3, (double) bestT / bestR);
        }
        System.out.printf("mobilenet_v2's 10 residual Adds, threads %d, load %.1f: table %.3f ms, int32 rows %.3f ms%n", THREADS,
                java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), tableTotal / 1e6, rowsTotal / 1e6);
    }
}
