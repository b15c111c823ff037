package dev.edgeopt.passes;

import java.util.ArrayList;
import java.util.List;

/** What passes report while they run: one entry per rewrite, for logs and the optimize report. */
public final class PassContext {
    /** One rewrite made by a pass: the pass, the node it centred on, and what it did. */
    public record Change(String pass, String node, String description) {
        @Override public String toString() { return pass + ": " + (node.isEmpty() ? "" : node + ": ") + description; }
    }

    private final List<Change> changes = new ArrayList<>();
    private String current = "";

    void enter(String pass) { current = pass; }

    /** Records a rewrite by the running pass, e.g. {@code changed("bn1", "folded into conv1")}. */
    public void changed(String node, String description) { changes.add(new Change(current, node == null ? "" : node, description)); }

    /** Records a rewrite that is not about one node. */
    public void changed(String description) { changed("", description); }

    public List<Change> changes() { return List.copyOf(changes); }

    public List<Change> changes(String pass) { return changes.stream().filter(c -> c.pass().equals(pass)).toList(); }

    public long count(String pass) { return changes.stream().filter(c -> c.pass().equals(pass)).count(); }
}
