package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code coral config}: list, get, set; bad keys and values are usage errors; a damaged config says so and is rewritten by a set. */
class ConfigCommandTest {
    @TempDir
    Path dir;

    @Test
    void listsGetsAndSetsSettings() throws IOException {
        Cli cli = new Cli(dir);
        cli.run("init", "--delta-depth", "5", "--delta-run", "1").ok();
        Cli.Result all = cli.run("config");
        assertEquals(0, all.code(), all.err());
        assertEquals("cache.bytes=1073741824\ncheckout.fsync=false\nchunk.bytes=4194304\ncodec.contexts=true\ncodec.zigzag=true\ndelta.max-depth=5\n"
                + "delta.run=1\nsimilarity.threshold=0.6\nzstd.level=1\n",
                all.out().replace("\r", ""));
        assertEquals(0, cli.run("config", "codec.contexts", "false").code());
        assertEquals(0, cli.run("config", "cache.bytes", "0").code());
        assertEquals("0", cli.run("config", "cache.bytes").out().strip());
        assertEquals("false", cli.run("config", "codec.contexts").out().strip());
        assertEquals("codec.zigzag=false\n", cli.run("config", "codec.zigzag", "false").ok().out().replace("\r", ""));
        assertEquals("1", cli.run("config", "delta.run").out().strip());
        assertEquals(0, cli.run("config", "delta.max-depth", "12").code());
        assertEquals(0, cli.run("config", "delta.run", "8").code());
        assertEquals("8", cli.run("config", "delta.run").out().strip());
        assertEquals(0, cli.run("config", "similarity.threshold", "0.8").code());
        assertEquals("0.8", cli.run("config", "similarity.threshold").out().strip());
        assertEquals("checkout.fsync=true\n", cli.run("config", "checkout.fsync", "true").ok().out().replace("\r", ""));
        for (String[] bad : new String[][] {{"config", "delta.run", "13"}, {"config", "colour"}, {"config", "colour", "blue"},
            {"config", "zstd.level", "high"}, {"config", "codec.contexts", "yes"}, {"config", "codec.zigzag", "2"},
            {"config", "cache.bytes", "-1"}, {"config", "cache.bytes", "1X"}, {"config", "chunk.bytes", "99999999999"},
            {"config", "similarity.threshold", "1.2"}, {"config", "similarity.threshold", "NaN"}, {"config", "checkout.fsync", "1"}}) {
            Cli.Result r = cli.run(bad);
            assertEquals(2, r.code(), String.join(" ", bad) + ": " + r.err());
            assertEquals(1, r.errLines().size(), r.err());
        }
        assertEquals("8", cli.run("config", "delta.run").out().strip(), "refused settings change nothing");
        assertEquals("cache.bytes=536870912\n", cli.run("config", "cache.bytes", "512M").ok().out().replace("\r", ""),
                "a size with a suffix is stored and shown in bytes");
        assertEquals("delta.max-depth=4\ndelta.run=4 (changed to fit delta.max-depth)\n",
                cli.run("config", "delta.max-depth", "4").ok().out().replace("\r", ""), "a run longer than the new depth shrinks, and says so");
        assertEquals("delta.max-depth=10\n", cli.run("config", "delta.max-depth", "10").ok().out().replace("\r", ""));
        assertEquals("0.8", cli.run("config", "similarity.threshold").out().strip(), "refused settings change nothing");
    }

    @Test
    void initTakesAnySettingAsKeyEqualsValue() throws IOException {
        Cli cli = new Cli(dir);
        cli.run("init", "--delta-depth", "6", "-c", "cache.bytes=0", "--config", "similarity.threshold=0.75", "-c", "codec.contexts=false",
                "-c", "delta.run=2", "-c", "codec.zigzag=false").ok();
        assertEquals("cache.bytes=0\ncheckout.fsync=false\nchunk.bytes=4194304\ncodec.contexts=false\ncodec.zigzag=false\ndelta.max-depth=6\ndelta.run=2\n"
                + "similarity.threshold=0.75\nzstd.level=1\n", cli.run("config").ok().out().replace("\r", ""));
        for (String[] bad : new String[][] {{"-c", "colour=blue"}, {"-c", "cache.bytes"}, {"-c", "=3"}, {"-c", "delta.run=30"},
            {"-c", "similarity.threshold=2"}}) {
            Path other = Files.createDirectories(dir.resolve("bad" + bad[1].hashCode()));
            Cli.Result r = new Cli(other).run(new String[] {"init", bad[0], bad[1]});
            assertEquals(2, r.code(), String.join(" ", bad) + ": " + r.err());
            assertEquals(1, r.errLines().size(), r.err());
            assertTrue(r.err().contains(bad[1]), r.err());
            assertTrue(!Files.exists(other.resolve(".coral")), "a refused init creates nothing");
        }
    }

    @Test
    void helpRendersItsPercentagesWithoutPicocliWarnings() {
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream warnings = new java.io.ByteArrayOutputStream();
        Cli.Result help;
        try {
            System.setErr(new java.io.PrintStream(warnings, true, java.nio.charset.StandardCharsets.UTF_8));
            help = Cli.runRaw("config", "--help");
        } finally {
            System.setErr(saved);
        }
        assertEquals(0, help.code(), help.err());
        assertEquals("", warnings.toString(java.nio.charset.StandardCharsets.UTF_8), "picocli formats the help text");
        String text = help.out().replaceAll("\\s+", " ");
        assertTrue(text.contains("2-3% smaller fp32") && !text.contains("%%"), text);
    }

    @Test
    void aDamagedConfigIsNamedAndRewrittenBySettingAValue() throws IOException {
        Cli cli = new Cli(dir);
        cli.run("init").ok();
        Files.write(dir.resolve(".coral/config"), new byte[] {'x'});
        Cli.Result r = cli.run("config");
        assertEquals(1, r.code());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains("config"), r.err());
        assertEquals(0, cli.run("config", "zstd.level", "1").code());
        assertEquals(0, cli.run("config").code());
    }
}
