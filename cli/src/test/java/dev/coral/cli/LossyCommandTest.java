package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LossyCommandTest {
    @TempDir
    Path dir;

    @Test
    void lossyCommitsAreRecordedAndMarkedInLogShowAndStats() throws Exception {
        Cli cli = new Cli(dir);
        Path model = dir.resolve("model.safetensors");
        Cli.writeModel(model, 1, "layer0", "layer1");
        cli.run("init").ok();
        cli.run("add", "model.safetensors").ok();
        // nothing to quantize against: the first commit stays bit-exact, unmarked, and says so
        String first = cli.run("commit", "--lossy=1e-3", "-m", "exact").ok().out();
        assertTrue(first.contains("note: --lossy=1e-3 quantized nothing") && first.contains("bit-exact"), first);
        Cli.writeModel(model, 2, "layer0", "layer1");
        String second = cli.run("commit", "-a", "--lossy=1e-3", "-m", "quantized").ok().out();
        assertTrue(!second.contains("quantized nothing"), second);
        assertTrue(second.contains("lossy: tensors stored within 1e-3 of what was added"), second);
        assertTrue(!first.contains("lossy:"), first);

        String oneline = cli.run("log", "--oneline").ok().out();
        assertTrue(oneline.lines().findFirst().orElseThrow().contains("[lossy 1e-3]"), oneline);
        assertTrue(!oneline.lines().skip(1).findFirst().orElseThrow().contains("lossy"), oneline);
        String show = cli.run("show", "HEAD").ok().out();
        assertTrue(show.contains("Lossy:   tensors within 1e-3"), show);
        assertTrue(show.lines().anyMatch(l -> l.startsWith("model.safetensors") && l.endsWith(" stored, lossy within 1e-3)")), show);
        assertTrue(cli.run("show", "HEAD~1").ok().out().lines().noneMatch(l -> l.contains("lossy")), "the exact commit's file is not marked");
        assertTrue(cli.run("show", "--json", "HEAD").ok().out().contains("\"lossyEps\": 1e-3"));
        assertTrue(cli.run("log", "--json", "-n", "1").ok().out().contains("\"lossyEps\": 1e-3"));
        assertTrue(cli.run("stats").ok().out().matches("(?s).*lossy commits\\s+1.*"));
        String perCommit = cli.run("stats", "--commits").ok().out();
        assertTrue(perCommit.lines().anyMatch(l -> l.endsWith("quantized [lossy 1e-3]")), perCommit);
        assertTrue(perCommit.lines().anyMatch(l -> l.endsWith("exact")), perCommit);
        String json = cli.run("stats", "--commits", "--json").ok().out();
        assertTrue(json.contains("\"lossyEps\": 1e-3") && json.contains("\"lossyEps\": null"), json);

        String clusters = cli.run("stats", "--clusters").ok().out();
        assertTrue(clusters.contains("no clusters of similar tensors") || clusters.contains("CLUSTERS OF SIMILAR TENSORS"), clusters);
        assertTrue(cli.run("stats", "--clusters", "--json").ok().out().contains("\"clusters\": ["));

        Cli.Result bad = cli.run("commit", "--lossy=abc", "-m", "x");
        assertEquals(2, bad.code(), bad.err());
        assertEquals(1, bad.errLines().size(), bad.err());
        assertTrue(bad.err().contains("--lossy=abc"), bad.err());
    }
}
