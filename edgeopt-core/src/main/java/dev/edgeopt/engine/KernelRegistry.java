package dev.edgeopt.engine;

import dev.edgeopt.EdgeoptException;
import dev.edgeopt.engine.kernels.ElementwiseKernels;
import dev.edgeopt.engine.kernels.FusedKernels;
import dev.edgeopt.engine.kernels.LinalgKernels;
import dev.edgeopt.engine.kernels.NnKernels;
import dev.edgeopt.engine.kernels.QuantKernels;
import dev.edgeopt.engine.kernels.ReduceKernels;
import dev.edgeopt.engine.kernels.ShapeKernels;
import dev.edgeopt.ir.Node;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The table of kernel factories, keyed like the op registry (domain and op name). One factory per
 * op; it dispatches on dtypes and shapes itself, choosing an optimized kernel where one applies and
 * the reference kernel otherwise.
 */
public final class KernelRegistry {
    private static volatile KernelRegistry standard;
    private final Map<String, KernelFactory> factories = new TreeMap<>();
    private final Map<String, java.util.function.Predicate<Node>> viewOps = new java.util.HashMap<>();

    public static KernelRegistry standard() {
        KernelRegistry r = standard;
        if (r == null) {
            synchronized (KernelRegistry.class) {
                if (standard == null) {
                    KernelRegistry s = new KernelRegistry();
                    ElementwiseKernels.register(s);
                    ShapeKernels.register(s);
                    NnKernels.register(s);
                    LinalgKernels.register(s);
                    ReduceKernels.register(s);
                    QuantKernels.register(s);
                    FusedKernels.register(s);
                    standard = s;
                }
                r = standard;
            }
        }
        return r;
    }

    private static String key(String domain, String op) {
        String d = domain == null || domain.equals("ai.onnx") ? "" : domain;
        return d + ":" + op;
    }

    public void register(String op, KernelFactory f) { register("", op, f); }

    public void register(String domain, String op, KernelFactory f) {
        if (factories.putIfAbsent(key(domain, op), f) != null) throw new IllegalStateException("kernel " + op + " registered twice");
    }

    /**
     * Declares that output 0 of {@code op} holds exactly input 0's elements in the same order
     * (Reshape, Flatten, Squeeze...). The planner then makes the output a view of the input's buffer
     * and skips the kernel when it can; the kernel (a copy) still runs when it cannot.
     */
    public void registerView(String op) { viewOps.put(key("", op), n -> true); }

    /**
     * As {@link #registerView(String)} for the nodes of {@code op} that satisfy {@code when} (e.g.
     * Dropout only without a mask output, since a skipped kernel would not write the mask).
     */
    public void registerView(String op, java.util.function.Predicate<Node> when) { viewOps.put(key("", op), when); }

    public boolean isView(Node n) {
        java.util.function.Predicate<Node> p = viewOps.get(key(n.domain(), n.opType()));
        return p != null && p.test(n);
    }

    public KernelFactory find(String domain, String op) { return factories.get(key(domain, op)); }

    public KernelFactory require(Node n) {
        KernelFactory f = find(n.domain(), n.opType());
        if (f == null) {
            String op = n.domain().isEmpty() ? n.opType() : n.domain() + "." + n.opType();
            throw new EdgeoptException("op '" + op + "' at node '" + n.name() + "' has no kernel in the Java engine");
        }
        return f;
    }

    public Set<String> ops() { return Collections.unmodifiableSet(factories.keySet()); }
}
