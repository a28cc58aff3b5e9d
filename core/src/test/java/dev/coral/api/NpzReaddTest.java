package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An npz with deflated members comes back value-identical, not byte-identical: checkout writes
 * its own zip (an npz of stored members comes back byte for byte, {@link NpzByteExactTest}). Added again
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
        Files.copy(Path.of(System.getProperty("coral.testdata", "../testdata")).resolve("npz_deflated.npz"), z); // written by numpy
        byte[] numpys = Files.readAllBytes(z);
        try (Repository repo = Repository.init(dir)) {
            repo.add(List.of(z));
            repo.commit(CommitRequest.of("one"));
            Files.delete(z);
            repo.restoreWorkTree(List.of(z), null, false);
            assertFalse(Arrays.equals(numpys, Files.readAllBytes(z)), "the checkout's zip differs from numpy's");
            assertTrue(repo.status().isClean());

            Repository.AddResult racy = repo.add(List.of(z)); // right after the checkout: compared by content
            assertEquals(List.of("z.npz"), racy.unchanged());
            assertTrue(repo.status().isClean(), repo.status().toString());
            TestModels.backdate(repo, 10_000);
            Repository.AddResult trusted = repo.add(List.of(dir)); // trusted by its stat
            assertEquals(List.of("z.npz"), trusted.unchanged());
            assertTrue(repo.status().isClean(), repo.status().toString());
            try {
                repo.commit(CommitRequest.of("two"));
                throw new AssertionError("a commit of nothing was made");
            } catch (BadInputException e) {
                assertTrue(e.getMessage().startsWith("nothing to commit"), e.getMessage());
            }
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
        Files.copy(Path.of(System.getProperty("coral.testdata", "../testdata")).resolve("npz_deflated.npz"), z);
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
            try {
                repo.commit(CommitRequest.of("three"));
                throw new AssertionError("a commit of nothing was made");
            } catch (BadInputException e) {
                assertTrue(e.getMessage().startsWith("nothing to commit"), e.getMessage());
            }
        }
    }
}
