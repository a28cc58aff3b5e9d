package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Buffers written on the background thread land in order, whole; a failed write is reported once, naming the file. */
class BackgroundChannelWriterTest {
    @TempDir
    Path dir;

    @RepeatedTest(5)
    void buffersLandInTheOrderSubmitted(org.junit.jupiter.api.RepetitionInfo rep) throws IOException {
        long seed = 1000 + rep.getCurrentRepetition();
        Random r = new Random(seed);
        int bufferBytes = 1 + r.nextInt(4096);
        Path file = dir.resolve("out");
        byte[] expected = new byte[r.nextInt(200_000)];
        r.nextBytes(expected);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             BackgroundChannelWriter w = new BackgroundChannelWriter(ch, bufferBytes, "out")) {
            ByteBuffer buf = ByteBuffer.allocateDirect(bufferBytes);
            int at = 0;
            while (at < expected.length) {
                int n = Math.min(buf.remaining(), Math.min(expected.length - at, 1 + r.nextInt(bufferBytes)));
                buf.put(expected, at, n);
                at += n;
                if (!buf.hasRemaining()) {
                    buf = w.submit(buf);
                }
            }
            buf = w.submit(buf);
            w.drain();
        }
        assertArrayEquals(expected, Files.readAllBytes(file), "seed " + seed + ", buffers of " + bufferBytes);
    }

    @Test
    void aFailedWriteIsRethrownNamingTheFile() throws IOException {
        Path file = dir.resolve("pack-x.tmp");
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try (BackgroundChannelWriter w = new BackgroundChannelWriter(ch, 64, "pack-x.tmp")) {
            ch.close(); // every write from now on fails
            ByteBuffer buf = ByteBuffer.allocateDirect(64);
            buf.put(new byte[64]);
            w.submit(buf);
            IOException e = assertThrows(IOException.class, w::drain);
            assertTrue(e.getMessage().contains("pack-x.tmp"), e.getMessage());
            assertThrows(IOException.class, () -> w.submit(ByteBuffer.allocateDirect(64)), "later submits fail too");
        }
    }
}
