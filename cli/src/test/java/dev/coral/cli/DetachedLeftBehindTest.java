package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Moving HEAD away from a commit made on a detached HEAD, which then no branch or tag reaches,
 * says so on standard error (as git does), naming the commit and how to keep it; the move itself
 * succeeds. Keeping it on a new branch (checkout -b) says nothing.
 */
class DetachedLeftBehindTest {
    @TempDir
    Path dir;
    private Cli cli;
    private String detachedId;

    /** main: v1; then a commit on a detached HEAD at v1. */
    @BeforeEach
    void detachedWork() throws IOException {
        cli = new Cli(dir);
        cli.run("init").ok();
        Cli.writeModel(dir.resolve("model.safetensors"), 1, "w");
        cli.run("commit", "-m", "v1", "model.safetensors").ok();
        cli.run("checkout", "main~0").ok();
        Cli.writeModel(dir.resolve("model.safetensors"), 2, "w");
        String out = cli.run("commit", "-m", "experiment", "model.safetensors").ok().out();
        detachedId = out.substring(out.indexOf("detached HEAD ") + 14, out.indexOf(']'));
    }

    private void assertWarned(Cli.Result r) {
        assertEquals(0, r.code());
        assertTrue(r.err().contains("coral: warning: commit " + detachedId + " (experiment) is left on no branch or tag, and gc will "
                + "remove it; 'coral branch NAME " + detachedId + "' keeps it"), r.err());
    }

    @Test
    void switchingAwaySaysSo() {
        assertWarned(cli.run("switch", "main"));
    }

    @Test
    void checkingOutAnotherRevisionSaysSo() {
        assertWarned(cli.run("checkout", "main"));
    }

    @Test
    void aBranchKeepingItSaysNothing() {
        Cli.Result r = cli.run("checkout", "-b", "keep").ok();
        assertTrue(r.err().isEmpty(), r.err());
        assertTrue(cli.run("switch", "main").ok().err().isEmpty(), "on a branch: nothing left behind");
    }
}
