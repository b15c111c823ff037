/**
 * The {@code edgeopt} command-line tool: one picocli class per command, listed in {@link
 * dev.edgeopt.cli.Main}; input binding, seeded inputs, batch rewriting and JSON output shared in {@link
 * dev.edgeopt.cli.Cli}. Bad input ends with exit code 1 and one line on stderr.
 */
package dev.edgeopt.cli;
