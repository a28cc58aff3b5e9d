package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code -q/--quiet}, as git's: the commands that change the repository or the working folder
 * print nothing on success, neither their summary nor progress (which a terminal would show);
 * errors still go to standard error.
 */
class QuietOptionTest {
    @TempDir
    Path dir;

    /** Runs coral in {@code dir} as if standard error were a terminal (progress is shown only then). */
    private Cli.Result onTerminal(String... args) {
        String[] full = new String[args.length + 2];
        full[0] = "-C";
        full[1] = dir.toString();
        System.arraycopy(args, 0, full, 2, args.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new Session(InputStream.nullInputStream(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), true, false, null), full);
        return new Cli.Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), out.toByteArray());
    }

    private void assertSilent(String... args) {
        Cli.Result r = onTerminal(args);
        assertEquals(0, r.code(), () -> String.join(" ", args) + ": " + r.err());
        assertEquals("", r.out(), () -> String.join(" ", args) + " printed on standard output");
        assertEquals("", r.err(), () -> String.join(" ", args) + " printed on standard error");
    }

    @Test
    void commandsThatChangeThingsPrintNothingWithQuiet() throws Exception {
        Path m = dir.resolve("m.safetensors");
        Path n = dir.resolve("n.safetensors");
        Cli.writeModel(m, 1, "w", "b");
        Cli.writeModel(n, 2, "v");
        byte[] first = Files.readAllBytes(m);
        Cli.Result loud = onTerminal("init");
        assertTrue(loud.out().startsWith("Initialized empty Coral repository"), loud.out());
        Files.delete(dir.resolve(".coral/config"));
        deleteTree(dir.resolve(".coral"));

        assertSilent("init", "-q");
        Cli.Result shown = onTerminal("add", "m.safetensors");
        assertTrue(shown.err().contains("m.safetensors"), "without -q a terminal shows progress: " + shown.err());
        assertFalse(shown.out().isEmpty());
        assertSilent("rm", "--cached", "-q", "m.safetensors");
        assertSilent("add", "-q", "m.safetensors", "n.safetensors");
        assertSilent("commit", "--quiet", "-m", "one");
        Cli.writeModel(m, 3, "w", "b");
        assertSilent("add", "-q", "m.safetensors");
        assertSilent("commit", "-q", "-m", "two");
        Cli cli = new Cli(dir);
        assertEquals(2, cli.run("log", "--oneline").ok().out().lines().count());

        assertSilent("checkout", "-q", "main~1", "--", "m.safetensors");
        assertArrayEquals(first, Files.readAllBytes(m));
        assertSilent("restore", "-q", "-S", "-W", "m.safetensors");
        assertFalse(java.util.Arrays.equals(first, Files.readAllBytes(m)), "restored from HEAD: version two");
        assertSilent("checkout", "-q", "-b", "exp");
        assertSilent("switch", "-q", "main");
        assertSilent("checkout", "-q", "main~1");
        assertArrayEquals(first, Files.readAllBytes(m));
        assertSilent("switch", "-q", "main");
        assertSilent("rm", "-q", "n.safetensors");
        assertFalse(Files.exists(n));
        assertSilent("commit", "-q", "-m", "three");
        assertSilent("gc", "-q", "--prune=now");
        assertSilent("repack", "-q");
        assertEquals(0, cli.run("fsck").code());
        assertTrue(cli.run("status").ok().out().contains("working tree clean"));
    }

    @Test
    void errorsStillGoToStandardError() throws Exception {
        Cli cli = new Cli(dir);
        cli.run("init").ok();
        Cli.writeModel(dir.resolve("m.safetensors"), 1, "w");
        cli.run("add", "m.safetensors").ok();
        cli.run("commit", "-m", "one").ok();

        Cli.Result nothing = onTerminal("commit", "-q", "-m", "again");
        assertEquals(1, nothing.code());
        assertEquals("", nothing.out());
        assertTrue(nothing.err().startsWith("coral: nothing to commit"), nothing.err());
        Cli.Result missing = onTerminal("add", "-q", "absent.safetensors");
        assertTrue(missing.code() != 0);
        assertEquals(1, missing.errLines().size(), missing.err());
        assertTrue(missing.err().contains("absent.safetensors"), missing.err());
    }

    /** A dry run only lists: quiet, it would do nothing at all. */
    @Test
    void gcDryRunIsNotQuiet() {
        new Cli(dir).run("init").ok();
        Cli.Result r = onTerminal("gc", "--dry-run", "-q");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--dry-run and --quiet"), r.err());
    }

    private static void deleteTree(Path p) throws java.io.IOException {
        try (var s = Files.walk(p)) {
            for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}
