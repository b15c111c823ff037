package dev.edgeopt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The README tells the truth about the commands and about what CI runs. */
class ReadmeTest {
    static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("README.md")) && Files.exists(p.resolve(".ci/run"))) return p;
        }
        throw new AssertionError("no README.md with .ci/run above " + Path.of("").toAbsolutePath());
    }

    /** The first line of the fenced block right after the README's "Run the tests" sentence. */
    static String readmeTestCommand(String readme) {
        Matcher m = Pattern.compile("Run the tests[^\\n]*\\n+```\\n([^\\n]+)\\n").matcher(readme);
        assertTrue(m.find(), "README has a 'Run the tests' paragraph followed by a command block");
        return m.group(1).strip();
    }

    /** The last command .ci/run runs (after installing packages). */
    static String ciTestCommand(List<String> script) {
        String last = null;
        for (String l : script) {
            String s = l.strip();
            if (!s.isEmpty() && !s.startsWith("#") && !s.equals("fi") && !s.equals("done")) last = s;
        }
        return last;
    }

    @Test void testCommandIsWhatCiRuns() throws IOException {
        String readme = Files.readString(root().resolve("README.md"));
        String ci = ciTestCommand(Files.readAllLines(root().resolve(".ci/run")));
        assertEquals(readmeTestCommand(readme), ci);
        assertTrue(ci.startsWith("./mvnw ") && ci.contains(" test"), ci);
    }

    @Test void everyCommandTheReadmeMentionsExists() throws IOException {
        String readme = Files.readString(root().resolve("README.md"));
        Set<String> known = Main.commandLine().getSubcommands().keySet();
        Set<String> mentioned = new TreeSet<>();
        Matcher m = Pattern.compile("\\./edgeopt ([a-z][a-z-]*)").matcher(readme);
        while (m.find()) mentioned.add(m.group(1));
        assertFalse(mentioned.isEmpty(), "README shows commands");
        for (String c : mentioned) assertTrue(known.contains(c), "README mentions './edgeopt " + c + "', which does not exist; commands: " + known);
    }

    /** Every example command line in a fenced block parses: its options exist and take what it gives. */
    @Test void everyExampleParses() throws IOException {
        String readme = Files.readString(root().resolve("README.md"));
        Matcher block = Pattern.compile("```\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        int checked = 0;
        while (block.find()) {
            for (String line : block.group(1).split("\\n")) {
                if (!line.startsWith("./edgeopt ")) continue;
                List<String> args = shellWords(line.substring("./edgeopt ".length()));
                try {
                    Main.commandLine().parseArgs(args.toArray(new String[0]));
                } catch (picocli.CommandLine.ParameterException e) {
                    throw new AssertionError("README example '" + line + "' does not parse: " + e.getMessage(), e);
                }
                checked++;
            }
        }
        assertTrue(checked >= 5, "README shows examples; found " + checked);
    }

    /** Splits like a POSIX shell for the quoting examples use: blanks separate, single quotes group. */
    static List<String> shellWords(String s) {
        List<String> out = new java.util.ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false, any = false;
        for (char c : s.toCharArray()) {
            if (c == '\'' ) {
                quoted = !quoted;
                any = true;
            } else if (!quoted && Character.isWhitespace(c)) {
                if (any) out.add(cur.toString());
                cur.setLength(0);
                any = false;
            } else {
                cur.append(c);
                any = true;
            }
        }
        if (any) out.add(cur.toString());
        return out;
    }

    @Test void setUpCommandsComeFirst() throws IOException {
        String readme = Files.readString(root().resolve("README.md"));
        int demo = readme.indexOf("./edgeopt demo"), tests = readme.indexOf(readmeTestCommand(readme));
        assertTrue(demo > 0 && tests > demo && tests < readme.indexOf("## Usage"), "set-up: ./edgeopt demo, then the tests, before Usage");
    }
}
