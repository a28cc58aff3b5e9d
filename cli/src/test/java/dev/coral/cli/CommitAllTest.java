package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code commit -a} commits everything staged; {@code commit PATH...} only its paths, as in git. */
class CommitAllTest {
    @TempDir
    Path dir;

    @Test
    void commitAllStagesModifiedAndDeletedTrackedFilesInOneProcess() throws Exception {
        Cli cli = new Cli(dir);
        Path model = dir.resolve("model.safetensors");
        Path other = dir.resolve("other.safetensors");
        Cli.writeModel(model, 1, "layer0");
        Cli.writeModel(other, 2, "layer0");
        cli.run("init").ok();
        cli.run("add", ".").ok();
        cli.run("commit", "-m", "one").ok();

        Cli.writeModel(model, 3, "layer0");
        Files.delete(other);
        Cli.writeModel(dir.resolve("untracked.safetensors"), 4, "layer0");
        byte[] trained = DemoCommand.sha256(model);
        cli.run("commit", "-a", "-m", "two").ok();

        String status = cli.run("status").ok().out();
        assertTrue(!status.contains("Changes not staged") && !status.contains("Changes to be committed"), status);
        assertTrue(status.contains("untracked.safetensors"), "untracked files are not added by -a: " + status);
        String show = cli.run("show", "HEAD").ok().out();
        assertTrue(!show.contains("other.safetensors"), show);
        Files.delete(model);
        cli.run("checkout", "-f", "HEAD").ok();
        assertArrayEquals(trained, DemoCommand.sha256(model));
    }

    @Test
    void commitOfAPathLeavesWhatElseIsStagedStaged() throws Exception {
        Cli cli = new Cli(dir);
        Path model = dir.resolve("model.safetensors");
        Path notes = dir.resolve("notes.safetensors");
        Cli.writeModel(model, 1, "layer0");
        cli.run("init").ok();
        cli.run("commit", "-m", "one", "model.safetensors").ok();
        Cli.writeModel(notes, 2, "layer0");
        cli.run("add", "notes.safetensors").ok();
        Cli.writeModel(model, 3, "layer0");
        cli.run("commit", "-m", "two", "model.safetensors").ok();

        String show = cli.run("show", "HEAD").ok().out();
        assertTrue(show.contains("model.safetensors") && !show.contains("notes.safetensors"), show);
        String status = cli.run("status").ok().out();
        assertTrue(status.contains("Changes to be committed") && status.contains("notes.safetensors"), status);
        assertTrue(!status.contains("model.safetensors"), status);
        Cli.Result again = cli.run("commit", "-m", "three", "model.safetensors");
        assertEquals(1, again.code(), again.err());
        assertTrue(again.err().startsWith("coral: nothing to commit: model.safetensors is as in "), again.err());
    }

    @Test
    void pathsWithAllIsAUsageError() throws Exception {
        Cli cli = new Cli(dir);
        Cli.writeModel(dir.resolve("model.safetensors"), 1, "layer0");
        cli.run("init").ok();
        Cli.Result r = cli.run("commit", "-a", "-m", "one", "model.safetensors");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("paths with -a does not make sense"), r.err());
        assertTrue(cli.run("status").ok().out().contains("model.safetensors"), "nothing committed");
    }
}
