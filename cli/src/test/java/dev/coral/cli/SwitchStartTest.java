package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code switch -c NAME START}, as git's: the new branch starts at START and its files are
 * checked out (found by the git differential fuzz, seed 1000001: Coral took no START); a START
 * without -c is a usage error.
 */
class SwitchStartTest {
    @TempDir
    Path dir;

    @Test
    void aNewBranchStartsWhereToldAndAStartWithoutCreateIsRefused() throws Exception {
        Cli cli = new Cli(dir);
        Path m = dir.resolve("m.safetensors");
        cli.run("init").ok();
        Cli.writeModel(m, 1, "w");
        byte[] one = Files.readAllBytes(m);
        cli.run("commit", "-m", "one", "m.safetensors").ok();
        Cli.writeModel(m, 2, "w");
        cli.run("commit", "-m", "two", "m.safetensors").ok();

        Cli.Result r = cli.run("switch", "-c", "topic", "HEAD~1").ok();
        assertEquals("Switched to a new branch 'topic'\n", r.out());
        assertArrayEquals(one, Files.readAllBytes(m));
        assertTrue(cli.run("log", "--oneline").ok().out().startsWith(cli.run("log", "--oneline", "main~1").ok().out().substring(0, 7)));
        assertTrue(cli.run("status").ok().out().startsWith("On branch topic"));

        Cli.Result bad = cli.run("switch", "main", "HEAD~1");
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().contains("give -c"), bad.err());
        Cli.Result unknown = cli.run("switch", "-c", "x", "nowhere");
        assertEquals(1, unknown.code(), unknown.err());
        assertTrue(cli.run("branch").ok().out().contains("topic") && !cli.run("branch").ok().out().contains(" x\n"));
    }
}
