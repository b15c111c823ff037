/**
 * Graph-to-graph passes: the {@link dev.edgeopt.passes.Pass} contract, the
 * {@link dev.edgeopt.passes.PassManager} that verifies after each pass, and
 * {@link dev.edgeopt.passes.Pipelines}, the one file that fixes pipeline order.
 */
package dev.edgeopt.passes;
