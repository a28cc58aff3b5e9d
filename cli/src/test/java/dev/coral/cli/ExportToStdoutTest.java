package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code coral export REV:PATH -o -}: the file as committed on standard output, byte for byte (or
 * converted with --format, the same bytes as an export to a file); nothing else on it; a reader
 * that goes away ends the export with a one-line error and exit code 1.
 */
class ExportToStdoutTest {
    @TempDir
    Path dir;

    private Cli committed(long seed) throws IOException {
        Cli cli = new Cli(dir);
        cli.run("init").ok();
        Cli.writeModel(dir.resolve("model.safetensors"), seed, "a", "b", "c");
        cli.run("add", "model.safetensors").ok();
        cli.run("commit", "-m", "one").ok();
        return cli;
    }

    @Test
    void theCommittedFileGoesToStandardOutputByteForByte() throws IOException {
        Cli cli = committed(7);
        byte[] v1 = Files.readAllBytes(dir.resolve("model.safetensors"));
        Cli.writeModel(dir.resolve("model.safetensors"), 8, "a", "b", "c");
        cli.run("commit", "-a", "-m", "two").ok();
        assertArrayEquals(v1, cli.run("export", "HEAD~1:model.safetensors", "-o", "-").ok().outBytes());
        assertArrayEquals(Files.readAllBytes(dir.resolve("model.safetensors")), cli.run("export", "HEAD", "-o", "-").ok().outBytes(),
                "PATH left out: the commit's one file");
    }

    @Test
    void anNpzGoesOutAsItsCheckoutWritesIt() throws IOException {
        Cli cli = new Cli(dir);
        cli.run("init").ok();
        java.util.SplittableRandom r = new java.util.SplittableRandom(21);
        Cli.write(dir.resolve("w.npz"), "npz", java.util.List.of(Cli.f32("a", r, 300, 7), Cli.f32("b", r, 5)));
        cli.run("commit", "-m", "npz", "w.npz").ok();
        Files.delete(dir.resolve("w.npz"));
        cli.run("checkout", "--force", "HEAD", "--", "w.npz").ok();
        assertArrayEquals(Files.readAllBytes(dir.resolve("w.npz")), cli.run("export", "HEAD:w.npz", "-o", "-").ok().outBytes());
    }

    @Test
    void withAFormatTheConvertedFileMatchesAnExportToAFile() throws IOException {
        Cli cli = committed(9);
        cli.run("export", "HEAD:model.safetensors", "-o", "out.npz").ok();
        Cli.Result r = cli.run("export", "HEAD:model.safetensors", "-o", "-", "--format", "npz").ok();
        assertArrayEquals(Files.readAllBytes(dir.resolve("out.npz")), r.outBytes());
        assertEquals("", r.err());
    }

    @Test
    void aReaderThatGoesAwayEndsTheExportWithOneLine() throws IOException {
        committed(11);
        OutputStream closesEarly = new OutputStream() {
            int written;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                written += len;
                if (written > 1000) {
                    throw new IOException("Broken pipe");
                }
            }
        };
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new PrintStream(closesEarly, false, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                "-C", dir.toString(), "export", "HEAD:model.safetensors", "-o", "-");
        String e = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, code, e);
        assertEquals(1, e.strip().lines().count(), e);
        assertTrue(e.contains("standard output"), e);
    }

    @Test
    void anUnknownFormatIsOneLineAndNothingOnStandardOutput() throws IOException {
        Cli cli = committed(13);
        Cli.Result r = cli.run("export", "HEAD:model.safetensors", "-o", "-", "--format", "pickle");
        assertTrue(r.code() != 0);
        assertEquals(0, r.outBytes().length);
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains("pickle"), r.err());
    }
}
