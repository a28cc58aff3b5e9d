package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoCommandTest {
    @TempDir
    Path dir;

    @Test
    void demoPassesWithTheBundledTestdata() {
        Cli.Result r = new Cli(dir).run("demo", "--dir", "demo");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("demo passed"), r.out());
        assertTrue(r.out().contains("sample files from testdata"), r.out());
        assertTrue(Files.isDirectory(dir.resolve("demo/.coral")));
    }

    @Test
    void demoWithoutTestdataUsesTheGeneratedModelAndCleansUp() {
        Cli.Result r = new Cli(dir).run("demo", "--testdata", "absent");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("no testdata folder found"), r.out());
        assertTrue(r.out().contains("(removed "), r.out());
        assertFalse(r.out().contains("FAILED"));
    }

    @Test
    void demoRefusesANonEmptyDir() throws Exception {
        Files.writeString(dir.resolve("x"), "x");
        Cli.Result r = new Cli(dir).run("demo", "--dir", ".");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("not empty"), r.err());
    }
}
