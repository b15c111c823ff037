package dev.edgeopt.ir;

/** Human-readable text form of a graph, for logs, test failures and {@code --verbose}. */
public final class GraphPrinter {
    private GraphPrinter() {}

    public static String print(Graph g) {
        StringBuilder b = new StringBuilder();
        b.append("graph ").append(g.name()).append(" (opset ").append(g.opset()).append(")\n");
        for (Value v : g.inputs()) b.append("  input  ").append(v).append('\n');
        for (Value v : g.initializers()) b.append("  const  ").append(v).append('\n');
        for (Node n : g.nodes()) {
            b.append("  ");
            for (int i = 0; i < n.outputCount(); i++) b.append(i == 0 ? "" : ", ").append(n.output(i));
            b.append(" = ").append(n.domain().isEmpty() ? "" : n.domain() + ".").append(n.opType()).append('(');
            for (int i = 0; i < n.inputCount(); i++) b.append(i == 0 ? "" : ", ").append(n.input(i) == null ? "" : n.input(i).name());
            b.append(')');
            if (!n.attributes().isEmpty()) b.append(' ').append(n.attributes());
            b.append("  # ").append(n.name()).append('\n');
        }
        for (Value v : g.outputs()) b.append("  output ").append(v).append('\n');
        return b.toString();
    }
}
