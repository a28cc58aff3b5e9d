package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class TextTest {
    @Test
    void aCountTakesItsNounInTheSingularOnlyForOne() {
        assertEquals("0 chunks", Text.count(0, "chunk"));
        assertEquals("1 chunk", Text.count(1, "chunk"));
        assertEquals("2 chunks", Text.count(2, "chunk"));
        assertEquals("1 delta chunk", Text.count(1, "delta chunk"));
        assertEquals("12345678901 reachable objects", Text.count(12_345_678_901L, "reachable object"));
    }

    @Test
    void bytesUseDecimalUnits() {
        assertEquals("999 B", Text.bytes(999));
        assertEquals("1.00 kB", Text.bytes(1000));
        assertEquals("84.2 MB", Text.bytes(84_181_544));
        assertEquals("1.47 MB", Text.bytes(1_474_444));
        assertEquals("1.50 MB", Text.bytes(1_500_000));
    }

    @Test
    void namesFromFilesShowTheirControlCharactersEscaped() {
        assertEquals("layer0.weight", Text.shown("layer0.weight"));
        assertEquals("évaluation ✓ 重み", Text.shown("évaluation ✓ 重み"));
        assertEquals("evil\\x1b[31mRED\\x1b[0m", Text.shown("evil\u001b[31mRED\u001b[0m"));
        assertEquals("a\\nb\\tc\\rd\\x00e\\x7ff\\x9b", Text.shown("a\nb\tc\rd\u0000e\u007ff\u009b"));
    }

    /**
     * Found by fuzzing: tensor names and paths from a file's header reached the terminal raw
     * through show, stats --files and status (an ESC sequence recoloured it, a newline split a
     * table row). Text output escapes them; JSON output keeps them exactly (escaped as JSON does).
     */
    @Test
    void controlCharactersInNamesNeverReachTheTerminal(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        Cli cli = new Cli(dir);
        cli.run("init").ok();
        Cli.writeModel(dir.resolve("m.safetensors"), 1, "evil\u001b[31mRED", "nl\nname");
        Cli.writeModel(dir.resolve("p\nq.safetensors"), 2, "w");
        String status = cli.run("status").ok().out();
        cli.run("add", ".").ok();
        cli.run("commit", "-m", "x").ok();
        for (String out : java.util.List.of(status, cli.run("show", "HEAD").ok().out(), cli.run("show", "HEAD:m.safetensors").ok().out(),
                cli.run("stats", "--files").ok().out())) {
            assertEquals(-1, out.indexOf('\u001b'), out);
            org.junit.jupiter.api.Assertions.assertFalse(out.contains("p\nq") || out.contains("nl\nname"), out);
        }
        org.junit.jupiter.api.Assertions.assertTrue(cli.run("show", "HEAD:m.safetensors").ok().out().contains("evil\\x1b[31mRED"));
        org.junit.jupiter.api.Assertions.assertTrue(cli.run("stats", "--files").ok().out().contains("p\\nq.safetensors"));
        org.junit.jupiter.api.Assertions.assertTrue(cli.run("show", "--json", "HEAD:m.safetensors").ok().out().contains("evil\\u001b[31mRED"));
        Cli.Result missing = cli.run("show", "HEAD:gone\u001b[2J.safetensors");
        org.junit.jupiter.api.Assertions.assertTrue(missing.code() != 0 && missing.err().contains("gone\\x1b[2J") && missing.err().indexOf('\u001b') < 0,
                missing.err());
    }
}
