package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code commitTensors} writes a small checkpoint, its tree and its commit as one pack (one set
 * of fsyncs and renames), and a checkpoint whose stored bytes exceed
 * {@link Repository#CARRIED_PACK_BYTES} as two, the large one before the staging lock.
 */
class OnePackCommitTest {
    @TempDir
    Path dir;

    private long packs() throws IOException {
        try (Stream<Path> s = Files.list(dir.resolve(".coral/packs"))) {
            return s.filter(p -> p.getFileName().toString().startsWith("pack-") && p.toString().endsWith(".pack")).count();
        }
    }

    private static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    private static byte[] read(Repository repo, String revision, String path) throws IOException {
        try (InputStream in = repo.tensor(revision, path, "w").openVerifiedStream()) {
            return in.readAllBytes();
        }
    }

    @Test
    void aSmallCheckpointAndItsCommitShareOnePack() throws IOException {
        try (Repository repo = Repository.init(dir)) {
            for (int v = 0; v < 3; v++) {
                long before = packs();
                byte[] w = random(v, 64 << 10);
                repo.commitTensors("m.safetensors", List.of(Tensors.of("w", TensorSpec.of(DType.U8, w.length), w)), Map.of(),
                        CommitRequest.of("v" + v));
                assertEquals(before + 1, packs(), "commit " + v + " wrote one pack");
                assertArrayEquals(w, read(repo, "HEAD", "m.safetensors"));
                assertTrue(repo.status().staged().isEmpty(), "the staging index holds what HEAD holds: " + repo.status().staged());
            }
        }
    }

    @Test
    void aCheckpointOverTheCarriedSizeIsFlushedBeforeTheLock() throws IOException {
        int n = (int) Repository.CARRIED_PACK_BYTES + (1 << 20); // random bytes: stored at about their size
        try (Repository repo = Repository.init(dir)) {
            byte[] w = random(7, n);
            repo.commitTensors("big.safetensors", List.of(Tensors.of("w", TensorSpec.of(DType.U8, n), w)), Map.of(),
                    CommitRequest.of("big"));
            assertEquals(2, packs(), "the checkpoint's pack, then the tree and commit's");
            assertArrayEquals(w, read(repo, "HEAD", "big.safetensors"));
        }
    }

    @Test
    void aSmallFileCommittedFromTheFolderSharesOnePackWithItsCommit() throws IOException {
        try (Repository repo = Repository.init(dir)) {
            Path m = dir.resolve("m.safetensors");
            for (int v = 1; v <= 3; v++) {
                TestModels.writeSafetensors(m, TestModels.randomTensors(v, 2, 300));
                long before = packs();
                repo.commit(CommitRequest.of("v" + v), List.of(m));
                assertEquals(before + 1, packs(), "commit " + v + " wrote one pack");
                assertTrue(repo.status().isClean(), "v" + v + ": " + repo.status());
            }
        }
    }
}
