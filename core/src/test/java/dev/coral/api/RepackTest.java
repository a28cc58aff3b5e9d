package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.repo.CommitWalk;
import dev.coral.repo.RepositoryConfig;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** repack re-plans deltas for a history stored without them: smaller, same ids, every commit bit-exact. */
class RepackTest {
    @TempDir
    Path dir;

    @Test
    void repackDeltaEncodesAHistoryWithoutChangingAnyId() throws Exception {
        List<byte[]> versions;
        // Written with deltas off, as an import of unrelated snapshots would be.
        try (Repository repo = Repository.init(dir, RepositoryConfig.defaults().withChunkBytes(8192).withMaxChainDepth(0))) {
            versions = DriftingTensor.commit(repo, 8192, 12, 3);
            repo.createTag("first", "HEAD~11", "the start");
        }
        // The repository's own setting now allows deltas; repack applies it to the whole history.
        Files.delete(dir.resolve(".coral/config"));
        RepositoryConfig.defaults().write(dir.resolve(".coral/config"));
        try (Repository repo = Repository.open(dir)) {
            List<CommitWalk.Entry> before = repo.log("HEAD", -1);
            long statsBefore = repo.stats(false, false).storedBytes();
            Repository.RepackResult result = repo.repack();
            System.out.println("repack: " + result);
            assertTrue(result.deltaChunks() > 0, result.toString());
            assertTrue(result.bytesAfter() < result.bytesBefore() * 0.85, result.toString());
            assertEquals(1, dev.coral.store.PackMerge.packsIn(dir.resolve(".coral/packs")).size(), "one pack");
            List<CommitWalk.Entry> after = repo.log("HEAD", -1);
            assertEquals(before.stream().map(CommitWalk.Entry::id).toList(), after.stream().map(CommitWalk.Entry::id).toList(), "same ids");
            assertTrue(repo.stats(false, false).storedBytes() < statsBefore);
            for (int v = 0; v < versions.size(); v++) {
                try (InputStream in = repo.tensor(after.get(versions.size() - 1 - v).id().hex(), "m.safetensors", "w").openVerifiedStream()) {
                    assertArrayEquals(versions.get(v), in.readAllBytes(), "v" + v);
                }
            }
            assertEquals("the start", repo.tagObject("first").message());
            assertTrue(repo.fsck(false).clean());
        }
    }

    /**
     * A repository already in one pack, repacked after a settings change, takes the new settings:
     * packs are named by their ids and their bytes, so the re-encoded pack is a new pack, not
     * taken for the old one holding the same objects (found by fuzzing: the repack printed "0
     * delta chunks" and kept every chain). Repacked again with the same settings, it stays whole.
     */
    @Test
    void repackOfOnePackAppliesChangedSettings() throws Exception {
        List<byte[]> versions;
        try (Repository repo = Repository.init(dir, RepositoryConfig.defaults().withChunkBytes(8192))) {
            versions = DriftingTensor.commit(repo, 8192, 12, 3);
            repo.repack();
            assertEquals(1, dev.coral.store.PackMerge.packsIn(dir.resolve(".coral/packs")).size(), "one pack");
            assertTrue(repo.stats(false, false).chainDepths().lastKey() > 0, "deltas before");
            repo.setConfig("delta.max-depth", "0");
        }
        try (Repository repo = Repository.open(dir)) {
            Repository.RepackResult result = repo.repack();
            assertEquals(0, result.deltaChunks(), result.toString());
            assertEquals(java.util.Set.of(0), repo.stats(false, false).chainDepths().keySet(), "keyframes only, as the setting says");
            Repository.RepackResult again = repo.repack();
            assertEquals(1, dev.coral.store.PackMerge.packsIn(dir.resolve(".coral/packs")).size(), again.toString());
            List<CommitWalk.Entry> log = repo.log("HEAD", -1);
            for (int v = 0; v < versions.size(); v++) {
                try (InputStream in = repo.tensor(log.get(versions.size() - 1 - v).id().hex(), "m.safetensors", "w").openVerifiedStream()) {
                    assertArrayEquals(versions.get(v), in.readAllBytes(), "v" + v);
                }
            }
            assertTrue(repo.fsck(false).clean());
        }
    }

    @Test
    void repackLinksUnrelatedImportsOfFineTunesByContent() throws Exception {
        // A base model and fine-tunes of it under other file and tensor names, each added while
        // the similarity cache was lost: stored whole. Repack finds the base by content.
        int n = 64 * 1024;
        Random r = new Random(11);
        float[] base = new float[n];
        for (int i = 0; i < n; i++) {
            base[i] = (float) (r.nextGaussian() * 0.05);
        }
        List<byte[]> tunes = new ArrayList<>();
        tunes.add(fp32(base));
        for (int k = 0; k < 3; k++) {
            float[] t = base.clone();
            for (int i = 0; i < n; i++) {
                t[i] += (float) (1e-4 * r.nextGaussian() * 0.05);
            }
            tunes.add(fp32(t));
        }
        Path cache = dir.resolve(".coral/cache/similarity");
        long storedBefore;
        try (Repository repo = Repository.init(dir)) {
            for (int k = 0; k < tunes.size(); k++) {
                Files.deleteIfExists(cache);
                repo.commitTensors("model-" + k + ".safetensors",
                        List.of(Tensors.of("tune" + k + ".w", TensorSpec.of(DType.F32, n), tunes.get(k))), Map.of(), CommitRequest.of("import " + k));
            }
            storedBefore = repo.stats(false, false).storedBytes();
            assertEquals(0, repo.stats(false, false).deltaChunks(), "imported without bases");
        }
        try (Repository repo = Repository.open(dir)) {
            List<CommitWalk.Entry> before = repo.log("HEAD", -1);
            Repository.RepackResult result = repo.repack();
            long storedAfter = repo.stats(false, false).storedBytes();
            System.out.println("repack of unrelated imports: " + result + ", stored " + storedBefore + " -> " + storedAfter);
            assertTrue(result.deltaChunks() >= tunes.size() - 1, result.toString());
            assertTrue(storedAfter < storedBefore * 0.75, storedBefore + " -> " + storedAfter);
            assertEquals(before.stream().map(CommitWalk.Entry::id).toList(), repo.log("HEAD", -1).stream().map(CommitWalk.Entry::id).toList());
            for (int k = 0; k < tunes.size(); k++) {
                try (InputStream in = repo.tensor("HEAD", "model-" + k + ".safetensors", "tune" + k + ".w").openVerifiedStream()) {
                    assertArrayEquals(tunes.get(k), in.readAllBytes(), "fine-tune " + k);
                }
            }
            assertTrue(repo.fsck(false).clean());
        }
    }

    /**
     * An old pack repack cannot delete (a folder in its place, a read-only folder) stays whole; the
     * others go, the multi-pack index is rewritten rather than left naming them, every version
     * still reads, and the error names the file. The next repack finishes the job.
     */
    @Test
    void anOldPackThatCannotBeDeletedLeavesTheRepositoryWhole() throws Exception {
        List<byte[]> versions;
        try (Repository repo = Repository.init(dir, RepositoryConfig.defaults().withChunkBytes(8192))) {
            versions = DriftingTensor.commit(repo, 8192, 6, 3);
        }
        Path packs = dir.resolve(".coral/packs");
        try (Repository repo = Repository.open(dir)) {
            int packsBefore = dev.coral.store.PackMerge.packsIn(packs).size();
            assertTrue(packsBefore >= 3, "packs: " + packsBefore);
            boolean[] failed = {false};
            dev.coral.io.FaultPoints.install(p -> {
                if (p.equals("pack.delete") && !failed[0]) {
                    failed[0] = true;
                    throw new java.nio.file.AccessDeniedException("f", null, "injected");
                }
            });
            java.io.IOException e;
            try {
                e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, repo::repack);
            } finally {
                dev.coral.io.FaultPoints.install(null);
            }
            assertTrue(e.getMessage().startsWith("repack: every object is in the new pack, but an old one stays: cannot delete ")
                    && e.getMessage().endsWith(".idx: injected"), e.getMessage());
            assertEquals(2, dev.coral.store.PackMerge.packsIn(packs).size(), "the new pack and the one that stayed");
            dev.coral.maintenance.FsckReport fsck = repo.fsck(false);
            assertTrue(fsck.clean() && fsck.warnings().isEmpty(), fsck::toString);
            List<CommitWalk.Entry> log = repo.log("HEAD", -1);
            for (int v = 0; v < versions.size(); v++) {
                try (InputStream in = repo.tensor(log.get(versions.size() - 1 - v).id().hex(), "m.safetensors", "w").openVerifiedStream()) {
                    assertArrayEquals(versions.get(v), in.readAllBytes(), "v" + v);
                }
            }
            repo.repack();
            assertEquals(1, dev.coral.store.PackMerge.packsIn(packs).size(), "one pack");
        }
    }

    private static byte[] fp32(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }
}
