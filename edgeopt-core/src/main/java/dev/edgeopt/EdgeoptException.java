package dev.edgeopt;

/**
 * A problem with the user's input (a model, a data file, an option) or a request edgeopt cannot
 * serve. Its message is one line that names the file or node and the problem; the CLI prints it
 * as is and exits with 1. Programming errors stay ordinary runtime exceptions.
 */
public class EdgeoptException extends RuntimeException {
    public EdgeoptException(String message) { super(message); }

    public EdgeoptException(String message, Throwable cause) { super(message, cause); }
}
