package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An npz whose deflated members Coral cannot rebuild (here deflated at level 0 by Python's zipfile)
 * comes back value-identical, not byte-identical: checkout writes its own zip (an npz of stored
 * members, or of members deflated as {@code np.savez_compressed} does, comes back byte for byte,
 * {@link NpzByteExactTest}, {@code NpzDeflatedVerbatimTest}). Added again
 * untouched (racy or trusted), it stays the staged entry: before (found by fuzzing), add stored a
 * new file entry of the same tensors, so the untouched file showed as modified and a commit of
 * nothing was made.
 */
class NpzReaddTest {
    @TempDir
    Path dir;

    @Test
    void anUntouchedNpzWrittenByACheckoutAddsAsUnchanged() throws IOException {
        Path z = dir.resolve("z.npz");
        try (Repository repo = Repository.init(dir)) {
            commitNumpysThenCheckOut(repo, z);
            assertFalse(Arrays.equals(Files.readAllBytes(numpys), Files.readAllBytes(z)), "the checkout's zip differs from numpy's");
            assertTrue(repo.status().isClean());

            Repository.AddResult racy = repo.add(List.of(z)); // right after the checkout: compared by content
            assertEquals(List.of("z.npz"), racy.unchanged());
            assertTrue(repo.status().isClean(), repo.status().toString());
            TestModels.backdate(repo, 10_000);
            Repository.AddResult trusted = repo.add(List.of(dir)); // trusted by its stat
            assertEquals(List.of("z.npz"), trusted.unchanged());
            assertTrue(repo.status().isClean(), repo.status().toString());
            assertNothingToCommit(repo);
        }
    }

    /**
     * With its index entry gone ({@code rm --cached}) or replaced ({@code restore -S -s REV}), the
     * untouched file a checkout wrote is staged again as HEAD's version: it holds HEAD's values
     * (before, found by fuzzing: a new version of the same tensors, and a commit of nothing).
     */
    @Test
    void stagedAgainWithoutItsEntryItIsHeadsVersion() throws IOException {
        Path z = dir.resolve("z.npz");
        Files.copy(numpys, z);
        try (Repository repo = Repository.init(dir)) {
            repo.add(List.of(z));
            repo.commit(CommitRequest.of("one"));
            Path other = TestModels.writeSafetensors(dir.resolve("other.safetensors"), TestModels.randomTensors(1, 1, 10));
            repo.add(List.of(other));
            repo.commit(CommitRequest.of("two"));
            Files.delete(z);
            repo.restoreWorkTree(List.of(z), null, false);

            repo.remove(List.of(z), true);
            repo.add(List.of(z));
            assertTrue(repo.status().isClean(), repo.status().toString());

            TestModels.backdate(repo, 10_000);
            repo.remove(List.of(z), true);
            repo.add(List.of(z));
            assertTrue(repo.status().isClean(), "read again, not racy: " + repo.status());
            assertNothingToCommit(repo);
        }
    }

    /**
     * The file as it was added (numpy's zip) put back over the one a checkout wrote is that
     * version, for status, add, checkout and rm: before, status called it modified and rm and
     * checkout refused it as local work, while add staged nothing. The checkout's zip stays that
     * version too, whichever of the two the folder held when status ran (a first version of this
     * fix restamped the entry with numpy's bytes, and the checkout's zip then read as modified).
     */
    @Test
    void theFileAsAddedPutBackOverTheCheckoutIsUnmodified() throws IOException {
        Path z = dir.resolve("z.npz");
        try (Repository repo = Repository.init(dir)) {
            ObjectId one = commitNumpysThenCheckOut(repo, z);
            byte[] checkouts = Files.readAllBytes(z);
            assertFalse(checkouts.length == Files.size(numpys), "the test needs the checkout's zip to be of another size");

            Files.copy(numpys, z, StandardCopyOption.REPLACE_EXISTING);
            assertTrue(repo.status().isClean(), "racy: " + repo.status());
            TestModels.backdate(repo, 10_000);
            Files.copy(numpys, z, StandardCopyOption.REPLACE_EXISTING);
            assertTrue(repo.status().isClean(), repo.status().toString());
            assertEquals(checkouts.length, repo.readIndex().entries().get("z.npz").size(), "the entry keeps the checkout's zip");
            Repository.AddResult added = repo.add(List.of(z));
            assertEquals(List.of("z.npz"), added.unchanged());
            assertEquals(0, added.chunksWritten() + added.chunksDeduplicated(), "not read as tensors again");

            Files.write(z, checkouts);
            assertTrue(repo.status().isClean(), "the checkout's own zip again: " + repo.status());
            Files.copy(numpys, z, StandardCopyOption.REPLACE_EXISTING);
            repo.checkout(one.toString(), true); // forced: the file is that version, so it stays
            assertArrayEquals(Files.readAllBytes(numpys), Files.readAllBytes(z));
            assertEquals(List.of("z.npz"), repo.remove(List.of(z), false)); // not refused as local work
            assertFalse(Files.exists(z));
        }
    }

    /** A file of the size of the one added, but other bytes, is modified. */
    @Test
    void otherBytesOfTheSizeAddedAreModified() throws IOException {
        Path z = dir.resolve("z.npz");
        try (Repository repo = Repository.init(dir)) {
            commitNumpysThenCheckOut(repo, z);
            byte[] other = Files.readAllBytes(numpys);
            other[other.length / 2] ^= 1;
            Files.write(z, other);
            assertEquals(List.of(new Status.Change(Status.Kind.MODIFIED, "z.npz")), repo.status().notStaged());
            TestModels.backdate(repo, 10_000);
            assertEquals(List.of(new Status.Change(Status.Kind.MODIFIED, "z.npz")), repo.status().notStaged());
            assertThrows(BadInputException.class, () -> repo.remove(List.of(z), false));
            assertArrayEquals(other, Files.readAllBytes(z));
        }
    }

    private final Path numpys = Path.of(System.getProperty("coral.testdata", "../testdata")).resolve("npz_deflated_level0.npz");

    /** Commits zipfile's level-0 npz as {@code z}, deletes it and checks it out (a zip of Coral's own); returns the commit. */
    private ObjectId commitNumpysThenCheckOut(Repository repo, Path z) throws IOException {
        Files.copy(numpys, z);
        repo.add(List.of(z));
        ObjectId one = repo.commit(CommitRequest.of("one"));
        Files.delete(z);
        repo.restoreWorkTree(List.of(z), null, false);
        return one;
    }

    /** A commit now is refused: the staged files are HEAD's (before, a commit of nothing was made). */
    private static void assertNothingToCommit(Repository repo) {
        BadInputException e = assertThrows(BadInputException.class, () -> repo.commit(CommitRequest.of("nothing")), "a commit of nothing was made");
        assertTrue(e.getMessage().startsWith("nothing to commit"), e.getMessage());
    }
}
