package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commit messages, authors and metric names reach the terminal escaped, as paths and tensor names
 * do: found by fuzzing, an escape sequence in a message coloured the terminal, and a newline in a
 * metric name or author split {@code log --oneline} or forged a header line.
 */
class ControlCharactersTest {
    @TempDir
    Path dir;

    @Test
    void plainOutputEscapesControlCharactersOfMessagesAuthorsAndMetrics() throws Exception {
        Cli cli = new Cli(dir);
        cli.run("init").ok();
        Cli.writeModel(dir.resolve("m.safetensors"), 1, "w");
        String commit = cli.run("commit", "-m", "evil \u001b[31mred\u0007\n\nbody \u001b[2J line", "--author", "eve\nDate: forged",
                "--metric", "lo\nss=1", "m.safetensors").ok().out();
        for (String[] args : new String[][] {{"log"}, {"log", "--oneline"}, {"show"}, {"stats", "--commits"}}) {
            String out = cli.run(args).ok().out() + commit;
            assertTrue(out.chars().noneMatch(c -> c < 0x20 && c != '\n'), String.join(" ", args) + ": " + out);
            assertTrue(!out.contains("\nDate: forged"), out);
        }
        assertEquals(1, cli.run("log", "--oneline").ok().out().lines().count());
        assertTrue(cli.run("log").ok().out().contains("    body \\x1b[2J line"), "the message's own lines stay lines");
    }

    @Test
    void anEmptyAuthorIsAUsageError() throws Exception {
        Cli cli = new Cli(dir);
        cli.run("init").ok();
        Cli.writeModel(dir.resolve("m.safetensors"), 1, "w");
        Cli.Result r = cli.run("commit", "-m", "x", "--author", " ", "m.safetensors");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--author: empty"), r.err());
    }
}
