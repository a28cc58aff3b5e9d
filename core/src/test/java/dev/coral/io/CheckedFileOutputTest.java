package dev.coral.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file written through {@link CheckedFileOutput} from any mix of small and large writes and of
 * ranges that other threads write at their place (in any order, as decoder threads finish) holds
 * exactly the bytes in stream order; its count and CRC32C are those of those bytes.
 */
class CheckedFileOutputTest {
    @TempDir
    Path dir;

    @RepeatedTest(25)
    void streamWritesAndRangesWrittenElsewhereMakeTheFileInOrder() throws Exception {
        long seed = new Random().nextLong();
        Random r = new Random(seed);
        ByteArrayOutputStream want = new ByteArrayOutputStream();
        Path f = dir.resolve("f");
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            CheckedFileOutput out = new CheckedFileOutput(ch);
            int steps = r.nextInt(12);
            for (int s = 0; s < steps; s++) {
                switch (r.nextInt(4)) {
                    case 0 -> {
                        int b = r.nextInt(256);
                        out.write(b);
                        want.write(b);
                    }
                    case 1, 2 -> {
                        byte[] b = new byte[r.nextInt(4) == 0 ? r.nextInt(3 * CheckedFileOutput.BUFFER) : r.nextInt(300)];
                        r.nextBytes(b);
                        int off = b.length == 0 ? 0 : r.nextInt(b.length);
                        int len = b.length - off;
                        out.write(b, off, len);
                        want.write(b, off, len);
                    }
                    default -> { // pieces written by other threads, finishing in any order
                        int pieces = 1 + r.nextInt(5);
                        byte[][] parts = new byte[pieces][];
                        for (int k = 0; k < pieces; k++) {
                            parts[k] = new byte[r.nextInt(3) == 0 ? 0 : 1 + r.nextInt(100_000)];
                            r.nextBytes(parts[k]);
                        }
                        long at = out.claim();
                        assertEquals(want.size(), at, "seed " + seed);
                        Future<?>[] done = new Future<?>[pieces];
                        long p = at;
                        for (int k = pieces - 1; k >= 0; k--) { // submitted last first
                            long from = at + offsetOf(parts, k);
                            byte[] part = parts[k];
                            done[k] = pool.submit(() -> {
                                ByteBuffer b = ByteBuffer.wrap(part);
                                for (long q = from; b.hasRemaining(); ) {
                                    q += ch.write(b, q);
                                }
                                return null;
                            });
                        }
                        for (int k = 0; k < pieces; k++) {
                            done[k].get();
                            out.wroteDirectly(parts[k].length, Crc32c.of(parts[k], 0, parts[k].length));
                            want.write(parts[k]);
                            p += parts[k].length;
                        }
                        assertEquals(p, out.count(), "seed " + seed);
                    }
                }
            }
            CRC32C crc = new CRC32C();
            crc.update(want.toByteArray());
            assertEquals(crc.getValue(), out.crc32c(), "seed " + seed);
            assertEquals(want.size(), out.count(), "seed " + seed);
        } finally {
            pool.shutdown();
        }
        assertArrayEquals(want.toByteArray(), Files.readAllBytes(f), "seed " + seed);
    }

    private static long offsetOf(byte[][] parts, int k) {
        long o = 0;
        for (int i = 0; i < k; i++) {
            o += parts[i].length;
        }
        return o;
    }

    @Test
    void aStreamWriteBetweenAClaimAndItsRangeIsRefused() throws IOException {
        try (FileChannel ch = FileChannel.open(dir.resolve("g"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            CheckedFileOutput out = new CheckedFileOutput(ch);
            out.claim();
            out.write(1);
            assertThrows(IllegalStateException.class, () -> out.wroteDirectly(10, 0));
        }
    }
}
