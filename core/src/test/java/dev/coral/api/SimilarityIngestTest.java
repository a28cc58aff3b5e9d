package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.format.TensorSource;
import dev.coral.repo.ChunkRef;
import dev.coral.repo.RepositoryConfig;
import dev.coral.repo.StoredTensor;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** Independent fine-tunes of one base (no shared parent, other paths) are found and delta-encoded against it. */
class SimilarityIngestTest {
    private static final int ELEMENTS = 64 * 1024;
    private static final int TENSORS = 3;

    @TempDir
    Path dir;

    private static float[][] base(long seed) {
        Random r = new Random(seed);
        float[][] w = new float[TENSORS][ELEMENTS];
        for (float[] t : w) {
            for (int i = 0; i < t.length; i++) {
                t[i] = (float) (r.nextGaussian() * 0.05);
            }
        }
        return w;
    }

    private static float[][] fineTune(float[][] base, long seed, double lr) {
        Random r = new Random(seed);
        float[][] w = new float[base.length][];
        for (int k = 0; k < base.length; k++) {
            w[k] = base[k].clone();
            for (int i = 0; i < w[k].length; i++) {
                w[k][i] -= (float) (lr * r.nextGaussian() * 0.05);
            }
        }
        return w;
    }

    private Path write(String path, float[][] w) throws IOException {
        List<TensorSource> list = new ArrayList<>();
        for (int k = 0; k < w.length; k++) {
            ByteBuffer b = ByteBuffer.allocate(w[k].length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(w[k]);
            list.add(Tensors.of("layer" + k, TensorSpec.of(DType.F32, w[k].length), b.array()));
        }
        return TestModels.writeSafetensors(dir.resolve(path), list);
    }

    private List<Path> packFiles() throws IOException {
        try (var s = Files.list(dir.resolve(".coral/packs"))) {
            return s.filter(p -> p.getFileName().toString().startsWith("pack-")).sorted().toList();
        }
    }

    private long stored(Repository repo, String path, int[] maxDepth) throws IOException {
        long n = 0;
        for (StoredTensor t : repo.tensors("HEAD", path)) {
            for (ChunkRef c : t.object().chunks()) {
                n += repo.storedLength(c.id());
                maxDepth[0] = Math.max(maxDepth[0], repo.chainDepth(c.id()));
            }
        }
        return n;
    }

    @Test
    void fineTunesCommittedIndependentlyAreDeltaEncodedAgainstTheirBase() throws IOException {
        float[][] base = base(1);
        try (Repository repo = Repository.init(dir, RepositoryConfig.defaults().withChunkBytes(64 * 1024))) {
            repo.add(List.of(write("base/model.safetensors", base)));
            repo.commit(CommitRequest.of("base"));
            int[] depth = {0};
            long baseStored = stored(repo, "base/model.safetensors", depth);
            assertEquals(0, depth[0]);
            for (int k = 1; k <= 3; k++) {
                String path = "ft" + k + "/model.safetensors";
                repo.add(List.of(write(path, fineTune(base, 100 + k, 1e-3))));
                repo.commit(CommitRequest.of("fine-tune " + k));
                int[] d = {0};
                long ft = stored(repo, path, d);
                assertTrue(d[0] >= 1, "fine-tune " + k + " is stored as deltas");
                assertTrue(ft < baseStored * 0.8, "fine-tune " + k + " stored " + ft + " vs base " + baseStored);
            }
            List<Repository.TensorCluster> clusters = repo.clusters();
            Repository.TensorCluster layer0 = clusters.stream()
                    .filter(c -> c.members().contains("base/model.safetensors:layer0")).findFirst().orElseThrow();
            for (int k = 1; k <= 3; k++) {
                assertTrue(layer0.members().contains("ft" + k + "/model.safetensors:layer0"), layer0.toString());
            }
            assertEquals(TENSORS, clusters.size(), "one cluster per layer: " + clusters);
            int[] d = {0};
            repo.add(List.of(write("other/model.safetensors", base(999))));
            repo.commit(CommitRequest.of("unrelated"));
            stored(repo, "other/model.safetensors", d);
            assertEquals(0, d[0], "an unrelated model finds no base");

            Files.createDirectories(dir.resolve("renamed"));
            Files.copy(dir.resolve("ft1/model.safetensors"), dir.resolve("renamed/copy.safetensors"));
            assertEquals(0, repo.add(List.of(dir.resolve("renamed"))).chunksWritten(), "a renamed copy is deduplicated entirely");
        }
    }

    /**
     * The similarity index is derived data (found by fuzzing: a folder in its place, or a file in
     * place of .coral/cache, failed every add naming a temporary file; a damaged one was replaced
     * in silence by one without the tensors stored before). Either way the add succeeds: a folder
     * or file in the way is removed, and a damaged index is replaced with a warning that names it.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"a folder in its place", "a file in place of the cache folder", "a flipped byte"})
    void aDamagedSimilarityIndexNeverFailsAnAddAndIsNamed(String damage) throws IOException {
        float[][] base = base(3);
        Path index = dir.resolve(".coral/cache/similarity");
        try (Repository repo = Repository.init(dir, RepositoryConfig.defaults().withChunkBytes(64 * 1024))) {
            repo.add(List.of(write("base/model.safetensors", base)));
            repo.commit(CommitRequest.of("base"));
            assertTrue(Files.isRegularFile(index));
        }
        switch (damage) {
            case "a folder in its place" -> {
                Files.delete(index);
                Files.createDirectories(index.resolve("x"));
            }
            case "a file in place of the cache folder" -> {
                Repository.deleteTree(index.getParent());
                Files.writeString(index.getParent(), "x");
            }
            default -> {
                byte[] b = Files.readAllBytes(index);
                b[b.length / 2] ^= 0x10;
                Files.write(index, b);
            }
        }
        try (Repository repo = Repository.open(dir)) {
            repo.add(List.of(write("ft/model.safetensors", fineTune(base, 5, 1e-3))));
            repo.commit(CommitRequest.of("fine-tune"));
            String problem = repo.similarityProblem();
            assertTrue(problem != null && problem.contains(index.toString()) && problem.contains("'coral repack'"), problem);
            assertTrue(Files.isRegularFile(index), "written again");
            assertEquals(null, repo.similarityProblem(), "told once: a handle kept between commands (the daemon) does not repeat it");
            repo.add(List.of(write("ft1/model.safetensors", fineTune(base, 7, 1e-3))));
            repo.commit(CommitRequest.of("fine-tune 1"));
            assertEquals(null, repo.similarityProblem(), "the rewritten index met no problem");
        }
        try (Repository repo = Repository.open(dir)) {
            repo.add(List.of(write("ft2/model.safetensors", fineTune(base, 6, 1e-3))));
            repo.commit(CommitRequest.of("fine-tune 2"));
            assertEquals(null, repo.similarityProblem(), "healed");
            int[] d = {0};
            stored(repo, "ft2/model.safetensors", d);
            assertTrue(d[0] >= 1, "the second fine-tune finds the first as its base");
        }
    }

    /**
     * A lost or damaged similarity index is rebuilt by repack (which indexes the first version of
     * every lineage as it copies): a fine-tune of a model stored before the loss finds its base
     * again afterwards, and tensors added while the index was lost stay indexed too.
     */
    @Test
    void repackRebuildsALostSimilarityIndex() throws IOException {
        float[][] base = base(4);
        float[][] other = base(40);
        Path index = dir.resolve(".coral/cache/similarity");
        try (Repository repo = Repository.init(dir, RepositoryConfig.defaults().withChunkBytes(64 * 1024))) {
            repo.add(List.of(write("base/model.safetensors", base)));
            repo.commit(CommitRequest.of("base"));
        }
        byte[] b = Files.readAllBytes(index);
        b[b.length / 2] ^= 0x10;
        Files.write(index, b);
        try (Repository repo = Repository.open(dir)) {
            repo.add(List.of(write("other/model.safetensors", other))); // indexed alone: base is lost to it
            repo.commit(CommitRequest.of("other"));
            assertTrue(repo.similarityProblem() != null);
            repo.repack();
            assertTrue(dev.coral.similarity.LshIndex.load(index).size() >= 2 * TENSORS, "both models' tensors indexed again");
            repo.add(List.of(write("ft/model.safetensors", fineTune(base, 9, 1e-3))));
            repo.add(List.of(write("ft-other/model.safetensors", fineTune(other, 10, 1e-3))));
            repo.commit(CommitRequest.of("fine-tunes"));
            for (String path : List.of("ft/model.safetensors", "ft-other/model.safetensors")) {
                int[] d = {0};
                stored(repo, path, d);
                assertTrue(d[0] >= 1, path + " finds its base after the repack");
            }
        }
    }

    /**
     * {@code stats --clusters} names each tensor as first committed and, of two equally central
     * members, shows the one stored first as the base (before: the smaller id, so a fine-tune was
     * shown as its base's base in about half the clusters, and a copy committed later renamed the
     * original).
     */
    @Test
    void clustersShowTheFirstStoredTensorAsBaseUnderItsFirstName() throws IOException {
        float[][] base = base(31);
        int layers = 0;
        try (Repository repo = Repository.init(dir, RepositoryConfig.defaults().withChunkBytes(64 * 1024))) {
            repo.add(List.of(write("base/model.safetensors", base)));
            repo.commit(CommitRequest.of("base"));
            repo.add(List.of(write("ft/model.safetensors", fineTune(base, 32, 1e-3))));
            repo.commit(CommitRequest.of("fine-tune"));
            Files.copy(dir.resolve("base/model.safetensors"), Files.createDirectories(dir.resolve("a-copy")).resolve("model.safetensors"));
            repo.add(List.of(dir.resolve("a-copy/model.safetensors"))); // its path sorts first in the newest tree
            repo.commit(CommitRequest.of("a copy of the base, committed last"));
            List<Repository.TensorCluster> clusters = repo.clusters();
            assertEquals(TENSORS, clusters.size(), clusters.toString());
            for (Repository.TensorCluster c : clusters) {
                String layer = c.base().substring(c.base().indexOf(':') + 1);
                assertEquals("base/model.safetensors:" + layer, c.base(), clusters.toString());
                assertEquals(List.of("base/model.safetensors:" + layer, "ft/model.safetensors:" + layer), c.members());
                layers++;
            }
        }
        assertEquals(TENSORS, layers);
    }

    /**
     * {@code coral fsck --rebuild-index} rebuilds a lost or damaged similarity index without a
     * repack: the same entries the ingests made (each lineage's first version, not the later
     * versions of a path), no pack rewritten; plain fsck warns about the damage, and the fine-tune
     * of a model stored before the loss finds its base again afterwards.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"deleted", "a flipped byte", "a folder in its place"})
    void fsckRebuildIndexRebuildsTheSimilarityIndexFromTheTensorsThatStartALineage(String damage) throws IOException {
        float[][] base = base(21);
        Path index = dir.resolve(".coral/cache/similarity");
        java.util.Set<dev.coral.store.ObjectId> ingested;
        List<Path> packs;
        try (Repository repo = Repository.init(dir, RepositoryConfig.defaults().withChunkBytes(64 * 1024))) {
            repo.add(List.of(write("base/model.safetensors", base)));
            repo.commit(CommitRequest.of("base"));
            repo.add(List.of(write("base/model.safetensors", fineTune(base, 22, 1e-3)))); // a later version: not indexed
            repo.commit(CommitRequest.of("base, step 2"));
            repo.add(List.of(write("other/model.safetensors", base(23))));
            repo.commit(CommitRequest.of("other"));
            repo.add(List.of(write("staged/model.safetensors", base(24)))); // staged only
            ingested = dev.coral.similarity.LshIndex.load(index).entries().keySet();
            assertEquals(3 * TENSORS, ingested.size(), "base, other and staged: each lineage's first version");
            packs = packFiles();
            assertTrue(repo.fsck(false).warnings().isEmpty());
        }
        switch (damage) {
            case "deleted" -> Files.delete(index);
            case "a folder in its place" -> {
                Files.delete(index);
                Files.createDirectories(index.resolve("x"));
            }
            default -> {
                byte[] b = Files.readAllBytes(index);
                b[b.length / 2] ^= 0x10;
                Files.write(index, b);
            }
        }
        try (Repository repo = Repository.open(dir)) {
            List<dev.coral.maintenance.Finding> warnings = repo.fsck(false).warnings();
            if (damage.equals("deleted")) {
                assertEquals(List.of(), warnings, "no index is no damage (a repository that never had one)");
            } else {
                assertEquals(1, warnings.size(), warnings.toString());
                assertTrue(warnings.get(0).line().startsWith("cache/similarity: ")
                        && warnings.get(0).line().contains("'coral fsck --rebuild-index'"), warnings.get(0).line());
            }
            dev.coral.maintenance.FsckReport r = repo.fsck(true);
            assertTrue(r.clean() && r.warnings().isEmpty(), r.toString());
            assertTrue(r.repairs().contains("rebuilt cache/similarity from the " + 3 * TENSORS + " tensors that start a lineage"),
                    r.repairs().toString());
            assertEquals(ingested, dev.coral.similarity.LshIndex.load(index).entries().keySet(), "the entries the ingests made");
            assertEquals(packs, packFiles(), "no pack rewritten");
            repo.add(List.of(write("ft/model.safetensors", fineTune(base, 25, 1e-3))));
            repo.commit(CommitRequest.of("fine-tune"));
            assertEquals(null, repo.similarityProblem());
            int[] d = {0};
            stored(repo, "ft/model.safetensors", d);
            assertTrue(d[0] >= 1, "the fine-tune finds its base after the rebuild");
        }
    }

    /**
     * {@code similarity.threshold} decides: at 1 (every sampled high byte equal) a fine-tune with
     * updates of 1% finds no base and forms no cluster; back at the default the next one does, and
     * {@code repack} re-plans the first one with the setting in force then.
     */
    @Test
    void theSimilarityThresholdDecidesWhichTensorsAreBases() throws IOException {
        float[][] base = base(7);
        try (Repository repo = Repository.init(dir, RepositoryConfig.defaults().withChunkBytes(64 * 1024))) {
            repo.add(List.of(write("base/model.safetensors", base)));
            repo.commit(CommitRequest.of("base"));
            assertEquals(1.0, repo.setConfig("similarity.threshold", "1").similarityThreshold());
            repo.add(List.of(write("strict/model.safetensors", fineTune(base, 11, 1e-2))));
            repo.commit(CommitRequest.of("fine-tune, threshold 1"));
            int[] d = {0};
            stored(repo, "strict/model.safetensors", d);
            assertEquals(0, d[0], "no base passes a threshold of 1");
            assertEquals(List.of(), repo.clusters(), "no clusters at a threshold of 1");

            repo.setConfig("similarity.threshold", String.valueOf(RepositoryConfig.DEFAULT_SIMILARITY_THRESHOLD));
            repo.add(List.of(write("default/model.safetensors", fineTune(base, 12, 1e-2))));
            repo.commit(CommitRequest.of("fine-tune, default threshold"));
            d[0] = 0;
            stored(repo, "default/model.safetensors", d);
            assertTrue(d[0] >= 1, "at the default threshold the fine-tune is stored as deltas");
            assertEquals(TENSORS, repo.clusters().size(), "one cluster per layer: " + repo.clusters());

            repo.repack();
            d[0] = 0;
            stored(repo, "strict/model.safetensors", d);
            assertTrue(d[0] >= 1, "repack re-plans with the threshold in force");
        }
    }
}
