package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code checkout -b NAME REV} and {@code switch -c NAME REV} that fail leave no branch NAME
 * behind, as git's: the branch is made first, so a refused checkout deleted nothing of it before.
 */
class FailedBranchSwitchTest {
    @TempDir
    Path dir;
    private Cli cli;

    /** main: v1, v2; v3 staged. */
    @BeforeEach
    void staged() throws IOException {
        cli = new Cli(dir);
        cli.run("init").ok();
        Cli.writeModel(dir.resolve("model.safetensors"), 1, "w");
        cli.run("commit", "-m", "v1", "model.safetensors").ok();
        Cli.writeModel(dir.resolve("model.safetensors"), 2, "w");
        cli.run("commit", "-m", "v2", "model.safetensors").ok();
        Cli.writeModel(dir.resolve("model.safetensors"), 3, "w");
        cli.run("add", "model.safetensors").ok();
    }

    @Test
    void aRefusedCheckoutDashBLeavesNoBranch() {
        Cli.Result r = cli.run("checkout", "-b", "x", "main~1");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("staged for the next commit"), r.err());
        assertFalse(cli.run("branch").ok().out().contains("x"), "no branch x");
    }

    @Test
    void aRefusedSwitchDashCLeavesNoBranch() throws IOException {
        cli.run("commit", "-m", "v3").ok();
        Files.delete(dir.resolve("model.safetensors"));
        Files.createDirectories(dir.resolve("model.safetensors")); // a folder where the file goes
        Cli.Result r = cli.run("switch", "-c", "y", "main~1");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("where a folder is"), r.err());
        assertFalse(cli.run("branch").ok().out().contains("y"), "no branch y");
    }

    /**
     * {@code switch -c NAME} at HEAD changes no file, so nothing refuses it: the folder stays, the
     * file's deletion a local change on the new branch, as git's (which skips the tree merge
     * there). Until 2026-12-07 it checked the new branch out and was refused here.
     */
    @Test
    void aSwitchDashCAtHeadLeavesTheFolderAsItIs() throws IOException {
        cli.run("commit", "-m", "v3").ok();
        Files.delete(dir.resolve("model.safetensors"));
        Files.createDirectories(dir.resolve("model.safetensors"));
        assertEquals("Switched to a new branch 'y'\n", cli.run("switch", "-c", "y").ok().out());
        assertTrue(Files.isDirectory(dir.resolve("model.safetensors")));
        assertTrue(cli.run("status").ok().out().contains("deleted:    model.safetensors"), cli.run("status").out());
        assertTrue(cli.run("branch").ok().out().contains("* y"));
    }
}
