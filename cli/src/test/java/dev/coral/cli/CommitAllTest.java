package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
}
