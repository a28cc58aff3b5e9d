package dev.coral.maintenance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.api.CommitRequest;
import dev.coral.api.Maintenance;
import dev.coral.api.Repository;
import dev.coral.error.BadInputException;
import dev.coral.io.FaultPoints;
import dev.coral.repo.RepositoryConfig;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code coral gc}: what goes, what stays, and that everything reachable still checks out bit-exact. */
class GarbageCollectorTest {
    @TempDir
    Path dir;

    private final Map<ObjectId, String> modelSha = new LinkedHashMap<>();

    /**
     * main: c1 (model v1), c2 (model v2). Branch exp from c1: e1 adds extra.safetensors, e2 runs
     * {@code rm model.safetensors}; exp is then deleted, so its packs are unreachable.
     */
    private Repository history() throws IOException {
        Repository repo = Repository.init(dir, RepositoryConfig.defaults().withChunkBytes(1024));
        Path model = dir.resolve("model.safetensors");
        MaintenanceFixtures.writeModel(model, 1, 2, 600);
        repo.add(List.of(model));
        modelSha.put(repo.commit(CommitRequest.of("c1")), MaintenanceFixtures.sha256(model));
        repo.switchBranch("exp", true, false);
        MaintenanceFixtures.writeModel(dir.resolve("extra.safetensors"), 5, 2, 500);
        repo.add(List.of(dir.resolve("extra.safetensors")));
        repo.commit(CommitRequest.of("e1"));
        repo.remove(List.of(model), false);
        repo.commit(CommitRequest.of("e2"));
        repo.switchBranch("main", false, true);
        repo.deleteBranch("exp", true);
        MaintenanceFixtures.writeModel(model, 2, 2, 600);
        repo.add(List.of(model));
        modelSha.put(repo.commit(CommitRequest.of("c2")), MaintenanceFixtures.sha256(model));
        return repo;
    }

    private void everyCommitChecksOut(Repository repo) throws IOException {
        for (Map.Entry<ObjectId, String> e : modelSha.entrySet()) {
            repo.checkout(e.getKey().hex(), true);
            assertEquals(e.getValue(), MaintenanceFixtures.sha256(dir.resolve("model.safetensors")), "model in " + e.getKey());
            assertFalse(Files.exists(dir.resolve("extra.safetensors")));
        }
        repo.checkout("main", true);
    }

    private static void age(Path p, Duration by) throws IOException {
        Files.setLastModifiedTime(p, FileTime.from(Instant.now().minus(by)));
    }

    @Test
    void pruneNowRemovesUnreachablePacksAndEverythingElseStillChecksOut() throws IOException {
        try (Repository repo = history()) {
            Path packs = dir.resolve(".coral/packs");
            int packsBefore = MaintenanceFixtures.files(packs, ".pack").size();
            Path tmp = packs.resolve(".tmp-incoming.pack-dead");
            Files.write(tmp, new byte[100]);
            age(tmp, Leftovers.LIVE_TEMPORARY.plusSeconds(1));
            Path live = dir.resolve(".coral/.tmp-config-live"); // a 'coral config' half-way through: not gated, milliseconds old
            Files.write(live, new byte[10]);
            Path staleLock = dir.resolve(".coral/refs/heads/main.lock");
            Files.write(staleLock, new byte[0]);
            age(staleLock, Duration.ofHours(1));

            String before = MaintenanceFixtures.listing(dir);
            GcReport dry = Maintenance.gc(repo, true, Duration.ZERO);
            assertEquals(before, MaintenanceFixtures.listing(dir), "a dry run changes nothing");
            assertTrue(dry.dryRun());
            // exp: the pack of extra.safetensors and the packs of commits e1 and e2
            assertEquals(3, dry.removedPacks().size(), dry::toString);
            assertEquals(2, dry.removedLeftovers().size(), dry::toString);

            GcReport gc = Maintenance.gc(repo, false, Duration.ZERO);
            assertEquals(dry.removedPacks(), gc.removedPacks());
            // extra: 4 chunks, 2 tensors, 1 file entry; e1 and e2: a tree and a commit each
            assertEquals(11, gc.objectsRemoved(), gc::toString);
            assertTrue(gc.packBytesRemoved() > 2 * 500 * 4, "bytes: " + gc.packBytesRemoved());
            assertEquals(packsBefore - 3, MaintenanceFixtures.files(packs, ".pack").size());
            assertFalse(Files.exists(tmp));
            assertFalse(Files.exists(staleLock));
            assertTrue(Files.exists(live), "--prune=now took a temporary file younger than " + Leftovers.LIVE_TEMPORARY);
            Files.delete(live);
            assertTrue(gc.mixedPacks().isEmpty(), gc::toString);

            everyCommitChecksOut(repo);
            FsckReport fsck = Maintenance.fsck(repo, false);
            assertTrue(fsck.clean() && fsck.warnings().isEmpty(), () -> FsckTest.lines(fsck));
            assertEquals(fsck.packedObjects(), fsck.reachableObjects(), "nothing unreachable is left");
            GcReport again = Maintenance.gc(repo, true, Duration.ZERO);
            assertTrue(again.removedPacks().isEmpty() && again.removedLeftovers().isEmpty(), again::toString);
        }
    }

    /**
     * A pack file gc cannot delete (a folder in its place, a read-only folder) keeps its pack
     * whole and stops nothing else: the other unreachable packs go, the multi-pack index is
     * rewritten (not left naming deleted packs), and the error names the file.
     */
    @Test
    void aPackThatCannotBeDeletedStaysWholeAndTheRestIsCollected() throws IOException {
        try (Repository repo = history()) {
            Path packs = dir.resolve(".coral/packs");
            Maintenance.gc(repo, false, Duration.ZERO); // merges nothing here; makes the multi-pack index
            int packsBefore = MaintenanceFixtures.files(packs, ".pack").size();
            repo.switchBranch("gone", true, false);
            MaintenanceFixtures.writeModel(dir.resolve("extra.safetensors"), 7, 2, 500);
            repo.add(List.of(dir.resolve("extra.safetensors")));
            repo.commit(CommitRequest.of("g1"));
            repo.remove(List.of(dir.resolve("extra.safetensors")), false);
            repo.commit(CommitRequest.of("g2"));
            repo.switchBranch("main", false, true);
            repo.deleteBranch("gone", true);
            int doomed = MaintenanceFixtures.files(packs, ".pack").size() - packsBefore;
            assertTrue(doomed >= 2, "packs of the deleted branch: " + doomed);
            List<String> failedAt = new ArrayList<>();
            FaultPoints.install(p -> {
                if (p.equals("pack.delete") && failedAt.isEmpty()) {
                    failedAt.add(p);
                    throw new java.nio.file.AccessDeniedException("f", null, "injected");
                }
            });
            IOException e;
            try {
                e = assertThrows(IOException.class, () -> Maintenance.gc(repo, false, Duration.ZERO));
            } finally {
                FaultPoints.install(null);
            }
            assertTrue(e.getMessage().startsWith("gc: cannot delete ") && e.getMessage().contains(".idx: injected")
                    && e.getMessage().contains("everything else unreachable was removed"), e.getMessage());
            assertEquals(packsBefore + 1, MaintenanceFixtures.files(packs, ".pack").size(), "one doomed pack stays");
            assertEquals(packsBefore + 1, MaintenanceFixtures.files(packs, ".idx").size(), "with its index");
            FsckReport fsck = Maintenance.fsck(repo, false);
            assertTrue(fsck.clean() && fsck.warnings().isEmpty(), () -> "no stale multi-pack index: " + FsckTest.lines(fsck));
            everyCommitChecksOut(repo);
            Maintenance.gc(repo, false, Duration.ZERO);
            assertEquals(packsBefore, MaintenanceFixtures.files(packs, ".pack").size(), "the next gc takes it");
        }
    }

    /**
     * A gc or repack that could not read what it must keep for want of file descriptors ({@code
     * ulimit -n}) says so without calling it damage: until 2026-12-07 it ended "nothing was removed
     * (run 'coral fsck')", sending the user to look for damage that is not there (OpenFileLimitIT
     * runs a gc under such a limit); damage still names fsck.
     */
    @Test
    void runningOutOfFilesIsNotCalledDamage() {
        IOException limit = ObjectWalk.notRemoved("gc",
                new java.nio.file.FileSystemException("/r/.coral/packs/pack-1.pack", null, "Too many open files"), "nothing was removed");
        assertFalse(limit instanceof dev.coral.error.CorruptObjectException, limit.toString());
        assertEquals("gc: /r/.coral/packs/pack-1.pack: Too many open files; nothing was removed", limit.getMessage());
        IOException damage = ObjectWalk.notRemoved("gc", new dev.coral.error.CorruptObjectException("pack-1.pack: entry checksum mismatch"),
                "nothing was removed");
        assertTrue(damage instanceof dev.coral.error.CorruptObjectException, damage.toString());
        assertEquals("gc: pack-1.pack: entry checksum mismatch; nothing was removed (run 'coral fsck')", damage.getMessage());
    }

    /**
     * A repack killed half-way leaves its scratch folder (a copy of the objects) in the packs
     * folder: fsck names it, gc removes it whatever the grace period. A live repack's folder (this
     * process's id, while a repack holds the gc lock) is not reported. Once no repack holds the gc
     * lock, a folder named by a running process is a dead repack's too (its id reused: found by
     * fuzzing, such a folder was kept for ever), and gc, which holds that lock, removes it.
     */
    @Test
    void aDeadRepacksScratchFolderIsRemovedAndALiveOnesKept() throws Exception {
        try (Repository repo = history()) {
            Path packs = dir.resolve(".coral/packs");
            Path dead = packs.resolve(GarbageCollector.REPACK_SCRATCH_PREFIX + "999999999");
            Files.createDirectories(dead.resolve("similarity"));
            Files.write(dead.resolve("pack-0123.pack"), new byte[300]);
            Files.write(dead.resolve("similarity").resolve("sketches"), new byte[20]);
            Files.write(dead.resolve(".tmp-incoming.pack-x"), new byte[5]);
            Path live = packs.resolve(GarbageCollector.REPACK_SCRATCH_PREFIX + ProcessHandle.current().pid());
            Files.createDirectories(live);
            Files.write(live.resolve("pack-4567.pack"), new byte[10]);

            java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
            Thread repack = new Thread(() -> { // a repack running: it holds the gc lock
                try (dev.coral.io.RepositoryLock.Held h = new dev.coral.io.RepositoryLock(dir.resolve(".coral/locks"), GarbageCollector.LOCK_NAME).lock()) {
                    held.countDown();
                    done.await();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            repack.start();
            held.await();
            FsckReport fsck;
            try {
                fsck = Maintenance.fsck(repo, false);
            } finally {
                done.countDown();
                repack.join();
            }
            assertTrue(fsck.clean(), () -> FsckTest.lines(fsck));
            assertEquals(1, fsck.warnings().size(), () -> FsckTest.lines(fsck));
            assertTrue(fsck.warnings().get(0).message().contains("scratch folder of an interrupted repack"), () -> FsckTest.lines(fsck));
            assertTrue(fsck.warnings().get(0).file().contains(GarbageCollector.REPACK_SCRATCH_PREFIX + "999999999"), () -> FsckTest.lines(fsck));

            FsckReport noRepack = Maintenance.fsck(repo, false);
            assertEquals(2, noRepack.warnings().size(), () -> "no repack runs: both are dead ones' " + FsckTest.lines(noRepack));

            GcReport gc = Maintenance.gc(repo, false, GracePeriod.DEFAULT);
            assertEquals(2, gc.removedLeftovers().size(), gc::toString);
            assertFalse(Files.exists(dead), "the dead repack's folder is gone");
            assertFalse(Files.exists(live), "and the one whose id a running process has");
            everyCommitChecksOut(repo);
        }
    }

    @Test
    void youngUnreferencedPacksAndTemporaryFilesAreKeptWithinTheGracePeriod() throws IOException {
        try (Repository repo = history()) {
            Path packs = dir.resolve(".coral/packs");
            Path tmp = packs.resolve(".tmp-incoming.pack-young");
            Files.write(tmp, new byte[100]);
            String before = MaintenanceFixtures.listing(dir);
            GcReport gc = Maintenance.gc(repo, false, GracePeriod.DEFAULT);
            assertTrue(gc.removedPacks().isEmpty(), gc::toString);
            assertTrue(gc.removedLeftovers().isEmpty(), gc::toString);
            assertTrue(gc.youngPacks() >= 3, gc::toString);
            assertTrue(Files.exists(tmp));
            assertEquals(before.lines().filter(l -> l.contains(".pack ") || l.contains(".idx ")).toList(),
                    MaintenanceFixtures.listing(dir).lines().filter(l -> l.contains(".pack ") || l.contains(".idx ")).toList());

            // Three weeks later the same packs are past the grace period and go.
            for (Path p : MaintenanceFixtures.files(packs, "")) {
                age(p, Duration.ofDays(21));
            }
            GcReport later = Maintenance.gc(repo, false, GracePeriod.DEFAULT);
            assertEquals(3, later.removedPacks().size(), later::toString);
            assertFalse(Files.exists(tmp));
            everyCommitChecksOut(repo);
            assertTrue(Maintenance.fsck(repo, false).clean());
        }
    }

    @Test
    void deltaBasesOfReachableChunksAreKeptAlive() throws IOException {
        try (Repository repo = Repository.init(dir, RepositoryConfig.defaults().withChunkBytes(1024))) {
            Path model = dir.resolve("model.safetensors");
            MaintenanceFixtures.writeModel(model, 7, 2, 600);
            repo.add(List.of(model)); // staged, never committed: its chunks become delta bases
            MaintenanceFixtures.writeNudgedModel(model, 7, 2, 600);
            repo.add(List.of(model));
            ObjectId c = repo.commit(CommitRequest.of("nudged"));
            String sha = MaintenanceFixtures.sha256(model);
            ObjectId chunk = repo.tensor("HEAD", "model.safetensors", "layer0.weight").object().chunks().get(0).id();
            assertTrue(repo.chainDepth(chunk) >= 1, "the nudged model is stored as deltas");

            GcReport gc = Maintenance.gc(repo, false, Duration.ZERO);
            assertTrue(gc.removedPacks().isEmpty(), gc::toString);
            assertEquals(1, gc.mixedPacks().size(), gc::toString);
            GcReport.MixedPack mixed = gc.mixedPacks().get(0);
            assertTrue(mixed.unreachableObjects() >= 3, "file entry and two tensors of v1: " + mixed);
            assertTrue(mixed.unreachableObjects() < mixed.objects(), "its chunks are kept as delta bases");
            assertTrue(mixed.rewritten(), "a small mixed pack is rewritten without its unreachable objects");
            assertEquals(mixed.unreachableObjects(), gc.objectsRemoved());
            assertFalse(Files.exists(dir.resolve(".coral").resolve(mixed.file())));

            Files.delete(model);
            repo.checkout(c.hex(), true);
            assertEquals(sha, MaintenanceFixtures.sha256(model));
            FsckReport fsck = Maintenance.fsck(repo, false);
            assertTrue(fsck.clean(), () -> FsckTest.lines(fsck));
            assertEquals(fsck.packedObjects(), fsck.reachableObjects(), "nothing unreachable is left");
            GcReport again = Maintenance.gc(repo, false, Duration.ZERO);
            assertTrue(again.mixedPacks().isEmpty() && again.removedPacks().isEmpty(), again::toString);
        }
    }

    @Test
    void gcRefusesToDeleteWhenAReachableObjectIsMissing() throws IOException {
        try (Repository repo = history()) {
            Path packs = dir.resolve(".coral/packs");
            // Delete the newest commit's pack by hand: c2 can no longer be read.
            ObjectId c2 = repo.headCommit();
            Path victim = null;
            for (Path idx : MaintenanceFixtures.files(packs, ".idx")) {
                String id = idx.getFileName().toString().substring(5, 69);
                if (dev.coral.store.PackVerifier.readIndex(packs, ObjectId.fromHex(id)).find(c2) != null) {
                    victim = idx;
                }
            }
            Files.delete(victim);
            Files.delete(packs.resolve(victim.getFileName().toString().replace(".idx", ".pack")));
            Files.deleteIfExists(packs.resolve("multi-pack-index"));
            String before = MaintenanceFixtures.listing(dir);
            IOException e = assertThrows(IOException.class, () -> Maintenance.gc(repo, false, Duration.ZERO));
            assertTrue(e.getMessage().contains("nothing was removed") && e.getMessage().contains("coral fsck"), e.getMessage());
            assertEquals(before, MaintenanceFixtures.listing(dir));
            FsckReport fsck = Maintenance.fsck(repo, false);
            assertFalse(fsck.clean());
            assertTrue(fsck.problems().get(0).line().contains(c2.hex()), () -> FsckTest.lines(fsck));
        }
    }

    @Test
    void gracePeriodsParse() throws BadInputException {
        assertEquals(Duration.ZERO, GracePeriod.parse("now"));
        assertEquals(Duration.ofDays(14), GracePeriod.parse("2.weeks.ago"));
        assertEquals(Duration.ofDays(14), GracePeriod.parse("2w"));
        assertEquals(Duration.ofDays(3), GracePeriod.parse("3 days"));
        assertEquals(Duration.ofHours(12), GracePeriod.parse("12h"));
        assertEquals(Duration.ofMinutes(30), GracePeriod.parse("30min"));
        assertEquals(Duration.ofHours(36), GracePeriod.parse("PT36H"));
        assertThrows(BadInputException.class, () -> GracePeriod.parse("soon"));
        assertThrows(BadInputException.class, () -> GracePeriod.parse("-PT1H"));
        assertEquals("2 weeks", GracePeriod.describe(GracePeriod.DEFAULT));
        assertEquals("now", GracePeriod.describe(Duration.ZERO));
    }
}
