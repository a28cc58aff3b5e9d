package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
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

    /**
     * Writes {@code bytes} through {@code w} in pieces of random lengths, as a pack writer fills
     * its buffers, and waits for them; returns the buffer the writer handed back last.
     */
    private static ByteBuffer writeAll(BackgroundChannelWriter w, ByteBuffer buf, byte[] bytes, Random r) throws IOException {
        int at = 0;
        while (at < bytes.length) {
            int n = Math.min(buf.remaining(), Math.min(bytes.length - at, 1 + r.nextInt(buf.capacity())));
            buf.put(bytes, at, n);
            at += n;
            if (!buf.hasRemaining()) {
                buf = w.submit(buf);
            }
        }
        buf = w.submit(buf);
        w.drain();
        return buf;
    }

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
            writeAll(w, ByteBuffer.allocateDirect(bufferBytes), expected, r);
        }
        assertArrayEquals(expected, Files.readAllBytes(file), "seed " + seed + ", buffers of " + bufferBytes);
    }

    /**
     * Writers in a row share their buffers through a pool, as pack writers do: a writer takes the
     * buffers it adds from the pool and gives them all back once closed; buffers holding an
     * earlier file's bytes write the new file whole.
     */
    @RepeatedTest(5)
    void writersInARowReuseTheBuffersTheOneBeforeGaveBack(org.junit.jupiter.api.RepetitionInfo rep) throws IOException {
        long seed = 2000 + rep.getCurrentRepetition();
        Random r = new Random(seed);
        int bufferBytes = 1 + r.nextInt(4096);
        java.util.ArrayDeque<ByteBuffer> pool = new java.util.ArrayDeque<>();
        int[] made = {0};
        java.util.function.Supplier<ByteBuffer> take = () -> {
            ByteBuffer b = pool.poll();
            if (b == null) {
                made[0]++;
                b = ByteBuffer.allocateDirect(bufferBytes);
            }
            b.clear();
            while (b.hasRemaining()) {
                b.put((byte) 0x5A); // stale bytes, as an earlier file left them
            }
            return b;
        };
        for (int file = 0; file < 3; file++) {
            Path out = dir.resolve("out" + file);
            byte[] expected = new byte[bufferBytes * (BackgroundChannelWriter.BUFFERS + 1) + r.nextInt(50_000)];
            r.nextBytes(expected);
            ByteBuffer buf = take.get().clear();
            try (FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                 BackgroundChannelWriter w = new BackgroundChannelWriter(ch, take, pool::add, "out")) {
                buf = writeAll(w, buf, expected, r);
            }
            pool.add(buf); // the caller's current one, as a pack writer gives its own back
            assertArrayEquals(expected, Files.readAllBytes(out), "seed " + seed + ", file " + file + ", buffers of " + bufferBytes);
            assertTrue(pool.size() == made[0], "seed " + seed + ": every buffer made is back in the pool (" + pool.size() + " of " + made[0] + ")");
        }
        assertTrue(made[0] <= BackgroundChannelWriter.BUFFERS, "seed " + seed + ": later writers made none (" + made[0] + " made)");
    }

    /** As thrown: the pack writer names its folder (WriteErrors), as for the writes it makes itself. */
    @Test
    void aFailedWriteIsRethrownAsThrown() throws IOException {
        Path file = dir.resolve("pack-x.tmp");
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try (BackgroundChannelWriter w = new BackgroundChannelWriter(ch, 64, "pack-x.tmp")) {
            ch.close(); // every write from now on fails
            ByteBuffer buf = ByteBuffer.allocateDirect(64);
            buf.put(new byte[64]);
            w.submit(buf);
            assertThrows(ClosedChannelException.class, w::drain);
            assertThrows(ClosedChannelException.class, () -> w.submit(ByteBuffer.allocateDirect(64)), "later submits fail too");
        }
    }
}
