package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code coral merge}: a fast-forward, "Already up to date", a conflict refused in one line with
 * exit 1 and nothing changed, the average merged into a commit of two parents that log and show
 * list, and a bad --strategy a usage error (exit 2).
 */
class MergeCommandTest {
    @TempDir
    Path dir;

    private static void model(Path file, long seed) throws Exception {
        SplittableRandom r = new SplittableRandom(seed);
        Cli.write(file, "safetensors", List.of(Cli.f32("w", r, 16, 8), Cli.f32("b", r, 8)));
    }

    @Test
    void mergeFastForwardsRefusesConflictsAndAverages() throws Exception {
        Cli cli = new Cli(dir);
        Path m = dir.resolve("m.safetensors");
        cli.run("init").ok();
        model(m, 1);
        cli.run("commit", "-m", "base", "m.safetensors").ok();
        cli.run("switch", "-c", "exp").ok();
        model(m, 2);
        cli.run("commit", "-m", "exp", "m.safetensors").ok();
        cli.run("switch", "main").ok();

        Cli.Result ff = cli.run("merge", "exp").ok();
        assertTrue(ff.out().startsWith("Fast-forward to "), ff.out());
        assertEquals("Already up to date.\n", cli.run("merge", "exp").ok().out());
        cli.run("reset", "--hard", "HEAD~1").ok();

        model(m, 3);
        cli.run("commit", "-m", "main", "m.safetensors").ok();
        byte[] ours = Files.readAllBytes(m);
        Cli.Result refused = cli.run("merge", "exp");
        assertEquals(1, refused.code(), refused.out());
        assertEquals(1, refused.errLines().size(), refused.err());
        assertTrue(refused.err().contains("m.safetensors") && refused.err().contains("--strategy"), refused.err());
        assertTrue(java.util.Arrays.equals(ours, Files.readAllBytes(m)), "a refused merge changes nothing");

        Cli.Result bad = cli.run("merge", "exp", "--strategy", "weighted=2");
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().contains("weighted=2"), bad.err());

        Cli.Result merged = cli.run("merge", "exp", "--strategy", "average").ok();
        assertTrue(merged.out().startsWith("[main ") && merged.out().contains("Merge exp (average)"), merged.out());
        assertTrue(merged.out().contains("averaged: m.safetensors"), merged.out());
        String log = cli.run("log", "--oneline").ok().out();
        assertTrue(log.contains("Merge exp (average)") && log.contains(" exp") && log.contains(" main"), log);
        Cli.Result status = cli.run("status").ok();
        assertTrue(!status.out().contains("modified"), status.out());
        cli.run("show", "HEAD^2").ok();
        cli.run("fsck").ok();
    }
}
