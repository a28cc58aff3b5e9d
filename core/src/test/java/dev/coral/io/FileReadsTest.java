package dev.coral.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FileReadsTest {
    @TempDir
    Path dir;

    /**
     * Any range (one slice, several, a slice's edge, across and past the end of the file, empty)
     * reads what one positioned read into the whole range reads, and returns the same count.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void readsWhatOnePositionedReadReads(long seed) throws IOException {
        Random rnd = new Random(seed);
        int size = switch ((int) (seed % 4)) {
            case 0 -> 0;
            case 1 -> FileReads.SLICE * (1 + rnd.nextInt(4));
            default -> rnd.nextInt(5 * FileReads.SLICE);
        };
        byte[] content = new byte[size];
        rnd.nextBytes(content);
        Path f = dir.resolve("f" + seed);
        Files.write(f, content);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            for (int k = 0; k < 80; k++) {
                long pos = switch (k % 5) {
                    case 0 -> 0;
                    case 1 -> size + rnd.nextInt(3);
                    case 2 -> Math.max(0, size - rnd.nextInt(2 * FileReads.SLICE + 1));
                    default -> rnd.nextInt(size + 1);
                };
                int len = switch (k % 4) {
                    case 0 -> FileReads.SLICE - 1 + rnd.nextInt(3);
                    case 1 -> rnd.nextInt(64);
                    default -> rnd.nextInt(4 * FileReads.SLICE + 1);
                };
                int off = rnd.nextInt(5);
                byte[] got = new byte[off + len + 3];
                byte[] want = new byte[off + len + 3];
                Arrays.fill(got, (byte) 0x5A);
                Arrays.fill(want, (byte) 0x5A);
                int n = FileReads.read(ch, pos, got, off, len);
                int m = ch.read(ByteBuffer.wrap(want, off, len), pos);
                String what = "seed " + seed + ", size " + size + ", pos " + pos + ", len " + len;
                assertEquals(m, n, what);
                assertArrayEquals(want, got, what);
            }
        }
    }

    @Test
    void aRangeOutsideTheArrayIsRefused() throws IOException {
        Path f = dir.resolve("f");
        Files.write(f, new byte[10]);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            assertThrows(IndexOutOfBoundsException.class, () -> FileReads.read(ch, 0, new byte[8], 1, 8));
            assertThrows(IndexOutOfBoundsException.class, () -> FileReads.read(ch, 0, new byte[8], -1, 2));
        }
    }
}
