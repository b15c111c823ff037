package dev.edgeopt.train;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The table of gradient rules, keyed by op name exactly like the schema and kernel registries, so
 * an op's gradient is found under the same one name as its other facets.
 */
public final class GradRules {
    private static volatile GradRules standard;
    private final Map<String, GradRule> rules = new TreeMap<>();

    public static GradRules standard() {
        GradRules r = standard;
        if (r == null) {
            synchronized (GradRules.class) {
                if (standard == null) {
                    GradRules s = new GradRules();
                    ConvGrad.register(s);
                    DenseGrads.register(s);
                    NormGrads.register(s);
                    ActivationGrads.register(s);
                    ArithmeticGrads.register(s);
                    ShapeGrads.register(s);
                    PoolGrads.register(s);
                    standard = s;
                }
                r = standard;
            }
        }
        return r;
    }

    public void register(String op, GradRule rule) {
        if (rules.putIfAbsent(op, rule) != null) throw new IllegalStateException("gradient rule " + op + " registered twice");
    }

    public GradRule find(String op) { return rules.get(op); }

    public Set<String> ops() { return Collections.unmodifiableSet(rules.keySet()); }
}
