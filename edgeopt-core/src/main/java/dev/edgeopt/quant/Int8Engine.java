package dev.edgeopt.quant;

import dev.edgeopt.engine.Executor;
import dev.edgeopt.ir.Graph;
import dev.edgeopt.passes.EliminateDeadCode;
import dev.edgeopt.passes.LowerQdq;
import dev.edgeopt.passes.PassManager;
import dev.edgeopt.tensor.Tensor;
import java.util.List;

/**
 * The integer-only engine: a QDQ model is lowered by {@link LowerQdq} to integer ops and then run
 * by the ordinary {@link Executor}. Only the model's boundaries compute in float (QuantizeLinear of
 * the float input, DequantizeLinear of the output), plus any op the lowering could not take,
 * listed by {@link #floatOps()}.
 *
 * <p>No other pass runs first: constant folding would turn the DequantizeLinear of each weight
 * back into a float constant and hide the pattern.
 */
public final class Int8Engine implements AutoCloseable {
    private final Graph lowered;
    private final List<String> floatOps;
    private final Executor executor;

    public Int8Engine(Graph qdq, int threads) {
        lowered = lower(qdq);
        floatOps = LowerQdq.floatOps(lowered);
        executor = new Executor(lowered, threads);
    }

    /** The QDQ graph lowered to integer ops (the QOperator form, plus edgeopt's QLinearLookup). */
    public static Graph lower(Graph qdq) {
        return new PassManager(List.of(new LowerQdq(), new EliminateDeadCode())).run(qdq).graph();
    }

    /**
     * The QOperator form for other runtimes: {@link #lower} with each QLinearLookup written back as
     * DequantizeLinear → float op → QuantizeLinear (ONNX Runtime has no table op).
     */
    public static Graph qoperator(Graph qdq) {
        return dev.edgeopt.passes.Pipelines.forExport().run(lower(qdq)).graph();
    }

    /** What {@link #floatOps()} would list for {@code qdq}, without building an engine. */
    public static List<String> floatOpsAfterLowering(Graph qdq) { return LowerQdq.floatOps(lower(qdq)); }

    public Graph lowered() { return lowered; }

    /** Ops that still compute in float, each as "op (node) stays float"; empty when integer-only. */
    public List<String> floatOps() { return floatOps; }

    public Executor executor() { return executor; }

    public Tensor[] run(Tensor... inputs) { return executor.run(inputs); }

    @Override public void close() { executor.close(); }
}
