package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.io.FaultPoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk during a commit (simulated at the fault point before a pack is made durable; this
 * machine's tests run as root, so a read-only folder cannot be simulated with permissions): one
 * clear line, exit 1, nothing lost, and gc leaves fsck clean.
 */
class DiskFullTest {
    @TempDir
    Path dir;

    @Test
    void aFullDiskDuringCommitIsOneLineAndLosesNothing() throws Exception {
        Cli cli = new Cli(dir);
        Path model = dir.resolve("model.safetensors");
        Cli.writeModel(model, 1, "layer0");
        cli.run("init").ok();
        cli.run("commit", "-m", "one", "model.safetensors").ok();
        String before = cli.run("log", "--oneline").ok().out();

        Cli.writeModel(model, 2, "layer0");
        FaultPoints.install(point -> {
            if (point.equals("pack.beforeFsync")) {
                throw new IOException("No space left on device");
            }
        });
        Cli.Result full;
        try {
            full = cli.run("commit", "-m", "two", "model.safetensors");
        } finally {
            FaultPoints.install(null);
        }
        assertEquals(1, full.code(), full.err());
        assertEquals(1, full.errLines().size(), full.err());
        assertTrue(full.err().startsWith("coral: ") && full.err().contains("No space left on device"), full.err());
        assertEquals(before, cli.run("log", "--oneline").ok().out(), "history unchanged");
        try (Stream<Path> s = Files.list(dir.resolve(".coral/packs"))) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".tmp-")), "the failed pack's temporary file is gone");
        }
        cli.run("gc", "--prune=now").ok();
        cli.run("fsck").ok();
        cli.run("commit", "-m", "two", "model.safetensors").ok();
    }
}
