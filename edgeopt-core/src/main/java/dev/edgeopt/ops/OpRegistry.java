package dev.edgeopt.ops;

import dev.edgeopt.ir.Node;
import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The table of op schemas, keyed by domain and name. The standard table is filled by one
 * {@code register} method per op family, listed in {@link #standard()}; adding an op means adding
 * it to its family's table.
 */
public final class OpRegistry {
    private static volatile OpRegistry standard;
    private final Map<String, OpSchema> schemas = new TreeMap<>();

    public static OpRegistry standard() {
        OpRegistry r = standard;
        if (r == null) {
            synchronized (OpRegistry.class) {
                if (standard == null) {
                    OpRegistry s = new OpRegistry();
                    ElementwiseSchemas.register(s);
                    ShapeSchemas.register(s);
                    NnSchemas.register(s);
                    LinalgSchemas.register(s);
                    ReduceSchemas.register(s);
                    QuantSchemas.register(s);
                    FusedSchemas.register(s);
                    standard = s;
                }
                r = standard;
            }
        }
        return r;
    }

    private static String key(String domain, String name) {
        String d = domain == null || domain.equals("ai.onnx") ? "" : domain;
        return d + ":" + name;
    }

    public void register(OpSchema s) {
        if (schemas.putIfAbsent(key(s.domain(), s.name()), s) != null) {
            throw new IllegalStateException("op " + s.name() + " registered twice");
        }
    }

    /** The schema, or null when the op is unknown. */
    public OpSchema find(String domain, String name) { return schemas.get(key(domain, name)); }

    /** The node's schema. @throws EdgeoptException naming the op and the node when unknown */
    public OpSchema require(Node n) {
        OpSchema s = find(n.domain(), n.opType());
        if (s == null) {
            String op = n.domain().isEmpty() ? n.opType() : n.domain() + "." + n.opType();
            throw new UnsupportedOpException(op, "unknown op '" + op + "' at node '" + n.name() + "'");
        }
        return s;
    }

    public Collection<OpSchema> all() { return Collections.unmodifiableCollection(schemas.values()); }
}
