package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.format.ParsedWeightFile;
import dev.coral.format.TensorSource;
import dev.coral.format.WeightFormats;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole story of the issue, through the command line, in one repository. */
class UserStoryTest {
    @TempDir
    Path dir;

    @Test
    void addSaysOneFileAndOneChunkInTheSingular() throws Exception {
        Cli cli = new Cli(dir);
        Cli.write(dir.resolve("one.npy"), "npy", List.of(Cli.f32("one", new SplittableRandom(4), 16)));
        cli.run("init").ok();
        Cli.Result added = cli.run("add", "one.npy").ok();
        assertTrue(added.out().startsWith("staged 1 file: 1 chunk written, 0 deduplicated, "), added.out());
    }

    @Test
    void initAddCommitRewriteCheckoutBranchTagExportRemove() throws Exception {
        Cli cli = new Cli(dir);
        Path model = dir.resolve("model.safetensors");
        Cli.writeModel(model, 1, "embed", "layer0", "layer1");
        Cli.write(dir.resolve("extra/old.npy"), "npy", List.of(Cli.f32("old", new SplittableRandom(2), 16)));
        Cli.write(dir.resolve("extra/more.npz"), "npz", List.of(Cli.f32("a", new SplittableRandom(3), 4, 4)));

        assertTrue(cli.run("init").ok().out().contains("Initialized empty Coral repository"));
        assertTrue(Files.isDirectory(dir.resolve(".coral")));

        Cli.Result status0 = cli.run("status").ok();
        assertTrue(status0.out().contains("Untracked weight files"), status0.out());
        assertTrue(status0.out().contains("model.safetensors"));

        Cli.Result added = cli.run("add", "model.safetensors", "extra").ok();
        assertTrue(added.out().startsWith("staged 3 files:"), added.out());
        assertTrue(added.out().contains("chunks written"));

        Cli.Result staged = cli.run("status").ok();
        assertTrue(staged.out().contains("Changes to be committed"), staged.out());
        assertTrue(staged.out().contains("new file:   model.safetensors"));
        assertTrue(staged.out().contains("new file:   extra/old.npy"));

        Cli.Result c1 = cli.run("commit", "-m", "epoch 1", "--metric", "loss=2.5", "--metric", "step=100").ok();
        assertTrue(c1.out().matches("(?s)\\[main \\(root-commit\\) [0-9a-f]{7}\\] epoch 1\\s*"), c1.out());
        byte[] original = DemoCommand.sha256(model);

        // a training step
        Cli.writeModel(model, 99, "embed", "layer0", "layer1");
        Cli.Result dirty = cli.run("status").ok();
        assertTrue(dirty.out().contains("Changes not staged for commit"), dirty.out());
        assertTrue(dirty.out().contains("modified:   model.safetensors"));
        String dirtyJson = cli.run("status", "--json").ok().out();
        assertTrue(dirtyJson.contains("\"notStaged\": [") && dirtyJson.contains("\"kind\": \"modified\""), dirtyJson);

        cli.run("add", "model.safetensors").ok();
        Cli.Result c2 = cli.run("commit", "-m", "epoch 2", "--metric", "loss=1.25").ok();
        assertTrue(c2.out().startsWith("[main "), c2.out());
        byte[] trained = DemoCommand.sha256(model);

        // log
        Cli.Result oneline = cli.run("log", "--oneline").ok();
        List<String> lines = oneline.out().lines().toList();
        assertEquals(2, lines.size(), oneline.out());
        assertTrue(lines.get(0).contains("epoch 2") && lines.get(0).contains("loss=1.25"), lines.get(0));
        assertTrue(lines.get(1).contains("epoch 1"));
        assertEquals(1, cli.run("log", "--oneline", "-n", "1").ok().out().lines().count());
        Cli.Result full = cli.run("log").ok();
        assertTrue(full.out().contains("Author:") && full.out().contains("Date:") && full.out().contains("Metrics: loss=2.5 step=100"), full.out());
        assertTrue(full.out().matches("(?s).*Date: +\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d.*"), full.out());
        String logJson = cli.run("log", "--json", "-n", "1", "HEAD~1").ok().out();
        assertTrue(logJson.startsWith("[") && logJson.contains("\"message\": \"epoch 1\"") && logJson.contains("\"loss\": 2.5"), logJson);

        // show
        Cli.Result show = cli.run("show", "HEAD~1").ok();
        assertTrue(show.out().contains("epoch 1") && show.out().contains("extra/old.npy") && show.out().contains("layer0")
                && show.out().contains("F32") && show.out().contains("[64,32]"), show.out());
        String showJson = cli.run("show", "--json", "HEAD").ok().out();
        assertTrue(showJson.contains("\"storedBytes\"") && showJson.contains("\"logicalBytes\": 8192")
                && showJson.contains("\"dtype\": \"F32\"") && showJson.contains("\"shape\": [64, 32]"), showJson);
        assertTrue(showJson.contains("\"metadata\": {}"), "every file has its metadata, {} for none: " + showJson);
        Cli.Result showPath = cli.run("show", "HEAD:model.safetensors").ok();
        assertTrue(showPath.out().contains("model.safetensors") && !showPath.out().contains("extra/old.npy"), showPath.out());

        // checkout the old version: byte-identical
        assertTrue(cli.run("checkout", "HEAD~1").ok().out().contains("HEAD is now at"));
        assertArrayEquals(original, DemoCommand.sha256(model));
        cli.run("checkout", "main").ok();
        assertArrayEquals(trained, DemoCommand.sha256(model));
        // only one path, HEAD stays
        Cli.Result paths = cli.run("checkout", "HEAD~1", "--", "model.safetensors").ok();
        assertTrue(paths.out().startsWith("Updated 1 path"), paths.out());
        assertArrayEquals(original, DemoCommand.sha256(model));
        assertTrue(cli.run("status").ok().out().contains("On branch main"));
        cli.run("checkout", "-f", "main").ok();
        assertArrayEquals(trained, DemoCommand.sha256(model));

        // branches
        cli.run("branch", "exp").ok();
        assertEquals("Switched to branch 'exp'", cli.run("switch", "exp").ok().out().strip());
        assertTrue(cli.run("branch").ok().out().contains("* exp"));
        assertTrue(cli.run("checkout", "-b", "feature").ok().out().contains("Switched to a new branch 'feature'"));
        assertTrue(cli.run("branch").ok().out().contains("* feature"));
        cli.run("switch", "main").ok();
        cli.run("branch", "-d", "feature").ok();
        assertFalse(cli.run("branch").ok().out().contains("feature"));

        // tags and export
        cli.run("tag", "v1", "-m", "first release").ok();
        assertEquals("v1", cli.run("tag").ok().out().strip());
        Cli.Result export = cli.run("export", "v1:model.safetensors", "-o", "out.npz").ok();
        assertTrue(export.out().contains("out.npz"), export.out());
        assertSameTensors(model, dir.resolve("out.npz"));

        // rm
        assertTrue(cli.run("rm", "extra/old.npy").ok().out().contains("rm 'extra/old.npy'"));
        assertFalse(Files.exists(dir.resolve("extra/old.npy")));
        Cli.Result afterRm = cli.run("status").ok();
        assertTrue(afterRm.out().contains("deleted:    extra/old.npy"), afterRm.out());
        cli.run("commit", "-m", "drop old").ok();
        assertFalse(cli.run("show", "HEAD").ok().out().contains("extra/old.npy"));
    }

    private static void assertSameTensors(Path safetensors, Path npz) throws Exception {
        try (ParsedWeightFile a = WeightFormats.byName("safetensors").orElseThrow().read(safetensors);
             ParsedWeightFile b = WeightFormats.byName("npz").orElseThrow().read(npz)) {
            assertEquals(a.tensors().size(), b.tensors().size());
            for (TensorSource ta : a.tensors()) {
                TensorSource tb = b.tensors().stream().filter(t -> t.name().equals(ta.name())).findFirst().orElseThrow();
                assertEquals(ta.spec(), tb.spec());
                try (InputStream ia = ta.openStream(); InputStream ib = tb.openStream()) {
                    assertArrayEquals(ia.readAllBytes(), ib.readAllBytes(), ta.name());
                }
            }
        }
    }
}
