package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.coral.api.Repository;
import dev.coral.error.NotARepositoryException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** coral batch keeps one handle per repository between commands, and a new one when .coral is made again. */
class SharedHandlesTest {
    @TempDir
    Path dir;

    @Test
    void oneHandlePerRepositoryKeptBetweenCommands() throws Exception {
        Repository.init(dir).close();
        Files.createDirectories(dir.resolve("sub"));
        try (SharedHandles handles = new SharedHandles()) {
            Repository first = handles.open(dir);
            first.close(); // the command is done with it; the batch keeps it
            Repository second = handles.open(dir.resolve("sub"));
            assertSame(first, second, "the same repository from a folder inside it");
            assertEquals("main", second.currentBranch(), "still open");
            second.close();

            try (var walk = Files.walk(dir.resolve(".coral"))) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
            Repository.init(dir).close();
            Repository third = handles.open(dir);
            assertNotSame(first, third, ".coral made again: a new handle");
            assertThrows(IllegalStateException.class, first::retain, "the old handle is closed");
            third.close();
            assertThrows(NotARepositoryException.class, () -> handles.open(dir.getParent()));
        }
    }

    /**
     * At most {@link SharedHandles#MOST_KEPT} handles are kept: past it the least lately given out
     * is closed (a command still holding it keeps it usable), and opened anew when asked again.
     */
    @Test
    void theLeastLatelyUsedHandlesCloseBeyondTheMostKept() throws Exception {
        int n = SharedHandles.MOST_KEPT + 2;
        Path[] roots = new Path[n];
        for (int i = 0; i < n; i++) {
            roots[i] = Files.createDirectories(dir.resolve("r" + i));
            Repository.init(roots[i]).close();
        }
        try (SharedHandles handles = new SharedHandles()) {
            Repository[] first = new Repository[n];
            Repository stillHeld = handles.open(roots[1]); // a command running on r1 through it all
            for (int i = 0; i < n; i++) {
                first[i] = handles.open(roots[i]);
                first[i].close();
                Thread.sleep(1); // distinct times of use
            }
            assertThrows(IllegalStateException.class, first[0]::retain, "r0, the least lately used, was closed");
            assertEquals("main", stillHeld.currentBranch(), "r1's handle stays usable for the command holding it");
            stillHeld.close();
            assertThrows(IllegalStateException.class, first[1]::retain, "and closes once that command is done");
            for (int i = 2; i < n; i++) {
                Repository again = handles.open(roots[i]);
                assertSame(first[i], again, "r" + i + " kept");
                again.close();
            }
            Repository reopened = handles.open(roots[0]);
            assertNotSame(first[0], reopened, "r0 opened anew");
            assertEquals("main", reopened.currentBranch());
            reopened.close();
        }
    }

    /** The daemon lets go of handles unused for a while; a command that still holds one keeps it usable. */
    @Test
    void handlesUnusedForAWhileAreClosed() throws Exception {
        Repository.init(dir).close();
        try (SharedHandles handles = new SharedHandles()) {
            Repository held = handles.open(dir); // a command still running with it
            Repository idle = handles.open(dir);
            idle.close();
            handles.closeUnused(java.util.concurrent.TimeUnit.HOURS.toNanos(1));
            assertSame(held, handles.open(dir), "used within the hour: kept");
            held.close();
            handles.closeUnused(0);
            assertEquals("main", held.currentBranch(), "still open for the command holding it");
            held.close();
            assertThrows(IllegalStateException.class, held::retain, "closed once its last holder closed it");
            try (Repository next = handles.open(dir)) {
                assertNotSame(held, next, "a new handle");
            }
        }
    }

    @Test
    void settingsChangedElsewhereAreSeenByTheNextCommand() throws Exception {
        Repository.init(dir).close();
        try (SharedHandles handles = new SharedHandles()) {
            Repository kept = handles.open(dir);
            kept.close();
            try (Repository other = Repository.open(dir)) { // another process, say
                other.setConfig("delta.max-depth", "3");
            }
            try (Repository next = handles.open(dir)) {
                assertNotSame(kept, next);
                assertEquals(3, next.config().maxChainDepth());
            }
        }
    }

    @Test
    void aFormatFeatureDeclaredElsewhereIsCheckedByTheNextCommand() throws Exception {
        Repository.init(dir).close();
        try (SharedHandles handles = new SharedHandles()) {
            handles.open(dir).close();
            // a newer Coral, say, declares a feature this one does not know
            dev.coral.io.ChecksummedFile.write(dir.resolve(".coral").resolve("format"), "CORALFMT", 1,
                    "predicted-deltas\nzigzag-deltas\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            assertThrows(dev.coral.error.UnsupportedVersionException.class, () -> handles.open(dir));
        }
    }
}
