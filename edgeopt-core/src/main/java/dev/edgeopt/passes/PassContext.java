package dev.edgeopt.passes;

import java.util.ArrayList;
import java.util.List;

/** What passes report while they run: one entry per rewrite, for logs and the optimize report. */
public final class PassContext {
    /** One rewrite made by a pass. */
    public record Change(String pass, String description) {}

    private final List<Change> changes = new ArrayList<>();
    private String current = "";

    void enter(String pass) { current = pass; }

    /** Records a rewrite by the running pass, e.g. "folded bn1 into conv1". */
    public void changed(String description) { changes.add(new Change(current, description)); }

    public List<Change> changes() { return List.copyOf(changes); }

    public long count(String pass) { return changes.stream().filter(c -> c.pass().equals(pass)).count(); }
}
