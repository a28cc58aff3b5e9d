package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code switch -f} onto the current branch discards local changes, as git's does (it printed "Already on" and kept them). */
class SwitchForceTest {
    @TempDir
    Path dir;

    @Test
    void switchForceOntoTheCurrentBranchRestoresItsFiles() throws Exception {
        Cli cli = new Cli(dir);
        cli.run("init").ok();
        Path m = dir.resolve("m.safetensors");
        Cli.writeModel(m, 1, "w");
        byte[] committed = Files.readAllBytes(m);
        cli.run("add", "m.safetensors").ok();
        cli.run("commit", "-m", "one").ok();
        Cli.writeModel(m, 2, "w");

        assertEquals("Already on 'main'\n", cli.run("switch", "main").ok().out());
        assertTrue(cli.run("status").ok().out().contains("modified:   m.safetensors"), "plain: the change is kept");
        assertEquals("Already on 'main'\n", cli.run("switch", "-f", "main").ok().out());
        assertArrayEquals(committed, Files.readAllBytes(m), "forced: the branch's version again");
        assertTrue(cli.run("status").ok().out().contains("working tree clean"));
    }

    /** Before a first commit the branch has no files to restore: forced or not, the same answer (forced, it was "unknown revision"). */
    @Test
    void switchForceOntoABranchWithNoCommitYet() throws Exception {
        Cli cli = new Cli(dir);
        cli.run("init").ok();
        assertEquals("Already on 'main'\n", cli.run("switch", "main").ok().out());
        assertEquals("Already on 'main'\n", cli.run("switch", "-f", "main").ok().out());
    }
}
