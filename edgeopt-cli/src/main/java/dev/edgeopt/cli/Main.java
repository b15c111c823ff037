package dev.edgeopt.cli;

import dev.edgeopt.EdgeoptException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code edgeopt} command: a list of subcommands, each its own class. */
@Command(name = "edgeopt", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Import ONNX models, run them in edgeopt's Java engine, optimize them and compile them for IoT devices.",
        subcommands = {
            // Adding a command is one line here.
            InspectCommand.class,
            AnalyzeCommand.class,
            DevicesCommand.class,
            RunCommand.class,
            BenchCommand.class,
            OptimizeCommand.class,
            ConformanceCommand.class,
            DemoCommand.class,
            TrainCommand.class,
            EvalCommand.class,
            QuantizeCommand.class,
            CommandLine.HelpCommand.class,
        })
public final class Main implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() {
        // No subcommand: show what there is, and fail like any other usage error.
        throw new CommandLine.ParameterException(spec.commandLine(), "missing a command");
    }

    public static void main(String[] args) {
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs a command line with the given streams and returns the exit code (0 ok, 1 bad input or usage). */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = commandLine();
        cl.setOut(out);
        cl.setErr(err);
        return cl.execute(args);
    }

    /** The configured command tree; tests and the README check read it. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        reflowDescriptions(cl);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((ex, args) -> {
            // A usage mistake is bad input too: one line, the way out, exit 1.
            CommandLine cmd = ex.getCommandLine();
            cmd.getErr().println("edgeopt: " + ex.getMessage() + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
            cmd.getErr().flush();
            return 1;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            // Bad input is one line naming the file or node; anything else is a bug and keeps its trace.
            EdgeoptException ee = edgeoptCause(ex);
            if (ee != null) {
                cmd.getErr().println("edgeopt: " + ee.getMessage());
                cmd.getErr().flush();
                return 1;
            }
            throw ex;
        });
        return cl;
    }

    /**
     * Descriptions are written in the sources as arrays of source-width lines; picocli prints each
     * element as its own line and wraps it again at the terminal width, which leaves ragged
     * half-lines. Joined into one paragraph, picocli wraps them cleanly.
     */
    private static void reflowDescriptions(CommandLine cl) {
        CommandLine.Model.CommandSpec spec = cl.getCommandSpec();
        String[] d = spec.usageMessage().description();
        if (d.length > 1) spec.usageMessage().description(String.join(" ", d));
        for (CommandLine.Model.OptionSpec o : new java.util.ArrayList<>(spec.options())) {
            if (o.description().length > 1) {
                spec.remove(o);
                spec.addOption(o.toBuilder().description(String.join(" ", o.description())).build());
            }
        }
        for (CommandLine.Model.PositionalParamSpec p : new java.util.ArrayList<>(spec.positionalParameters())) {
            if (p.description().length > 1) {
                spec.remove(p);
                spec.addPositional(p.toBuilder().description(String.join(" ", p.description())).build());
            }
        }
        for (CommandLine sub : cl.getSubcommands().values()) reflowDescriptions(sub);
    }

    private static EdgeoptException edgeoptCause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) if (c instanceof EdgeoptException e) return e;
        return null;
    }

    /** The version comes from the jar's build (resource filtered by Maven). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            if (v == null) v = versionFromResource();
            return new String[] {"edgeopt " + v, "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"};
        }

        private static String versionFromResource() {
            try (var in = Main.class.getResourceAsStream("version.properties")) {
                if (in == null) return "unknown";
                var p = new java.util.Properties();
                p.load(in);
                return p.getProperty("version", "unknown");
            } catch (java.io.IOException e) {
                return "unknown";
            }
        }
    }
}
