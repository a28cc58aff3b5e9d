package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Overlapping or repeated PATHs name each file once, as git takes them (found by fuzzing):
 * restore refused a path whose files an earlier one had matched, checkout counted a file twice
 * and rm --cached printed it twice.
 */
class OverlappingPathsTest {
    @TempDir
    Path dir;

    @Test
    void restoreCheckoutAndRmTakeEachFileOnce() throws Exception {
        Cli cli = new Cli(dir);
        cli.run("init").ok();
        Cli.writeModel(dir.resolve("sub/x.safetensors"), 1, "w");
        Cli.writeModel(dir.resolve("a.safetensors"), 2, "w");
        cli.run("add", ".").ok();
        cli.run("commit", "-m", "one").ok();

        Files.delete(dir.resolve("sub/x.safetensors"));
        cli.run("restore", "sub", "sub/x.safetensors").ok();
        assertTrue(Files.exists(dir.resolve("sub/x.safetensors")));
        for (String[] args : new String[][] {{"restore", "a.safetensors", "a.safetensors"}, {"restore", ".", "a.safetensors"},
                {"restore", "sub/x.safetensors", "sub"}, {"restore", "--staged", "a.safetensors", "a.safetensors"}}) {
            cli.run(args).ok();
        }
        assertEquals("Updated 2 paths from " + cli.run("log", "--oneline", "-n", "1").ok().out().substring(0, 7) + "\n",
                cli.run("checkout", "HEAD", "--", ".", "a.safetensors").ok().out());
        assertEquals("rm 'sub/x.safetensors'\n", cli.run("rm", "--cached", "sub", "sub/x.safetensors").ok().out());
        assertTrue(cli.run("status").ok().out().contains("deleted:    sub/x.safetensors"));
    }
}
