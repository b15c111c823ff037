package dev.edgeopt.ops;

import dev.edgeopt.EdgeoptException;

/** A model uses an op edgeopt does not know; carries the op so reports can count by op. */
public final class UnsupportedOpException extends EdgeoptException {
    private final String op;

    public UnsupportedOpException(String op, String message) {
        super(message);
        this.op = op;
    }

    public String op() { return op; }
}
