package dev.coral.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link StagedFile}: nothing changes until published; unpublished, it leaves no temporary behind. */
class StagedFileTest {
    @TempDir
    Path dir;

    private List<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void theTargetChangesOnlyWhenPublished() throws IOException {
        Path target = dir.resolve("index");
        Files.writeString(target, "old");
        try (StagedFile f = AtomicFile.stage(target, "new".getBytes(StandardCharsets.UTF_8))) {
            assertEquals("old", Files.readString(target));
            f.publish();
            assertEquals("new", Files.readString(target));
            assertThrows(IllegalStateException.class, f::publish);
        }
        assertEquals(List.of(target), files());
    }

    @Test
    void closedUnpublishedItLeavesTheTargetAndNoTemporary() throws IOException {
        Path target = dir.resolve("index");
        Files.writeString(target, "old");
        try (StagedFile f = AtomicFile.stage(target, new byte[1 << 20])) {
            assertEquals(2, files().size());
        }
        assertEquals("old", Files.readString(target));
        assertEquals(List.of(target), files());
    }

    @Test
    void aFaultBeforeTheFsyncOrTheRenameLeavesTheTargetAsItWas() throws IOException {
        Path target = dir.resolve("main");
        Files.writeString(target, "old");
        for (String point : List.of("atomicFile.beforeFsync:main", "atomicFile.beforeRename:main")) {
            FaultPoints.install(p -> {
                if (p.equals(point)) {
                    throw new IOException("injected at " + p);
                }
            });
            try {
                IOException e = assertThrows(IOException.class, () -> {
                    try (StagedFile f = AtomicFile.stage(target, "new".getBytes(StandardCharsets.UTF_8))) {
                        f.publish();
                    }
                });
                assertEquals("injected at " + point, e.getMessage());
            } finally {
                FaultPoints.install(null);
            }
            assertArrayEquals("old".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(target), point);
            assertEquals(List.of(target), files(), point);
        }
    }

    @Test
    void aStagedRefUpdateHoldsTheLockUntilPublishedOrClosed() throws IOException {
        Path ref = dir.resolve("main");
        Files.writeString(ref, "old");
        LockFile lf = LockFile.acquire(ref);
        try (LockFile.Staged s = lf.stage("new".getBytes(StandardCharsets.UTF_8))) {
            assertEquals(true, Files.exists(dir.resolve("main.lock")));
            s.publish();
        }
        assertEquals("new", Files.readString(ref));
        assertFalse(Files.exists(dir.resolve("main.lock")));
        LockFile again = LockFile.acquire(ref);
        try (LockFile.Staged s = again.stage("newer".getBytes(StandardCharsets.UTF_8))) {
            assertEquals("new", Files.readString(ref));
        }
        assertEquals("new", Files.readString(ref));
        assertEquals(List.of(ref), files());
    }
}
