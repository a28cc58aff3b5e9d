package dev.coral.maintenance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.api.CommitRequest;
import dev.coral.api.Maintenance;
import dev.coral.api.Repository;
import dev.coral.repo.RepositoryConfig;
import dev.coral.repo.StoredTensor;
import dev.coral.store.ObjectId;
import dev.coral.store.PackIndex;
import dev.coral.store.PackVerifier;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bit rot: one byte flipped at seeded positions of each kind of file in {@code .coral}. fsck
 * names the file (and, for pack entries, the tensors and commits affected) and is not clean;
 * reading what it names fails loudly; every other commit still checks out bit-exact.
 */
class FsckTest {
    private static final int POSITIONS = 3;

    @TempDir
    static Path shared;
    static Path pristine;
    /** commit -> sha256 of model.safetensors and extra.safetensors (absent: null) as committed. */
    static final Map<ObjectId, Map<String, String>> committed = new LinkedHashMap<>();
    static ObjectId c2;

    /**
     * c1: model v1. c2: model v2 (new values). c3: model v2 plus extra. Each add writes its own
     * pack, so c1's chunks live in another pack than c2's. The multi-pack index covers them all.
     */
    @BeforeAll
    static void build() throws IOException {
        pristine = shared.resolve("pristine");
        try (Repository repo = Repository.init(pristine, RepositoryConfig.defaults().withChunkBytes(1024))) {
            Path model = pristine.resolve("model.safetensors");
            Path extra = pristine.resolve("extra.safetensors");
            MaintenanceFixtures.writeModel(model, 1, 2, 700);
            repo.add(List.of(model));
            record(repo.commit(CommitRequest.of("c1")), model, null);
            MaintenanceFixtures.writeModel(model, 2, 2, 700);
            repo.add(List.of(model));
            c2 = repo.commit(CommitRequest.of("c2"));
            record(c2, model, null);
            MaintenanceFixtures.writeModel(extra, 3, 1, 300);
            repo.add(List.of(extra));
            record(repo.commit(CommitRequest.of("c3")), model, extra);
            repo.createBranch("dev", c2.hex());
            FsckReport r = Maintenance.fsck(repo, true);
            assertTrue(r.clean(), () -> lines(r));
            assertTrue(Files.exists(pristine.resolve(".coral/packs/multi-pack-index")));
        }
    }

    private static void record(ObjectId commit, Path model, Path extra) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("model.safetensors", MaintenanceFixtures.sha256(model));
        m.put("extra.safetensors", extra == null ? null : MaintenanceFixtures.sha256(extra));
        committed.put(commit, m);
    }

    static String lines(FsckReport r) {
        List<String> out = new ArrayList<>();
        r.problems().forEach(f -> out.add("problem: " + f.line()));
        r.warnings().forEach(f -> out.add("warning: " + f.line()));
        return String.join("\n", out);
    }

    @Test
    void pristineRepositoryIsCleanAndEveryObjectIsChecked() throws IOException {
        FsckReport r = Maintenance.fsck(pristine.resolve(".coral"), false);
        assertTrue(r.clean(), () -> lines(r));
        assertTrue(r.warnings().isEmpty(), () -> lines(r));
        assertEquals(3, r.commits());
        assertTrue(r.chunksVerified() >= 2 * 3 + 2 * 3 + 2, "chunks verified: " + r.chunksVerified());
        assertEquals(r.packedObjects(), r.reachableObjects(), "every packed object is reachable here");
    }

    /**
     * With {@code ulimit -n 48} on 57 packs, fsck listed 19 packs it could not open as problems
     * ("Too many open files: affects file w.npy in commit ..."), which could send its user to
     * repair a sound repository. Here no pack opens at all ("pack: opening", PackFile's point).
     */
    @Test
    void aCheckThatRanOutOfFilesIsAnErrorNotAListOfDamage() throws IOException {
        dev.coral.io.FaultPoints.install(point -> {
            if (point.equals("pack: opening")) {
                throw new java.nio.file.FileSystemException(point, null, "Too many open files");
            }
        });
        IOException e;
        try {
            e = assertThrows(IOException.class, () -> Maintenance.fsck(pristine.resolve(".coral"), false));
        } finally {
            dev.coral.io.FaultPoints.install(null);
        }
        assertTrue(e.getMessage().startsWith("fsck could not open every file it checks (") && e.getMessage().contains("ulimit -n"),
                e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        FsckReport r = Maintenance.fsck(pristine.resolve(".coral"), false);
        assertTrue(r.clean(), () -> lines(r));
    }

    /** The pack (and its index) holding c2's chunks of model.safetensors. */
    private static ObjectId packOfC2() throws IOException {
        ObjectId chunk;
        try (Repository repo = Repository.open(pristine)) {
            chunk = repo.tensor(c2.hex(), "model.safetensors", "layer0.weight").object().chunks().get(0).id();
        }
        Path packs = pristine.resolve(".coral/packs");
        for (PackVerifier.PackName p : PackVerifier.list(packs)) {
            PackIndex idx = PackVerifier.readIndex(packs, p.id());
            if (idx.find(chunk) != null) {
                return p.id();
            }
        }
        throw new AssertionError("no pack holds " + chunk);
    }

    @Test
    void bitRotInAPackNamesTheAffectedTensorsAndCommits() throws IOException {
        String name = "pack-" + packOfC2().hex() + ".pack";
        int withEntries = 0;
        for (int seed = 0; seed < POSITIONS + 3; seed++) {
            Damaged d = damage("packs/" + name, seed);
            Finding f = d.findingFor("packs/" + name);
            if (!f.affected().isEmpty()) {
                withEntries++;
                assertTrue(f.line().contains("affects tensor 'layer") || f.line().contains("affects file model.safetensors"), f.line());
                assertTrue(f.commits().contains(c2), f.line());
                assertFalse(f.commits().contains(committed.keySet().iterator().next()), "c1 is not affected: " + f.line());
                assertTrue(f.line().contains(c2.abbreviate(7)), f.line());
            }
            d.affectedFailLoudly();
            d.othersCheckOut();
        }
        assertTrue(withEntries >= POSITIONS, "most seeded positions fall in entries: " + withEntries);
    }

    @Test
    void bitRotInAPackIndexIsReportedAndTheMultiPackIndexStillServes() throws IOException {
        String name = "pack-" + packOfC2().hex() + ".idx";
        for (int seed = 0; seed < POSITIONS; seed++) {
            Damaged d = damage("packs/" + name, seed);
            d.findingFor("packs/" + name);
            d.othersCheckOut();
        }
    }

    /** The multi-pack index is derived from the pack indexes, which the store reads when it is damaged: a warning, not a problem. */
    @Test
    void bitRotInTheMultiPackIndexIsAWarningAndThePackIndexesServe() throws IOException {
        for (int seed = 0; seed < POSITIONS; seed++) {
            Damaged d = damage("packs/multi-pack-index", seed);
            assertTrue(d.report.clean(), () -> lines(d.report));
            List<Finding> named = d.report.warnings().stream().filter(f -> f.file().equals("packs/multi-pack-index")).toList();
            assertEquals(1, named.size(), () -> lines(d.report));
            assertTrue(named.get(0).line().contains("ignored") && named.get(0).line().contains("--rebuild-index"), named.get(0).line());
            d.othersCheckOut();
            FsckReport repaired = Maintenance.fsck(d.root.resolve(".coral"), true);
            assertTrue(repaired.clean() && repaired.warnings().isEmpty(), () -> lines(repaired));
        }
    }

    /**
     * A deleted pack index makes its pack look like a writer's leftover. With objects commits need
     * in it, fsck names the pack as the problem (not each missing object and every delta built on
     * them), and --rebuild-index rebuilds the index from the pack.
     */
    @Test
    void aDeletedPackIndexIsNamedOnceAndRebuiltFromItsPack() throws IOException {
        Path root = shared.resolve("index-deleted");
        dev.coral.testutil.Trees.copy(pristine, root);
        String pack = "pack-" + packOfC2().hex();
        Files.delete(root.resolve(".coral/packs/" + pack + ".idx"));
        Files.delete(root.resolve(".coral/packs/multi-pack-index"));
        FsckReport r = Maintenance.fsck(root.resolve(".coral"), false);
        assertEquals(1, r.problems().size(), () -> lines(r));
        Finding f = r.problems().get(0);
        assertEquals("packs/" + pack + ".pack", f.file(), f.line());
        assertTrue(f.message().contains("has no index") && f.message().contains("--rebuild-index"), f.line());
        assertTrue(f.commits().contains(c2), f.line());
        assertTrue(r.warnings().isEmpty(), () -> "not a leftover: " + lines(r));

        FsckReport repaired = Maintenance.fsck(root.resolve(".coral"), true);
        assertTrue(repaired.repairs().stream().anyMatch(s -> s.equals("rebuilt packs/" + pack + ".idx from its pack (it had none)")),
                repaired.repairs()::toString);
        assertTrue(repaired.clean() && repaired.warnings().isEmpty(), () -> lines(repaired));
        new Damaged(root, Maintenance.fsck(root.resolve(".coral"), false)).othersCheckOut(); // every commit, c2 too
    }

    /** A dead writer's pack without an index holds nothing commits need: a leftover warning, as before. */
    @Test
    void anUnindexedPackNothingNeedsStaysALeftover() throws IOException {
        Path root = shared.resolve("unindexed-leftover");
        dev.coral.testutil.Trees.copy(pristine, root);
        Path packs = root.resolve(".coral/packs");
        ObjectId stray;
        try (Repository repo = Repository.open(root)) {
            repo.stageTensors("stray.safetensors", List.of(dev.coral.api.Tensors.of("t",
                    dev.coral.tensor.TensorSpec.of(dev.coral.tensor.DType.U8, 3), new byte[] {7, 8, 9})), Map.of());
        }
        Files.delete(root.resolve(".coral/index"));
        Files.copy(pristine.resolve(".coral/index"), root.resolve(".coral/index"));
        stray = PackVerifier.list(packs).stream().filter(p -> !Files.exists(pristine.resolve(".coral/packs").resolve(p.index().getFileName())))
                .findFirst().orElseThrow().id();
        Files.delete(packs.resolve("pack-" + stray.hex() + ".idx"));
        FsckReport r = Maintenance.fsck(root.resolve(".coral"), false);
        assertTrue(r.clean(), () -> lines(r));
        assertTrue(r.warnings().stream().anyMatch(f -> f.file().equals("packs/pack-" + stray.hex() + ".pack")
                && f.message().contains("pack without an index")), () -> lines(r));
    }

    @Test
    void aDeletedBranchThatHeadNamesIsAWarningNamingWhereItWas() throws IOException {
        Path root = shared.resolve("head-branch-deleted");
        dev.coral.testutil.Trees.copy(pristine, root);
        ObjectId c3 = new ArrayList<>(committed.keySet()).get(2);
        Files.delete(root.resolve(".coral/refs/heads/main"));
        FsckReport r = Maintenance.fsck(root.resolve(".coral"), false);
        assertTrue(r.clean(), () -> lines(r));
        assertEquals(1, r.warnings().size(), () -> lines(r));
        Finding f = r.warnings().get(0);
        assertEquals("HEAD", f.file());
        assertTrue(f.message().contains("'main', which does not exist") && f.message().contains("reaches 1 commit,")
                && f.message().contains("'coral branch main " + c3.abbreviate(7) + "'"), f.line());
        try (Repository repo = Repository.open(root)) {
            repo.createBranch("main", c3.abbreviate(7));
        }
        FsckReport back = Maintenance.fsck(root.resolve(".coral"), false);
        assertTrue(back.clean() && back.warnings().isEmpty(), () -> lines(back));
    }

    @Test
    void anUnbornHeadBranchIsNoWarningInANewRepositoryAndOneBesideOtherBranches() throws IOException {
        Path root = shared.resolve("unborn");
        try (Repository repo = Repository.init(root, RepositoryConfig.defaults())) {
            FsckReport r = Maintenance.fsck(root.resolve(".coral"), false);
            assertTrue(r.clean() && r.warnings().isEmpty(), () -> lines(r));
        }
        Path other = shared.resolve("unborn-beside");
        dev.coral.testutil.Trees.copy(pristine, other);
        Files.delete(other.resolve(".coral/refs/heads/main"));
        try (Repository repo = Repository.open(other)) {
            repo.createBranch("kept", new ArrayList<>(committed.keySet()).get(2).hex());
        }
        FsckReport r = Maintenance.fsck(other.resolve(".coral"), false);
        assertTrue(r.clean(), () -> lines(r));
        assertEquals(1, r.warnings().size(), () -> lines(r));
        assertTrue(r.warnings().get(0).message().contains("all reached from other refs"), r.warnings().get(0).line());
    }

    @Test
    void bitRotInABranchIsReported() throws IOException {
        for (int seed = 0; seed < POSITIONS; seed++) {
            Damaged d = damage("refs/heads/dev", seed);
            d.findingFor("refs/heads/dev");
            d.othersCheckOut();
        }
    }

    @Test
    void bitRotInHeadIsReported() throws IOException {
        for (int seed = 0; seed < POSITIONS; seed++) {
            Damaged d = damage("HEAD", seed);
            d.findingFor("HEAD");
            d.othersCheckOut();
        }
    }

    @Test
    void bitRotInTheStagingIndexIsReportedAndCheckoutRefusesUnlessForced() throws IOException {
        for (int seed = 0; seed < POSITIONS; seed++) {
            Damaged d = damage("index", seed);
            d.findingFor("index");
            try (Repository repo = Repository.open(d.root)) {
                IOException e = assertThrows(IOException.class, () -> repo.checkout(c2.hex(), false));
                assertTrue(e.getMessage().contains("index") && e.getMessage().contains("--force"), e.getMessage());
            }
            Files.delete(d.root.resolve(".coral/index"));
            Files.delete(d.root.resolve("extra.safetensors")); // untracked now: checkout leaves it
            d.othersCheckOut();
        }
    }

    @Test
    void bitRotInTheConfigIsReportedAndWritesAreRefused() throws IOException {
        for (int seed = 0; seed < POSITIONS; seed++) {
            Damaged d = damage("config", seed);
            Finding f = d.findingFor("config");
            assertTrue(f.message().contains("coral config KEY VALUE"), "fsck says how to write again: " + f.message());
            try (Repository repo = Repository.open(d.root)) {
                IOException e = assertThrows(IOException.class, () -> repo.stageTensors("new.safetensors",
                        java.util.List.of(dev.coral.api.Tensors.of("t", dev.coral.tensor.TensorSpec.of(dev.coral.tensor.DType.U8, 1), new byte[1])),
                        java.util.Map.of()));
                assertTrue(e.getMessage().contains("config"), e.getMessage());
            }
            d.othersCheckOut();
        }
    }

    @Test
    void leftoversAreWarningsNotProblems() throws IOException {
        Path root = shared.resolve("leftovers");
        dev.coral.testutil.Trees.copy(pristine, root);
        Files.write(root.resolve(".coral/packs/.tmp-incoming.pack-123"), new byte[10]);
        Files.write(root.resolve(".coral/refs/heads/main.lock"), new byte[0]);
        FsckReport r = Maintenance.fsck(root.resolve(".coral"), false);
        assertTrue(r.clean(), () -> lines(r));
        assertEquals(2, r.warnings().size(), () -> lines(r));
        assertTrue(lines(r).contains("packs/.tmp-incoming.pack-123: temporary file"), () -> lines(r));
        assertTrue(lines(r).contains("refs/heads/main.lock: lock file"), () -> lines(r));
        assertTrue(lines(r).contains("coral gc"), () -> lines(r));
        // a fresh temporary file may be a live writer's (fsck runs beside writers): not called interrupted until gc could take it
        assertTrue(lines(r).contains(".tmp-incoming.pack-123: temporary file of a write in progress, or of one interrupted less than 1 minute ago, 0 seconds old"),
                () -> lines(r));
        Files.setLastModifiedTime(root.resolve(".coral/packs/.tmp-incoming.pack-123"),
                java.nio.file.attribute.FileTime.from(java.time.Instant.now().minus(Leftovers.LIVE_TEMPORARY).minusSeconds(5)));
        assertTrue(lines(r).contains("main.lock: lock file of a ref update in progress, or of one interrupted less than 10 minutes ago"),
                () -> lines(r));
        Files.setLastModifiedTime(root.resolve(".coral/refs/heads/main.lock"),
                java.nio.file.attribute.FileTime.from(java.time.Instant.now().minus(Leftovers.STALE_LOCK).minusSeconds(5)));
        FsckReport old = Maintenance.fsck(root.resolve(".coral"), false);
        assertTrue(lines(old).contains(".tmp-incoming.pack-123: temporary file of an interrupted write, 1 minute old"), () -> lines(old));
        assertTrue(lines(old).contains("main.lock: lock file of an interrupted ref update, 10 minutes old"), () -> lines(old));
    }

    @Test
    void rebuildIndexRestoresADamagedPackIndexFromItsPack() throws IOException {
        String name = "pack-" + packOfC2().hex() + ".idx";
        Damaged d = damage("packs/" + name, 0);
        Files.delete(d.root.resolve(".coral/packs/multi-pack-index")); // now the store needs the pack index
        FsckReport r = Maintenance.fsck(d.root.resolve(".coral"), true);
        assertTrue(r.repairs().stream().anyMatch(s -> s.contains("rebuilt packs/" + name)), r.repairs()::toString);
        assertTrue(r.clean(), () -> lines(r));
        d.othersCheckOut();
    }

    // ---------------------------------------------------------------- damage and checks

    private record Damaged(Path root, FsckReport report) {
        /** The one problem naming {@code file}; fails unless the report has it and is not clean. */
        Finding findingFor(String file) {
            assertFalse(report.clean(), "fsck must not be clean after damage to " + file);
            List<Finding> named = report.problems().stream().filter(f -> f.file().equals(file)).toList();
            assertFalse(named.isEmpty(), () -> "no problem names " + file + ":\n" + lines(report));
            return named.get(0);
        }

        Set<ObjectId> affectedCommits() {
            Set<ObjectId> s = new HashSet<>();
            report.problems().forEach(f -> s.addAll(f.commits()));
            return s;
        }

        /** Every tensor a problem names fails to read; every commit it names fails to check out. */
        void affectedFailLoudly() throws IOException {
            try (Repository repo = Repository.open(root)) {
                for (Finding f : report.problems()) {
                    for (ObjectId c : f.commits()) {
                        for (String t : f.tensors()) {
                            int colon = t.lastIndexOf(':');
                            assertThrows(IOException.class, () -> {
                                StoredTensor st = repo.tensor(c.hex(), t.substring(0, colon), t.substring(colon + 1));
                                try (InputStream in = st.openStream()) {
                                    in.readAllBytes();
                                }
                            }, () -> "reading " + t + " of " + c + " after: " + f.line());
                        }
                        int failed = 0;
                        for (String path : repo.readTree(c).files().keySet()) {
                            Path out = root.resolve("export-" + path);
                            try {
                                repo.export(c.hex(), path, out, null);
                            } catch (IOException e) {
                                failed++;
                            }
                        }
                        assertTrue(failed > 0, () -> "every file of " + c + " exports after: " + f.line());
                    }
                }
            }
        }

        /** Every commit no problem names checks out bit-exact. */
        void othersCheckOut() throws IOException {
            Set<ObjectId> affected = affectedCommits();
            int checked = 0;
            try (Repository repo = Repository.open(root)) {
                for (Map.Entry<ObjectId, Map<String, String>> e : committed.entrySet()) {
                    if (affected.contains(e.getKey())) {
                        continue;
                    }
                    repo.checkout(e.getKey().hex(), true);
                    for (Map.Entry<String, String> f : e.getValue().entrySet()) {
                        Path p = root.resolve(f.getKey());
                        if (f.getValue() == null) {
                            assertFalse(Files.exists(p), p + " is not in " + e.getKey());
                        } else {
                            assertEquals(f.getValue(), MaintenanceFixtures.sha256(p), p + " of " + e.getKey());
                        }
                    }
                    checked++;
                }
            }
            assertTrue(checked >= 1, "at least one commit is unaffected");
        }
    }

    private static int copies;

    /** A copy of the pristine repository with one byte of {@code file} flipped at a seeded position; fsck run. */
    private static Damaged damage(String file, long seed) throws IOException {
        Path root = shared.resolve("copy-" + copies++);
        dev.coral.testutil.Trees.copy(pristine, root);
        Path target = root.resolve(".coral").resolve(file);
        byte[] b = Files.readAllBytes(target);
        Random r = new Random(seed * 31 + file.hashCode());
        int pos = r.nextInt(b.length);
        b[pos] ^= (byte) (1 + r.nextInt(255));
        Files.write(target, b);
        FsckReport report = Maintenance.fsck(root.resolve(".coral"), false);
        String all = lines(report);
        assertTrue(report.problems().stream().allMatch(f -> f.line().lines().count() == 1), all);
        return new Damaged(root, report);
    }
}
