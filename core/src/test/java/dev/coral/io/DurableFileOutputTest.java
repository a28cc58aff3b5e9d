package dev.coral.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file written through {@link DurableFileOutput}, several background flushes long, in pieces of
 * any size, reads back exactly; one abandoned while a flush may run closes cleanly.
 */
class DurableFileOutputTest {
    @TempDir
    Path dir;

    @Test
    void aFileSeveralFlushesLongReadsBackExactly() throws IOException {
        long seed = new Random().nextLong();
        Random r = new Random(seed);
        byte[] data = new byte[(int) (3 * DurableFileOutput.FLUSH_EVERY) + 12345];
        r.nextBytes(data);
        Path f = dir.resolve("out.bin");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                DurableFileOutput out = new DurableFileOutput(ch, f.toString())) {
            int at = 0;
            while (at < data.length) {
                int n = Math.min(data.length - at, r.nextInt(4) == 0 ? 1 : r.nextInt(3 << 20));
                if (n == 1) {
                    out.write(data[at]);
                } else {
                    out.write(data, at, n);
                }
                at += n;
            }
            out.finish();
        }
        assertArrayEquals(data, Files.readAllBytes(f), "seed " + seed);
    }

    @Test
    void aFileAbandonedDuringAFlushClosesCleanly() throws IOException {
        byte[] piece = new byte[1 << 20];
        new Random(3).nextBytes(piece);
        for (int trial = 0; trial < 4; trial++) {
            Path f = dir.resolve("abandoned-" + trial);
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                    DurableFileOutput out = new DurableFileOutput(ch, f.toString())) {
                for (long n = 0; n < DurableFileOutput.FLUSH_EVERY + trial * (long) piece.length; n += piece.length) {
                    out.write(piece);
                }
            } // no finish: abandoned, the channel closed under a flush that may still run
            Files.delete(f);
        }
        try (var left = Files.list(dir)) {
            assertTrue(left.findAny().isEmpty());
        }
    }
}
