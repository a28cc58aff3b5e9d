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

    /**
     * A pack that cannot be read (here the one holding a tagged commit's objects, emptied) makes
     * the reachability check fail: the move has been made, so it still exits 0, with a warning that
     * names the pack; before 2026-12-03 it exited 1 after writing the files (found by fuzzing).
     * Asking for the tagged commit itself names the pack too.
     */
    @Test
    void anUnreadablePackAfterTheMoveIsAWarningNamingIt() throws IOException {
        cli.run("switch", "main").ok();
        Cli.writeModel(dir.resolve("model.safetensors"), 3, "w");
        String out = cli.run("commit", "-m", "v2", "model.safetensors").ok().out();
        String v2 = out.substring(out.indexOf(' ', out.indexOf('[')) + 1, out.indexOf(']'));
        cli.run("tag", "t2").ok();
        cli.run("checkout", "main~1").ok(); // detached at v1
        Path newest;
        try (java.util.stream.Stream<Path> packs = java.nio.file.Files.list(dir.resolve(".coral/packs"))) {
            newest = packs.filter(p -> p.toString().endsWith(".pack"))
                    .max(java.util.Comparator.comparing(p -> p.toFile().lastModified())).orElseThrow();
        }
        java.nio.file.Files.write(newest, new byte[0]); // v2's commit, tree and chunks
        Cli.Result r = cli.run("checkout", "-f", "HEAD");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().startsWith("coral: warning: cannot tell whether commit") && r.err().contains(newest.getFileName().toString()),
                r.err());
        Cli.Result export = cli.run("export", v2 + ":model.safetensors", "-o", "-");
        assertEquals(1, export.code());
        assertTrue(export.err().contains("could not be read") && export.err().contains(newest.getFileName().toString()), export.err());
    }

    @Test
    void aBranchKeepingItSaysNothing() {
        Cli.Result r = cli.run("checkout", "-b", "keep").ok();
        assertTrue(r.err().isEmpty(), r.err());
        assertTrue(cli.run("switch", "main").ok().err().isEmpty(), "on a branch: nothing left behind");
    }
}
