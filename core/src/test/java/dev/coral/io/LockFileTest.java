package dev.coral.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.LockFailedException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LockFileTest {
    @TempDir
    Path dir;

    private Path ref() throws IOException {
        Files.createDirectories(dir.resolve("locks"));
        Files.createDirectories(dir.resolve("refs/heads"));
        return dir.resolve("refs/heads/main");
    }

    @Test
    void aLockLeftByADeadProcessIsBroken() throws Exception {
        Path ref = ref();
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        Files.writeString(dir.resolve("refs/heads/main.lock"), "coral-lock " + p.pid() + " " + hostForTest() + "\n");
        assertTrue(LockFile.isStale(dir.resolve("refs/heads/main.lock")));
        try (LockFile lf = LockFile.acquire(ref)) {
            lf.commit(new byte[] {1, 2, 3});
        }
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(ref));
        assertFalse(Files.exists(dir.resolve("refs/heads/main.lock")));
    }

    @Test
    void aLiveOwnersLockIsKept() throws Exception {
        Path ref = ref();
        try (LockFile held = LockFile.acquire(ref)) {
            assertFalse(LockFile.isStale(dir.resolve("refs/heads/main.lock")), "our own lock: we are alive");
            assertThrows(LockFailedException.class, () -> LockFile.acquire(ref));
        }
    }

    @Test
    void anOwnerlessLockIsBrokenOnlyWhenOld() throws Exception {
        Path lock = dir.resolve("refs/heads/main.lock");
        ref();
        Files.write(lock, new byte[0]);
        assertFalse(LockFile.isStale(lock), "a young lock whose owner has not written its name yet");
        Files.setLastModifiedTime(lock, FileTime.fromMillis(System.currentTimeMillis() - LockFile.STALE_AFTER_MILLIS - 1000));
        assertTrue(LockFile.isStale(lock));
    }

    /**
     * A lock dated ahead by a moment of clock skew is young; one dated days ahead (set by hand, or
     * by a clock since put right) is judged as that old: it blocked its ref for days (found by fuzzing).
     */
    @Test
    void anOwnerlessLockDatedFarAheadIsJudgedAsOld() throws Exception {
        Path lock = dir.resolve("refs/heads/main.lock");
        ref();
        Files.write(lock, new byte[0]);
        Files.setLastModifiedTime(lock, FileTime.fromMillis(System.currentTimeMillis() + 30_000));
        assertFalse(LockFile.isStale(lock), "30 s ahead: skew, a young lock");
        Files.setLastModifiedTime(lock, FileTime.fromMillis(System.currentTimeMillis() + 3L * 86_400_000));
        assertTrue(LockFile.isStale(lock), "3 days ahead");
        try (LockFile taken = LockFile.acquire(dir.resolve("refs/heads/main"))) {
            assertTrue(Files.exists(lock), "broken, and taken");
        }
    }

    private String hostForTest() throws Exception {
        // The lock names its host the way LockFile does; read it back from a lock we hold.
        Path tmp = Files.createDirectories(dir.resolve("lockhost"));
        Files.createDirectories(tmp.resolve("locks"));
        try (LockFile lf = LockFile.acquire(tmp.resolve("x"))) {
            return Files.readString(tmp.resolve("x.lock")).trim().split(" ")[2];
        }
    }
}
