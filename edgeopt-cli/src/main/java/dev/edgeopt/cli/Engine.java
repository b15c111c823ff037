package dev.edgeopt.cli;

/** Which runtime executes a model: edgeopt's Java engine or ONNX Runtime (the oracle and speed peer). */
enum Engine {
    JAVA, ORT;

    @Override public String toString() { return name().toLowerCase(java.util.Locale.ROOT); }
}
