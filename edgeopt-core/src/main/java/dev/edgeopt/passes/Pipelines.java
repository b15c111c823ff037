package dev.edgeopt.passes;

import dev.edgeopt.EdgeoptException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The order of the pass pipelines, in one place. {@link #engine} is what the Java engine applies
 * at a given level (like ONNX Runtime's session-level optimizations); {@link #defaults()} is what
 * {@code edgeopt optimize} runs; {@link #forExport()} runs before writing ONNX.
 */
public final class Pipelines {
    private Pipelines() {}

    /** Graph optimization levels, mirroring ONNX Runtime's so both engines can be compared at one level. */
    public enum Level { NONE, BASIC, ALL }

    public static PassManager engine(Level level) {
        List<Pass> p = new ArrayList<>();
        if (level == Level.NONE) return new PassManager(p);
        // BASIC: rewrites that compute bit-identical results.
        // Identity/Dropout first, so every later pattern sees producer -> consumer directly.
        p.add(new RemoveNoOps());
        // Shape subgraphs become constants, which lets no-op Reshapes and the folds below see
        // constant shapes and weights (e.g. a weight Transpose exported as a node).
        p.add(new FoldConstants());
        p.add(new CollapseTransposes());
        p.add(new CollapseReshapes());
        // Collapsed pairs may now be identities, and folding leaves Reshapes to the same shape.
        p.add(new RemoveNoOps());
        p.add(new EliminateDeadCode());
        if (level == Level.BASIC) return new PassManager(p);
        // ALL: folds and fusions that reassociate float arithmetic (errors of one rounding).
        // Recognize decomposed activations before fusing, so a HardSwish can join its conv.
        p.add(new FuseHardSwish());
        p.add(new FuseLayerNorm());
        p.add(new FuseGelu());
        // MatMul + Add becomes Gemm before BN folding, so a BN after it folds into the Gemm.
        p.add(new MatMulAddToGemm());
        // Per-channel folds around BN, so the Conv -> Add -> BN of a separately exported bias and
        // the Conv -> BN -> Add of a post-BN shift both end up in the conv. All run before
        // fold-pad: folding into a following conv needs that conv still unpadded.
        p.add(new FoldBiasAdd());
        p.add(new FoldChannelScale());
        p.add(new FoldBatchNorm());
        p.add(new FoldBiasAdd());
        p.add(new FoldChannelScale());
        p.add(new FoldPad());
        // Activation fusion last: every fold above matches plain Conv/Gemm, not the fused ops.
        p.add(new FuseActivation());
        // Not fuse-inverted-residual: it would go here (its pattern is the FusedConv chains above),
        // but measured inside mobilenet_v2 the fused blocks are no faster than those chains (see
        // its class comment); it runs by name.
        p.add(new EliminateDeadCode());
        return new PassManager(p);
    }

    public static PassManager defaults() { return engine(Level.ALL); }

    /** Run before export: edgeopt-only ops back to standard ONNX, then a cleanup. */
    public static PassManager forExport() {
        return new PassManager(List.of(new LowerToStandardOnnx(), new EliminateDeadCode()));
    }

    /** Every pass by name, for {@code --passes a,b,c}. */
    public static Map<String, Pass> all() {
        Map<String, Pass> m = new LinkedHashMap<>();
        for (Pass p : List.of(new RemoveNoOps(), new FoldConstants(), new EliminateDeadCode(), new CollapseTransposes(),
                new CollapseReshapes(), new FuseHardSwish(), new FuseLayerNorm(), new FuseGelu(), new MatMulAddToGemm(),
                new FoldBatchNorm(), new FoldBiasAdd(), new FoldChannelScale(), new FoldPad(), new FuseActivation(),
                new FuseInvertedResidual(),
                new LowerToStandardOnnx(), new LowerQdq())) {
            m.put(p.name(), p);
        }
        return m;
    }

    /**
     * A pipeline from a comma-separated list of pass names, or "default".
     *
     * @throws EdgeoptException naming an unknown pass and listing the known ones
     */
    public static PassManager parse(String list) {
        if (list == null || list.isBlank() || list.equals("default")) return defaults();
        Map<String, Pass> all = all();
        List<Pass> p = new ArrayList<>();
        for (String s : list.split(",")) {
            String k = s.trim();
            if (k.isEmpty()) continue;
            Pass x = all.get(k);
            if (x == null) throw new EdgeoptException("unknown pass '" + k + "'; passes are " + String.join(", ", all.keySet()));
            p.add(x);
        }
        return new PassManager(p);
    }
}
