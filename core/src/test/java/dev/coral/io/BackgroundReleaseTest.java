package dev.coral.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Replacing and deleting through {@link BackgroundRelease}: the name holds the new bytes (or is
 * gone) when the call returns, whatever the sizes on either side of {@link BackgroundRelease#MIN_BYTES};
 * links are deleted, not what they point to; a failed replacement leaves the target alone; every
 * file held open is closed in the end. The same for a replacement without fsync
 * ({@link BackgroundRelease#replaceUnsynced}), which sets the old file aside first: nothing is
 * left beside the target, and a failed one puts the old file back.
 */
class BackgroundReleaseTest {
    @TempDir
    Path dir;

    @AfterEach
    void everyHeldFileIsClosed() throws InterruptedException {
        for (int i = 0; i < 1000 && BackgroundRelease.held() > 0; i++) {
            Thread.sleep(10); // liveness only: the background thread must get to every close
        }
        assertEquals(0, BackgroundRelease.held(), "files still held open");
    }

    private static int sizeNear(Random r) {
        int m = (int) BackgroundRelease.MIN_BYTES;
        return switch (r.nextInt(5)) {
            case 0 -> 0;
            case 1 -> m - 1;
            case 2 -> m;
            case 3 -> r.nextInt(m);
            default -> m + r.nextInt(3 * m);
        };
    }

    private static byte[] bytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    @ParameterizedTest(name = "unsynced {0}")
    @ValueSource(booleans = {false, true})
    void aReplacedFileHoldsTheNewBytesAndNothingIsLeftBeside(boolean unsynced) throws IOException {
        long seed = new Random().nextLong();
        Random r = new Random(seed);
        Path target = dir.resolve("model.safetensors");
        for (int round = 0; round < 40; round++) {
            if (r.nextInt(4) == 0) {
                Files.deleteIfExists(target);
            }
            byte[] next = bytes(r, sizeNear(r));
            Path tmp = AtomicFile.tempSibling(target);
            Files.write(tmp, next);
            if (unsynced) {
                BackgroundRelease.replaceUnsynced(tmp, target);
            } else {
                BackgroundRelease.moveIntoPlace(tmp, target);
            }
            assertArrayEquals(next, Files.readAllBytes(target), "seed " + seed + ", round " + round);
            try (Stream<Path> s = Files.list(dir)) {
                assertEquals(1, s.count(), "seed " + seed + ", round " + round + ": only the target is left (no file set aside)");
            }
        }
    }

    @Test
    void deletingRemovesTheNameAtOnce() throws IOException {
        long seed = new Random().nextLong();
        Random r = new Random(seed);
        for (int i = 0; i < 80; i++) { // more than MAX_PENDING at once: the callers close the rest
            Path f = dir.resolve("f" + i + ".npy");
            Files.write(f, bytes(r, i % 2 == 0 ? sizeNear(r) : (int) BackgroundRelease.MIN_BYTES));
            assertTrue(BackgroundRelease.deleteIfExists(f), "seed " + seed);
            assertFalse(Files.exists(f), "seed " + seed);
        }
        assertFalse(BackgroundRelease.deleteIfExists(dir.resolve("never-there.npy")));
    }

    /** A link "link.bin" to {@code real}, or null where symbolic links cannot be made. */
    private Path linkTo(Path real) {
        Path link = dir.resolve("link.bin");
        try {
            return Files.createSymbolicLink(link, real);
        } catch (UnsupportedOperationException | IOException e) {
            return null; // no symbolic links here
        }
    }

    @Test
    void aLinkIsDeletedNotWhatItPointsTo() throws IOException {
        Path real = dir.resolve("real.bin");
        byte[] content = bytes(new Random(5), 2 << 20);
        Files.write(real, content);
        Path link = linkTo(real);
        if (link == null) {
            return;
        }
        assertTrue(BackgroundRelease.deleteIfExists(link));
        assertFalse(Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS));
        assertArrayEquals(content, Files.readAllBytes(real));
    }

    @ParameterizedTest(name = "unsynced {0}")
    @ValueSource(booleans = {false, true})
    void aFailedReplacementOfAFolderLeavesItAlone(boolean unsynced) throws IOException {
        Path target = dir.resolve("folder");
        Files.createDirectories(target.resolve("inside"));
        Path tmp = dir.resolve("new.bin");
        Files.write(tmp, bytes(new Random(6), 2 << 20));
        assertThrows(IOException.class, () -> {
            if (unsynced) {
                BackgroundRelease.replaceUnsynced(tmp, target);
            } else {
                BackgroundRelease.moveIntoPlace(tmp, target);
            }
        });
        assertTrue(Files.isDirectory(target.resolve("inside")));
        assertTrue(Files.exists(tmp));
    }

    @Test
    void anUnsyncedReplacementThatFailsPutsTheOldFileBack() throws IOException {
        Path target = dir.resolve("model.safetensors");
        byte[] old = bytes(new Random(7), 2 << 20);
        Files.write(target, old);
        Path missing = dir.resolve(".tmp-never-written");
        assertThrows(IOException.class, () -> BackgroundRelease.replaceUnsynced(missing, target));
        assertArrayEquals(old, Files.readAllBytes(target), "the old file is back in place");
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(1, s.count(), "nothing left beside it");
        }
    }

    @Test
    void anUnsyncedReplacementOfALinkReplacesTheLinkNotWhatItPointsTo() throws IOException {
        Path real = dir.resolve("real.bin");
        byte[] content = bytes(new Random(9), 2 << 20);
        Files.write(real, content);
        Path link = linkTo(real);
        if (link == null) {
            return;
        }
        byte[] next = bytes(new Random(10), 1000);
        Path tmp = AtomicFile.tempSibling(link);
        Files.write(tmp, next);
        BackgroundRelease.replaceUnsynced(tmp, link);
        assertFalse(Files.isSymbolicLink(link));
        assertArrayEquals(next, Files.readAllBytes(link));
        assertArrayEquals(content, Files.readAllBytes(real));
    }
}
