package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.format.TensorSource;
import dev.coral.repo.ChunkRef;
import dev.coral.repo.Commit;
import dev.coral.repo.FileEntry;
import dev.coral.repo.ObjectGraph;
import dev.coral.repo.RepositoryConfig;
import dev.coral.repo.TensorObject;
import dev.coral.repo.Tree;
import dev.coral.store.ObjectId;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code coral stats} figures on a small history whose expected values are computed here from
 * what was committed: three versions of a model, a renamed copy, a second branch, a tag.
 */
class StatsTest {
    private static final int CHUNK = 4096;

    @TempDir
    Path dir;

    /** A model version: tensor name to little-endian F32 bytes, in file order. */
    private static Map<String, byte[]> model(Random r) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("a", gaussian(r, 2048)); // 2 full chunks
        m.put("b", gaussian(r, 1500)); // 6000 bytes: 4096 + 1904
        m.put("c", gaussian(r, 10)); // 1 small chunk, never changed
        m.put("d", new byte[8192]); // zeros: 2 equal chunks, deduplicated inside the tensor
        return m;
    }

    private static byte[] gaussian(Random r, int n) {
        ByteBuffer b = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat((float) r.nextGaussian());
        }
        return b.array();
    }

    /** A training step: tensors a and b move a little, c and d stay. */
    private static Map<String, byte[]> step(Map<String, byte[]> m, Random r) {
        Map<String, byte[]> out = new LinkedHashMap<>(m);
        for (String k : List.of("a", "b")) {
            ByteBuffer src = ByteBuffer.wrap(m.get(k)).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer dst = ByteBuffer.allocate(m.get(k).length).order(ByteOrder.LITTLE_ENDIAN);
            while (src.hasRemaining()) {
                dst.putFloat(src.getFloat() + (float) (1e-4 * r.nextGaussian()));
            }
            out.put(k, dst.array());
        }
        return out;
    }

    private static void stage(Repository repo, String path, Map<String, byte[]> m) throws IOException {
        List<TensorSource> ts = new ArrayList<>();
        m.forEach((k, v) -> ts.add(Tensors.of(k, TensorSpec.of(DType.F32, v.length / 4), v)));
        repo.stageTensors(path, ts, Map.of());
    }

    private static long bytes(Map<String, byte[]> m) {
        return m.values().stream().mapToLong(b -> b.length).sum();
    }

    /** The length of the safetensors file of m, as the format writes it (logical bytes count whole files). */
    private static long fileBytes(Map<String, byte[]> m) throws IOException {
        List<TensorSource> ts = new ArrayList<>();
        m.forEach((k, v) -> ts.add(Tensors.of(k, TensorSpec.of(DType.F32, v.length / 4), v)));
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        new dev.coral.format.SafetensorsFormat().write(ts, Map.of(), out);
        return out.size();
    }

    private static long chunkCount(Map<String, byte[]> m) {
        return m.values().stream().mapToLong(b -> (b.length + CHUNK - 1) / CHUNK).sum();
    }

    @Test
    void figuresMatchWhatWasCommitted() throws IOException {
        Random r = new Random(42);
        Map<String, byte[]> v1 = model(r);
        Map<String, byte[]> v2 = step(v1, r);
        Map<String, byte[]> v3 = step(v2, r);
        Map<String, byte[]> v2b = step(v2, r);
        // what each commit holds: path -> model
        List<Map<String, Map<String, byte[]>>> commits = new ArrayList<>();
        try (Repository repo = Repository.init(dir, RepositoryConfig.defaults().withChunkBytes(CHUNK))) {
            stage(repo, "model.safetensors", v1);
            ObjectId c1 = repo.commit(CommitRequest.of("v1"));
            commits.add(Map.of("model.safetensors", v1));
            stage(repo, "model.safetensors", v2);
            ObjectId c2 = repo.commit(CommitRequest.of("v2"));
            commits.add(Map.of("model.safetensors", v2));
            stage(repo, "model.safetensors", v3);
            repo.commit(CommitRequest.of("v3"));
            commits.add(Map.of("model.safetensors", v3));
            stage(repo, "renamed/copy-of-v2.safetensors", v2);
            ObjectId c4 = repo.commit(CommitRequest.of("copy of v2\n\nunder another name"));
            commits.add(Map.of("model.safetensors", v3, "renamed/copy-of-v2.safetensors", v2));
            repo.createBranch("exp", c2.hex());
            repo.switchBranch("exp", false, false);
            stage(repo, "model.safetensors", v2b);
            ObjectId c5 = repo.commit(CommitRequest.of("experiment"));
            commits.add(Map.of("model.safetensors", v2b));
            repo.createTag("v1.0", c1.hex(), "first version");

            RepositoryStats s = new StatsCollector(repo).collect(true, true);

            // ---- expectations from what was committed
            long logical = 0;
            long refs = 0;
            Set<String> tensorKeys = new HashSet<>();
            Set<ByteBuffer> chunkContents = new HashSet<>();
            long uniqueLogical = 0;
            for (Map<String, Map<String, byte[]>> c : commits) {
                for (Map<String, byte[]> m : c.values()) {
                    logical += fileBytes(m);
                    refs += chunkCount(m);
                    for (byte[] t : m.values()) {
                        if (tensorKeys.add(t.length + ":" + Arrays.hashCode(t) + ":" + ByteBuffer.wrap(t).hashCode())) {
                            uniqueLogical += t.length;
                        }
                        for (int off = 0; off < t.length; off += CHUNK) {
                            chunkContents.add(ByteBuffer.wrap(Arrays.copyOfRange(t, off, Math.min(t.length, off + CHUNK))));
                        }
                    }
                }
            }
            assertEquals(5, s.commits());
            assertEquals(2, s.branches());
            assertEquals(1, s.tags());
            assertEquals(2, s.filePaths());
            assertEquals(10, tensorKeys.size()); // a, b: v1 v2 v3 v2b; c; d
            assertEquals(tensorKeys.size(), s.distinctTensors());
            assertEquals(logical, s.logicalBytes());
            assertEquals(6 * fileBytes(v1), s.logicalBytes());
            assertTrue(fileBytes(v1) > bytes(v1), "a file is more than its tensors: its header");
            // each distinct file version's other bytes (its header) once: v1, v2, v3, v2b, and the copy of v2 unless its entry is v2's
            boolean copyIsV2sEntry = repo.readTree(c4).files().get("renamed/copy-of-v2.safetensors")
                    .equals(repo.readTree(c2).files().get("model.safetensors"));
            for (Map<String, byte[]> v : copyIsV2sEntry ? List.of(v1, v2, v3, v2b) : List.of(v1, v2, v3, v2b, v2)) {
                uniqueLogical += fileBytes(v) - bytes(v);
            }
            assertEquals(uniqueLogical, s.uniqueLogicalBytes());
            assertEquals(refs, s.chunkReferences());
            assertEquals(chunkContents.size(), s.distinctChunks());
            // a, b: 4 chunks per version, 4 versions; c: 1; d: 1 (its 2 chunks are equal)
            assertEquals(4 * 4 + 1 + 1, s.distinctChunks());
            assertEquals(refs - chunkContents.size(), s.deduplicatedChunkReferences());
            assertEquals(chunkContents.stream().mapToLong(ByteBuffer::remaining).sum(), s.chunkRawBytes());
            assertEquals(0, s.lossyCommits());

            // ---- stored bytes: every reachable object and chunk, read with the plain graph API
            ObjectGraph g = repo.graph();
            Set<ObjectId> objects = new HashSet<>();
            Set<ObjectId> chunkIds = new HashSet<>();
            ObjectId tag = repo.refs().tag("v1.0");
            objects.add(tag);
            for (ObjectId tip : List.of(c4, c5)) {
                for (var e : repo.log(tip.hex(), -1)) {
                    objects.add(e.id());
                    Commit commit = e.commit();
                    objects.add(commit.tree());
                    Tree tree = g.tree(commit.tree());
                    for (ObjectId f : tree.files().values()) {
                        objects.add(f);
                        for (FileEntry.NamedTensor nt : g.file(f).tensors()) {
                            objects.add(nt.tensorId());
                            for (ChunkRef c : g.tensor(nt.tensorId()).chunks()) {
                                chunkIds.add(c.id());
                            }
                        }
                    }
                }
            }
            long chunkStored = 0;
            for (ObjectId c : chunkIds) {
                chunkStored += repo.storedLength(c);
            }
            long objectStored = 0;
            for (ObjectId o : objects) {
                objectStored += repo.storedLength(o);
            }
            assertEquals(chunkContents.size(), chunkIds.size());
            assertEquals(objects.size(), s.objects());
            assertEquals(chunkStored, s.chunkStoredBytes());
            assertEquals(objectStored, s.objectStoredBytes());
            assertEquals(chunkStored + objectStored, s.storedBytes());
            assertEquals((double) logical / (chunkStored + objectStored), s.ratio(), 1e-12);
            assertTrue(s.ratio() > 1, "ratio " + s.ratio());

            // ---- chain depths and codecs
            Map<Integer, Long> depths = new HashMap<>();
            for (ObjectId c : chunkIds) {
                depths.merge(repo.chainDepth(c), 1L, Long::sum);
            }
            assertEquals(depths, s.chainDepths());
            assertEquals(s.distinctChunks(), s.chainDepths().values().stream().mapToLong(Long::longValue).sum());
            // later versions of a and b (v2, v3, v2b: 3 x 4 chunks) are deltas at depth >= 1
            assertEquals(12, s.deltaChunks(), s.chainDepths().toString());
            assertTrue(s.chainDepths().keySet().stream().anyMatch(d -> d >= 1));
            assertEquals(s.distinctChunks(), s.codecs().stream().mapToLong(RepositoryStats.CodecCount::chunks).sum());
            assertEquals(s.deltaChunks(), s.codecs().stream().filter(RepositoryStats.CodecCount::delta)
                    .mapToLong(RepositoryStats.CodecCount::chunks).sum());
            assertEquals(s.chunkStoredBytes(), s.codecs().stream().mapToLong(RepositoryStats.CodecCount::storedBytes).sum());
            assertEquals(s.chunkRawBytes(), s.codecs().stream().mapToLong(RepositoryStats.CodecCount::rawBytes).sum());

            // ---- plane modes: every planar chunk's planes counted once, against each chunk's own payload
            Map<dev.coral.codec.PlaneMode, Long> modes = new HashMap<>();
            long exponentLayout = 0;
            long mantissaBit = 0;
            for (ObjectId c : chunkIds) {
                for (dev.coral.codec.PlaneMode m : repo.graph().store().chunkPlaneModes(c)) {
                    modes.merge(m, 1L, Long::sum);
                }
                exponentLayout += repo.graph().store().chunkPlaneTable(c).exponentBytes() ? 1 : 0;
                mantissaBit += repo.graph().store().chunkPlaneTable(c).mantissaBit() ? 1 : 0;
            }
            assertEquals(modes, s.planeModes());
            assertEquals(exponentLayout, s.exponentLayoutChunks());
            assertEquals(mantissaBit, s.mantissaBitLayoutChunks());
            assertTrue(exponentLayout + mantissaBit > 0 && exponentLayout + mantissaBit <= s.distinctChunks() - s.deltaChunks(),
                    "Gaussian fp32 keyframes take a layout: " + exponentLayout + " + " + mantissaBit);
            long planarChunks = s.codecs().stream().filter(c -> c.codec().isPlanar()).mapToLong(RepositoryStats.CodecCount::chunks).sum();
            assertEquals(planarChunks * 4, s.planeModes().values().stream().mapToLong(Long::longValue).sum(), "fp32: 4 planes per planar chunk");

            // ---- disk
            long packBytes;
            try (Stream<Path> files = Files.list(dir.resolve(".coral/packs"))) {
                packBytes = files.filter(p -> p.toString().endsWith(".pack")).mapToLong(p -> p.toFile().length()).sum();
            }
            assertEquals(packBytes, s.disk().packBytes());
            assertTrue(s.disk().packs() >= 5 && s.disk().indexBytes() > 0, s.disk().toString());
            assertTrue(s.disk().totalBytes() >= s.storedBytes());

            // ---- per file
            assertEquals(2, s.files().size());
            RepositoryStats.FileStats copy = s.files().get(1);
            RepositoryStats.FileStats model = s.files().get(0);
            assertEquals("model.safetensors", model.path());
            assertEquals(4, model.versions());
            assertEquals(5, model.commits());
            assertEquals(5 * fileBytes(v1), model.logicalBytes());
            assertEquals(s.distinctChunks(), model.newChunks());
            assertEquals("renamed/copy-of-v2.safetensors", copy.path());
            assertEquals(1, copy.versions());
            assertEquals(fileBytes(v2), copy.logicalBytes());
            assertEquals(0, copy.newChunks()); // fully deduplicated
            ObjectId copyEntry = repo.readTree(c4).files().get(copy.path());
            boolean sameEntry = copyEntry.equals(repo.readTree(c2).files().get("model.safetensors"));
            assertEquals(sameEntry ? 0 : repo.storedLength(copyEntry), copy.storedBytes());

            // ---- per commit: parents first, new bytes add up to everything but the tag
            List<RepositoryStats.CommitStats> h = s.history();
            assertEquals(5, h.size());
            assertEquals(c1, h.get(0).id());
            assertEquals("v1", h.get(0).subject());
            Set<ObjectId> seen = new HashSet<>();
            for (RepositoryStats.CommitStats cs : h) {
                for (ObjectId p : repo.readCommit(cs.id()).parents()) {
                    assertTrue(seen.contains(p), "parent before child");
                }
                seen.add(cs.id());
            }
            RepositoryStats.CommitStats copyCommit = h.stream().filter(cs -> cs.id().equals(c4)).findFirst().orElseThrow();
            assertEquals("copy of v2", copyCommit.subject());
            assertEquals(2 * fileBytes(v1), copyCommit.logicalBytes());
            assertEquals(0, copyCommit.newChunks());
            assertEquals(chunkCount(v1) - 1, h.get(0).newChunks()); // d's two chunks are one
            assertEquals(s.distinctChunks(), h.stream().mapToLong(RepositoryStats.CommitStats::newChunks).sum());
            assertEquals(s.storedBytes() - repo.storedLength(tag),
                    h.stream().mapToLong(RepositoryStats.CommitStats::newStoredBytes).sum());
            assertEquals(s.logicalBytes(), h.stream().mapToLong(RepositoryStats.CommitStats::logicalBytes).sum());

            // ---- without the breakdowns
            RepositoryStats plain = new StatsCollector(repo).collect(false, false);
            assertTrue(plain.files().isEmpty() && plain.history().isEmpty());
            assertEquals(s.storedBytes(), plain.storedBytes());
        }
    }

    /**
     * Logical bytes are files as committed: an HDF5 file whose datasets are partly kept as bytes
     * (chunked, compressed, strings) and a .keras zip count whole, not only their tensors (which
     * showed 0 B and a ratio of 0.00x for a file of kept datasets alone).
     */
    @Test
    void logicalBytesAreTheFilesAsCommittedWithTheBytesTheyKeepOutsideTensors() throws IOException {
        Path testdata = Path.of(System.getProperty("coral.testdata", "../testdata"));
        List<Path> files = new ArrayList<>();
        long fileBytes = 0;
        for (String name : List.of("h5_mixed_layouts.h5", "keras3_mlp.keras", "npz_deflated.npz")) {
            files.add(Files.copy(testdata.resolve(name), dir.resolve(name)));
            fileBytes += Files.size(testdata.resolve(name));
        }
        try (Repository repo = Repository.init(dir)) {
            repo.commit(CommitRequest.of("files"), files);
            List<Path> copies = new ArrayList<>();
            for (Path f : files) {
                copies.add(Files.copy(f, Files.createDirectories(dir.resolve("copy")).resolve(f.getFileName())));
            }
            repo.commit(CommitRequest.of("copies"), copies);
            RepositoryStats s = new StatsCollector(repo).collect(true, true);
            assertEquals(3 * fileBytes, s.logicalBytes(), "the files, then the files and their copies");
            assertEquals(fileBytes, s.uniqueLogicalBytes(), "one version of each file: its tensors and its other bytes once");
            assertTrue(s.ratio() > 1.5, "three times the same files: " + s.ratio());
            assertEquals(6, s.files().size());
            for (RepositoryStats.FileStats f : s.files()) {
                long size = Files.size(testdata.resolve(Path.of(f.path()).getFileName()));
                assertEquals((f.path().startsWith("copy/") ? 1 : 2) * size, f.logicalBytes(), f.path());
            }
        }
    }

    @Test
    void anEmptyRepositoryHasZeroes() throws IOException {
        try (Repository repo = Repository.init(dir)) {
            RepositoryStats s = new StatsCollector(repo).collect(true, true);
            assertEquals(0, s.commits());
            assertEquals(0, s.logicalBytes());
            assertEquals(0, s.storedBytes());
            assertTrue(Double.isNaN(s.ratio()));
            assertTrue(s.chainDepths().isEmpty() && s.codecs().isEmpty() && s.files().isEmpty() && s.history().isEmpty());
        }
    }

    @Test
    void aDetachedHeadsCommitsAreCounted() throws IOException {
        try (Repository repo = Repository.init(dir, RepositoryConfig.defaults().withChunkBytes(CHUNK))) {
            Random r = new Random(1);
            stage(repo, "m.safetensors", model(r));
            ObjectId c1 = repo.commit(CommitRequest.of("one"));
            repo.checkout(c1.hex(), false);
            stage(repo, "m.safetensors", step(model(new Random(1)), r));
            repo.commit(CommitRequest.of("two, detached"));
            RepositoryStats s = new StatsCollector(repo).collect(false, false);
            assertEquals(2, s.commits());
            assertEquals(1, s.branches());
        }
    }
}
