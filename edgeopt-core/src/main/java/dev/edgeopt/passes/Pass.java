package dev.edgeopt.passes;

import dev.edgeopt.ir.Graph;

/**
 * A named function from Graph to Graph. A pass receives a graph it may mutate (the
 * {@link PassManager} hands it a copy) and returns the result. A rewrite whose preconditions fail
 * leaves the graph unchanged and does not throw.
 */
public interface Pass {
    /** Short kebab-case name used in pipelines, logs and {@code --passes}. */
    String name();

    /** One line for {@code --help} and reports. */
    String description();

    Graph run(Graph g, PassContext ctx);
}
