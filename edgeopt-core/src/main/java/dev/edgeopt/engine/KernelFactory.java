package dev.edgeopt.engine;

/** Creates a {@link Kernel} for one node with concrete shapes (TFLite Micro's "prepare"). */
@FunctionalInterface
public interface KernelFactory {
    /** @throws dev.edgeopt.EdgeoptException via {@link KernelContext#fail} when the node cannot run */
    Kernel create(KernelContext kc);
}
