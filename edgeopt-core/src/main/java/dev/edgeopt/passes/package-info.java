/**
 * Graph-to-graph passes: the {@link dev.edgeopt.passes.Pass} contract, the
 * {@link dev.edgeopt.passes.PassManager} that verifies after each pass and logs what each one
 * rewrote, {@link dev.edgeopt.passes.Equivalence} (before/after outputs in the Java engine), and
 * {@link dev.edgeopt.passes.Pipelines}, the one file that fixes pipeline order. Each rewrite is its
 * own class; a rewrite whose preconditions fail leaves the graph unchanged and does not throw.
 * {@link dev.edgeopt.passes.LowerToStandardOnnx} runs before export so other runtimes load the result.
 * {@link dev.edgeopt.passes.OpsetUpgrade} is the one way a graph moves to a newer opset (it keeps what the graph computes).
 */
package dev.edgeopt.passes;
