package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code export -o FILE} in the file's own format writes it as committed, byte-identical as
 * {@code -o -} and checkout do. Found by fuzzing: a safetensors header written with Python's
 * {@code json.dumps} defaults (", " and ": ") came out rewritten in compact JSON.
 */
class ExportToFileTest {
    @TempDir
    Path dir;

    @Test
    void aFileExportedInItsOwnFormatIsByteIdentical() throws Exception {
        Cli cli = new Cli(dir);
        cli.run("init").ok();
        byte[] header = "{\"ctr\": {\"dtype\": \"I32\", \"shape\": [3], \"data_offsets\": [0, 12]}}    ".getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        file.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
        file.writeBytes(header);
        file.writeBytes(ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(0).putInt(1).putInt(2).array());
        byte[] committed = file.toByteArray();
        Files.write(dir.resolve("m.safetensors"), committed);
        Cli.writeModel(dir.resolve("w.safetensors"), 3, "a", "b");
        cli.run("commit", "-m", "one", "m.safetensors", "w.safetensors").ok();
        byte[] w = Files.readAllBytes(dir.resolve("w.safetensors"));

        cli.run("export", "HEAD:m.safetensors", "-o", "out/m.safetensors").ok();
        assertArrayEquals(committed, Files.readAllBytes(dir.resolve("out/m.safetensors")));
        cli.run("export", "HEAD:w.safetensors", "-o", "out/w.safetensors").ok();
        assertArrayEquals(w, Files.readAllBytes(dir.resolve("out/w.safetensors")));
        cli.run("export", "HEAD:m.safetensors", "-o", "out/m.npz").ok(); // another format still converts
        cli.run("export", "HEAD:m.safetensors", "-o", "out/again.safetensors", "--format", "safetensors").ok();
        assertArrayEquals(committed, Files.readAllBytes(dir.resolve("out/again.safetensors")));
    }

    /**
     * An export writes a new file and renames it into place: through a symbolic link it replaces
     * the file the link names (the link stays), and a pipe or a device is refused. Found by
     * fuzzing: {@code -o /dev/stdout} inside batch replaced the system's link with a file.
     */
    @Test
    void anExportWritesThroughALinkAndRefusesAPipeOrADevice() throws Exception {
        Cli cli = new Cli(dir);
        cli.run("init").ok();
        Cli.writeModel(dir.resolve("w.safetensors"), 3, "a");
        cli.run("commit", "-m", "one", "w.safetensors").ok();
        byte[] w = Files.readAllBytes(dir.resolve("w.safetensors"));
        Path target = Files.createDirectories(dir.resolve("out")).resolve("target.safetensors");
        Files.createSymbolicLink(dir.resolve("link.safetensors"), target);
        cli.run("export", "HEAD:w.safetensors", "-o", "link.safetensors").ok();
        assertTrue(Files.isSymbolicLink(dir.resolve("link.safetensors")), "the link stays");
        assertArrayEquals(w, Files.readAllBytes(target));

        Path fifo = dir.resolve("pipe.safetensors");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertEquals(0, mk.waitFor(), "mkfifo (Linux) is needed to make the pipe");
        for (String out : new String[] {fifo.toString(), "/dev/null"}) {
            Cli.Result r = cli.run("export", "HEAD:w.safetensors", "-o", out, "--format", "safetensors");
            assertEquals(1, r.code(), out + ": " + r.out());
            assertTrue(r.err().contains("not a regular file (a pipe, a device or a socket)"), r.err());
        }
        assertTrue(Files.exists(fifo) && !Files.isRegularFile(fifo), "the pipe stays a pipe");
        assertFalse(Files.isRegularFile(Path.of("/dev/null")), "/dev/null stays a device");
    }
}
