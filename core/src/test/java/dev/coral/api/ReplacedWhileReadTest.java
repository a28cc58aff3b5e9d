package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import dev.coral.io.FaultPoints;
import dev.coral.repo.FileEntry;
import dev.coral.similarity.LshIndex;
import dev.coral.store.ObjectId;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A file another process replaces while {@code add} or {@code commit} reads it (a training loop
 * writing its checkpoint to a temporary file and renaming it over the last) is stored as it was when
 * the read opened it, as git reads it through the descriptor it opened (since 2026-12-07; before
 * that it was read again, and refused after three replacements); one replaced while the read opened
 * it is read again. Until 2026-12-07 the command failed "changed while it was being added". A file
 * changed in place meanwhile is still refused: its writer is still at it.
 */
class ReplacedWhileReadTest {
    @TempDir
    Path dir;

    private final AtomicInteger reads = new AtomicInteger();

    @AfterEach
    void noFaults() {
        FaultPoints.install(null);
    }

    /** Version {@code seed} of {@code name}: two F32 tensors of 6,000 elements (large enough to be sketched), renamed into place. */
    private Path replace(String name, long seed) throws IOException {
        Random r = new Random(seed);
        List<dev.coral.format.TensorSource> tensors = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            byte[] b = new byte[6_000 * 4];
            r.nextBytes(b);
            tensors.add(Tensors.of("layer" + i + ".weight", TensorSpec.of(DType.F32, 6_000), b));
        }
        return TestModels.renameInto(dir.resolve(name), tensors);
    }

    /** Counts the reads of a file ({@code ingest.fileOpened}) and runs {@code atStored} after each read's store, the {@code n}th read's as {@code n}. */
    private void eachRead(String point, ReadAction action) {
        FaultPoints.install(p -> {
            if (p.equals("ingest.fileOpened")) {
                reads.incrementAndGet();
            }
            if (p.equals(point)) {
                action.at(reads.get());
            }
        });
    }

    @FunctionalInterface
    private interface ReadAction {
        void at(int read) throws IOException;
    }

    private static String sha(Path f) throws IOException {
        return TestModels.sha256(f);
    }

    private static String tipSha(Repository repo, String path) throws IOException {
        ObjectId id = repo.readTree(repo.headCommit()).files().get(path);
        return HexFormat.of().formatHex(repo.readFileEntry(id).fileSha256());
    }

    @Test
    void aFileReplacedAfterItWasOpenedIsCommittedAsOpenedAndItsReplacementLeftNotStaged() throws IOException {
        Path m = replace("m.safetensors", 1);
        try (Repository repo = Repository.init(dir)) {
            repo.commit(CommitRequest.of("v1"), List.of(m));
            String opened = sha(replace("m.safetensors", 2));
            eachRead("ingest.fileStored", read -> replace("m.safetensors", 10 + read));
            repo.addAndCommit(CommitRequest.of("all"), List.of(m), true);
            assertEquals(1, reads.get(), "read once, through the descriptors it opened");
            assertEquals(opened, tipSha(repo, "m.safetensors"), "version 2, the one the commit found, committed");
            FaultPoints.install(null);
            assertEquals(List.of(new Status.Change(Status.Kind.MODIFIED, "m.safetensors")), repo.status().notStaged(),
                    "the replacement is a change not staged");
            String replacement = sha(m);
            repo.addAndCommit(CommitRequest.of("again"), List.of(m), true);
            assertEquals(replacement, tipSha(repo, "m.safetensors"), "and committed by the next commit");
            Files.delete(m);
            repo.checkoutPaths("HEAD~1", List.of(m));
            assertEquals(opened, sha(m), "the version opened checks out bit-exact");
        }
    }

    /** Every format reads through the descriptors it opened in {@code read}: none opens the path again later. */
    @ParameterizedTest(name = "{0} replaced by {1}")
    @CsvSource({"st_mixed.safetensors, st_subbyte.safetensors", "npy_f4.npy, npy_fortran_f8.npy", "npz_stored.npz, npz_deflated.npz",
            "npz_deflated.npz, npz_deflated_levels.npz", "h5_chunked.h5, h5_latest.h5", "h5_latest.h5, h5_chunked.h5",
            "keras3_mlp.keras, keras3_mlp.keras"})
    void everyFormatIsCommittedAsOpenedWhenReplacedAfter(String first, String second) throws IOException {
        Path testdata = Path.of(System.getProperty("coral.testdata", "../testdata"));
        String ext = first.substring(first.lastIndexOf('.'));
        Path m = dir.resolve("m" + ext);
        Path staged = dir.resolve("next" + ext);
        Files.copy(testdata.resolve(first), m);
        String opened = sha(m);
        try (Repository repo = Repository.init(dir)) {
            eachRead("ingest.fileStored", read -> {
                Files.copy(testdata.resolve(second), staged);
                Files.move(staged, m, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            });
            repo.commit(CommitRequest.of("v1"), List.of(m));
            FaultPoints.install(null);
            assertEquals(1, reads.get());
            assertEquals(opened, tipSha(repo, m.getFileName().toString()), "the file as opened");
            Files.delete(m);
            repo.checkoutPaths("HEAD", List.of(m));
            assertEquals(opened, sha(m), "checked out bit-exact");
        }
    }

    @Test
    void aFileReplacedWhileItWasOpenedIsReadAgainAndItsReplacementCommitted() throws IOException {
        Path m = replace("m.safetensors", 1);
        try (Repository repo = Repository.init(dir)) {
            repo.commit(CommitRequest.of("v1"), List.of(m));
            replace("m.safetensors", 2);
            eachRead("ingest.fileOpened", read -> {
                if (read == 1) {
                    replace("m.safetensors", 3);
                }
            });
            repo.addAndCommit(CommitRequest.of("all"), List.of(m), true);
            assertEquals(2, reads.get(), "read again once");
            assertTrue(repo.status().notStaged().isEmpty(), "and staged with its own stamp: " + repo.status().notStaged());
            assertReplacementCommitted(repo, m);
        }
    }

    @Test
    void aNewFileReplacedWhileOpenedLeavesOnlyItsReplacementsTensorsIndexed() throws IOException {
        Path m = replace("m.safetensors", 1);
        try (Repository repo = Repository.init(dir)) {
            eachRead("ingest.fileOpened", read -> {
                if (read == 1) {
                    replace("m.safetensors", 2);
                }
            });
            repo.add(List.of(m));
            repo.commit(CommitRequest.of("v2"));
            Set<ObjectId> committed = new HashSet<>();
            for (FileEntry.NamedTensor t : repo.readFileEntry(repo.readTree(repo.headCommit()).files().get("m.safetensors")).tensors()) {
                committed.add(t.tensorId());
            }
            assertEquals(2, reads.get());
            assertEquals(committed, LshIndex.load(dir.resolve(".coral/cache/similarity")).entries().keySet(),
                    "the first read's tensors, which no commit names, are not indexed");
        }
    }

    @Test
    void aFileReplacedEachTimeItIsOpenedIsRefusedAfterThreeReads() throws IOException {
        Path m = replace("m.safetensors", 1);
        try (Repository repo = Repository.init(dir)) {
            repo.commit(CommitRequest.of("v1"), List.of(m));
            eachRead("ingest.fileOpened", read -> replace("m.safetensors", 10 + read));
            BadInputException e = assertThrows(BadInputException.class, () -> repo.add(List.of(m)));
            assertEquals(m + ": changed while it was being added; add it again when it is written", e.getMessage());
            assertEquals(3, reads.get());
            FaultPoints.install(null);
            assertEquals(List.of(new Status.Change(Status.Kind.MODIFIED, "m.safetensors")), repo.status().notStaged(),
                    "nothing staged");
        }
    }

    @Test
    void aFileRemovedAfterItWasOpenedIsCommittedAsOpened() throws IOException {
        Path m = replace("m.safetensors", 1);
        try (Repository repo = Repository.init(dir)) {
            String opened = sha(m);
            eachRead("ingest.fileStored", read -> Files.delete(m));
            repo.commit(CommitRequest.of("v1"), List.of(m));
            assertEquals(1, reads.get());
            assertEquals(opened, tipSha(repo, "m.safetensors"));
            FaultPoints.install(null);
            assertEquals(List.of(new Status.Change(Status.Kind.DELETED, "m.safetensors")), repo.status().notStaged());
        }
    }

    /**
     * The file read, written over in place (with as many bytes as it had, or another number) and
     * then replaced while its chunks are stored: read again. With the same size, the file read is
     * told changed by its modification time, through a descriptor held on it; until then a check of
     * its size alone stored its chunks with a hash of the other bytes.
     */
    @ParameterizedTest(name = "same size: {0}")
    @ValueSource(booleans = {true, false})
    void aFileWrittenOverAndThenReplacedWhileReadIsReadAgain(boolean sameSize) throws IOException {
        Path m = replace("m.safetensors", 1);
        try (Repository repo = Repository.init(dir)) {
            repo.commit(CommitRequest.of("v1"), List.of(m));
            replace("m.safetensors", 2);
            byte[] over = sameSize ? Files.readAllBytes(replace("other.safetensors", 4)) : new byte[100_000];
            eachRead("ingest.fileStored", read -> {
                if (read == 1) {
                    Files.write(m, over); // the file read, written over in place ...
                    replace("m.safetensors", 3); // ... and then replaced
                }
            });
            repo.addAndCommit(CommitRequest.of("all"), List.of(m), true);
            assertEquals(2, reads.get(), "read again: the file read had changed");
            assertReplacementCommitted(repo, m);
        }
    }

    /** Version 3 of {@code m}, the replacement, is at HEAD and checks out bit-exact. */
    private void assertReplacementCommitted(Repository repo, Path m) throws IOException {
        assertEquals(sha(m), tipSha(repo, "m.safetensors"), "the replacement committed");
        Files.delete(m);
        repo.checkoutPaths("HEAD", List.of(m));
        assertEquals(sha(replace("m.safetensors.expected", 3)), sha(m), "and checked out bit-exact");
    }

    @Test
    void aFileChangedInPlaceWhileReadIsRefusedWithoutAnotherRead() throws IOException {
        Path m = replace("m.safetensors", 1);
        try (Repository repo = Repository.init(dir)) {
            repo.commit(CommitRequest.of("v1"), List.of(m));
            Path v2 = replace("v2.safetensors", 2);
            eachRead("ingest.fileStored", read -> Files.write(m, Files.readAllBytes(v2))); // the same inode, written over
            BadInputException e = assertThrows(BadInputException.class, () -> repo.add(List.of(m)));
            assertEquals(m + ": changed while it was being added; add it again when it is written", e.getMessage());
            assertEquals(1, reads.get());
        }
    }

    @Test
    void aFileCutShortWhileReadSaysItChangedNotThatItIsMalformed() throws IOException {
        Path m = replace("m.safetensors", 1);
        try (Repository repo = Repository.init(dir)) {
            eachRead("ingest.fileOpened", read -> {
                try (FileChannel ch = FileChannel.open(m, StandardOpenOption.WRITE)) {
                    ch.truncate(ch.size() / 2); // a writer starting over in place
                }
            });
            BadInputException e = assertThrows(BadInputException.class, () -> repo.add(List.of(m)));
            assertEquals(m + ": changed while it was being added; add it again when it is written", e.getMessage());
            assertEquals(1, reads.get());
            FaultPoints.install(null);
            BadInputException cut = assertThrows(BadInputException.class, () -> repo.add(List.of(m)));
            assertFalse(cut.getMessage().contains("changed while"), "a file cut short before the read is malformed: " + cut.getMessage());
        }
    }
}
