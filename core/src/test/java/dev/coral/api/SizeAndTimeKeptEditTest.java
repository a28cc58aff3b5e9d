package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import dev.coral.repo.StagingIndex;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An edit that keeps a file's size and modification time ({@code cp -p}, {@code rsync -t},
 * {@code tar x}, a tool that puts the time back) long after the index trusted its entry (not
 * racy): the file's ctime changed, which the entry recorded, so {@code status} compares it by
 * content and shows it modified, {@code add} stages it, and a checkout refuses to overwrite it.
 * Before the staging index recorded change stamps (version 3) status said "clean", add said
 * "unchanged" and the checkout overwrote the edit (found by fuzzing).
 */
class SizeAndTimeKeptEditTest {
    @TempDir
    Path dir;
    private Path m;

    /** Two commits of m, the index trusted (backdated past the racy window), then m edited keeping size and time. */
    @BeforeEach
    void committedThenEdited() throws IOException {
        Assumptions.assumeTrue(java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("unix"),
                "NOT TESTED: no ctime on this platform; size and time alone are compared");
        m = TestModels.writeSafetensors(dir.resolve("m.safetensors"), TestModels.randomTensors(1, 3, 2000));
        try (Repository repo = Repository.init(dir)) {
            repo.add(List.of(m));
            repo.commit(CommitRequest.of("one"));
            TestModels.writeSafetensors(m, TestModels.randomTensors(2, 3, 2000));
            repo.add(List.of(m));
            repo.commit(CommitRequest.of("two"));
            TestModels.backdate(repo, 10_000);
            StagingIndex.Entry e = repo.readIndex().entries().get("m.safetensors");
            assertTrue(e.mtimeMillis() != StagingIndex.UNVERIFIED, "trusted by its stat");
            assertTrue(repo.status().isClean());
        }
        TestModels.editKeepingSizeAndTime(m);
    }

    @Test
    void statusShowsItModifiedAndAddStagesIt() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            assertEquals(List.of(new Status.Change(Status.Kind.MODIFIED, "m.safetensors")), repo.status().notStaged());
            repo.add(List.of(m));
            assertEquals(List.of(new Status.Change(Status.Kind.MODIFIED, "m.safetensors")), repo.status().staged());
            repo.commit(CommitRequest.of("three"));
            assertTrue(repo.status().isClean());
        }
    }

    @Test
    void aCheckoutRefusesToOverwriteItAndAForcedOneRestoresIt() throws IOException {
        byte[] edited = Files.readAllBytes(m);
        try (Repository repo = Repository.open(dir)) {
            BadInputException e = assertThrows(BadInputException.class, () -> repo.checkout("HEAD~1", false));
            assertTrue(e.getMessage().contains("local changes to m.safetensors"), e.getMessage());
            assertArrayEquals(edited, Files.readAllBytes(m), "the edit is kept");
            repo.checkout("HEAD", true);
            assertTrue(repo.status().isClean());
        }
    }

    @Test
    void aTouchWithTheSameBytesIsReadOnceAndTrustedAgain() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            repo.checkout("HEAD", true); // the committed bytes again
            TestModels.backdate(repo, 10_000);
            Files.setLastModifiedTime(m, Files.getLastModifiedTime(m)); // a new ctime, the same bytes
            assertTrue(repo.status().isClean(), "compared by content: the same bytes");
        }
    }
}
