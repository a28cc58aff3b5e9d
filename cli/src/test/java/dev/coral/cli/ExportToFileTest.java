package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

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
}
