package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RepackCommandTest {
    @TempDir
    Path dir;

    @Test
    void repackKeepsHistoryAndFilesAndSaysWhatItDid() throws Exception {
        Cli cli = new Cli(dir);
        Path model = dir.resolve("model.safetensors");
        cli.run("init").ok();
        byte[] first = null;
        for (int v = 1; v <= 3; v++) {
            Cli.writeModel(model, v, "layer0", "layer1");
            if (v == 1) {
                first = DemoCommand.sha256(model);
            }
            cli.run("commit", "-m", "v" + v, "model.safetensors").ok();
        }
        String log = cli.run("log", "--oneline").ok().out();
        Cli.Result r = cli.run("repack").ok();
        assertTrue(r.out().matches("repacked \\d+ objects from \\d+ packs into 1 pack: \\S+ \\S+ -> \\S+ \\S+, \\d+ delta chunks?\n"), r.out());
        assertEquals(log, cli.run("log", "--oneline").ok().out());
        cli.run("fsck").ok();
        cli.run("checkout", "HEAD~2").ok();
        assertArrayEquals(first, DemoCommand.sha256(model));
        assertEquals(0, Cli.runRaw("repack", "--help").code());
    }

    @Test
    void repackOfAnEmptyRepositoryWritesNoPackAndSaysSo() throws Exception {
        Cli cli = new Cli(dir);
        cli.run("init").ok();
        assertEquals("repacked 0 objects from 0 packs into 0 packs: 0 B -> 0 B, 0 delta chunks\n", cli.run("repack").ok().out());
        try (var packs = java.nio.file.Files.list(dir.resolve(".coral/packs"))) {
            assertEquals(0, packs.filter(p -> p.toString().endsWith(".pack")).count());
        }
        cli.run("fsck").ok();
    }
}
