package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code coral mv}, as git's: silent unless -v, a one-line error and nothing moved when refused. */
class MvCommandTest {
    @TempDir
    Path dir;

    @Test
    void renamesQuietlyOrVerboselyAndRefusesInOneLine() throws Exception {
        Cli cli = new Cli(dir);
        Cli.writeModel(dir.resolve("a.safetensors"), 1, "w");
        Cli.writeModel(dir.resolve("b.safetensors"), 2, "w");
        byte[] a = Files.readAllBytes(dir.resolve("a.safetensors"));
        cli.run("init").ok();
        cli.run("commit", "-m", "one", "a.safetensors", "b.safetensors").ok();

        assertEquals("", cli.run("mv", "a.safetensors", "model.safetensors").ok().out());
        assertArrayEquals(a, Files.readAllBytes(dir.resolve("model.safetensors")));
        Files.createDirectories(dir.resolve("ckpt"));
        assertEquals("Renaming b.safetensors to ckpt/b.safetensors\nRenaming model.safetensors to ckpt/model.safetensors",
                cli.run("mv", "-v", "b.safetensors", "model.safetensors", "ckpt").ok().out().strip());
        String status = cli.run("status").ok().out();
        assertTrue(status.contains("new file:   ckpt/model.safetensors") && status.contains("deleted:    a.safetensors"), status);

        Cli.Result refused = cli.run("mv", "ckpt/model.safetensors", "ckpt/b.safetensors");
        assertEquals(1, refused.code());
        assertEquals(1, refused.errLines().size(), refused.err());
        assertTrue(refused.err().contains("ckpt/b.safetensors: already exists (-f replaces a file)"), refused.err());
        assertEquals(2, cli.run("mv", "ckpt").code(), "a usage error: a destination is needed");
        assertFalse(Files.exists(dir.resolve("model.safetensors")));
        cli.run("commit", "-m", "moved").ok();
        assertTrue(cli.run("status").ok().out().contains("nothing to commit"));
    }
}
