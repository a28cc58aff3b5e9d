package dev.coral.maintenance;

import dev.coral.io.FaultPoints;
import dev.coral.io.RepositoryLock;
import dev.coral.io.WriterGate;
import dev.coral.repo.ObjectGraph;
import dev.coral.repo.Refs;
import dev.coral.repo.RootAttempts;
import dev.coral.store.ChunkCache;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectKind;
import dev.coral.store.ObjectStore;
import dev.coral.store.PackIndex;
import dev.coral.store.PackMerge;
import dev.coral.store.PackVerifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code coral gc}: removes what no branch, tag, HEAD or staged file can reach, and what dead
 * writers left behind.
 *
 * <ul>
 * <li><b>Packs</b> whose every object is unreachable are deleted (index first, then pack).
 *     Reachable means: from a branch, a tag, HEAD or the staging index, through parents,
 *     trees, file entries, tensors, chunks and <em>delta bases</em> (a delta's base is kept
 *     alive by the delta), or from any object of a pack younger than the grace period.
 * <li><b>Mixed packs</b> (some objects reachable): one under {@link #REWRITE_MIXED_BELOW} bytes
 *     has its reachable objects copied, payloads untouched, into a new pack, and is deleted;
 *     a larger one is kept as it is, and its unreachable objects and bytes reported. A reader
 *     in another process that held the old pack looks again and finds the objects in the new one.
 * <li><b>Young packs</b> (index written less than the grace period ago) are kept whole, and
 *     their objects count as roots (as git's prune expiry): what was unreachable a moment ago
 *     can still be found again for a while.
 * <li><b>Leftovers</b>: {@code .tmp-*} files older than the grace period and than
 *     {@link Leftovers#LIVE_TEMPORARY}, packs without an index older than the grace period, and
 *     ref lock files older than {@link Leftovers#STALE_LOCK}; and the chunk cache's
 *     copies of chunks no longer stored ({@link ChunkCache}).
 * </ul>
 *
 * A gc takes the repository's exclusive {@code gc} lock ({@code .coral/locks/gc.lock}) for the
 * whole run (a dry run takes none and changes nothing), refuses to delete anything when a
 * reachable object cannot be read (run {@code coral fsck}), and rewrites the multi-pack index
 * afterwards.
 *
 * <p>Writers run on during a gc, whatever the grace period ({@code --prune=now} too). A writer's
 * new pack is reachable from nothing until its ref or staging index moves, and it may name
 * again an object of a pack nothing reached. So gc {@link WriterGate#shut() shuts the writers'
 * gate} twice, for moments: to list packs and read the roots (writers half-way through wait, or
 * finish first), and to read the roots again, walk what they reach anew and delete. Packs a
 * writer made in between are not on the list, and an old object it named again is reached by
 * the second walk.
 */
public final class GarbageCollector {
    public static final String LOCK_NAME = "gc";
    /**
     * Prefix of the scratch folder in {@code .coral/packs} where {@code coral repack} writes before
     * it merges, followed by the repacking process's id. Repack holds the gc lock for its whole
     * run, so a gc (which takes that lock) meets only the folders of dead ones, and removes them.
     */
    public static final String REPACK_SCRATCH_PREFIX = ".repack-";
    /**
     * Mixed packs smaller than this are rewritten without their unreachable objects; larger
     * ones are kept whole ({@code coral repack} drops what they hold in vain). Commits' small
     * packs are merged as they accumulate, so without this, what a deleted branch left in them
     * would outlive every gc.
     */
    static final long REWRITE_MIXED_BELOW = 32L << 20;

    private final Path coralDir;
    private final Path packsDir;
    private final ObjectStore store;
    private final Refs refs;
    private final Instant now;
    private final Runnable onWait;

    private GarbageCollector(Path coralDir, ObjectStore store, Refs refs, Instant now, Runnable onWait) {
        this.onWait = onWait;
        this.coralDir = coralDir.toAbsolutePath().normalize();
        this.packsDir = this.coralDir.resolve("packs");
        this.store = store;
        this.refs = refs;
        this.now = now;
    }

    /**
     * Collects garbage in the repository of {@code coralDir} whose objects {@code store} reads;
     * {@code onWait} runs when gc must wait for writers half-way through a commit.
     */
    public static GcReport run(Path coralDir, ObjectStore store, Refs refs, boolean dryRun, Duration grace, Runnable onWait)
            throws IOException {
        if (grace.isNegative()) {
            throw new IllegalArgumentException("negative grace period: " + grace);
        }
        GarbageCollector gc = new GarbageCollector(coralDir, store, refs, Instant.now(), onWait);
        if (dryRun) {
            return gc.collect(true, grace);
        }
        try (RepositoryLock.Held held = new RepositoryLock(gc.coralDir.resolve("locks"), LOCK_NAME).lock()) {
            return gc.collect(false, grace);
        }
    }

    private record Pack(PackVerifier.PackName name, PackIndex index, boolean young, Instant written) {
    }

    private GcReport collect(boolean dryRun, Duration grace) throws IOException {
        Instant cutoff = now.minus(grace);
        WriterGate gate = new WriterGate(coralDir.resolve("locks"));
        List<Pack> packs;
        ObjectWalk walk = new ObjectWalk(new ObjectGraph(store), false, id -> PackVerifier.deltaBase(store, id));
        // No writer is between writing objects and naming them while the packs and roots are read.
        try (WriterGate.Held shut = dryRun ? null : gate.shut(onWait)) {
            store.refresh();
            packs = listPacks(cutoff);
            Roots.addTo(walk, coralDir, store, refs, "gc");
        }
        int young = 0;
        for (Pack p : packs) {
            if (p.young()) {
                young++;
                for (int i = 0; i < p.index().size(); i++) {
                    PackIndex.Entry e = p.index().entryAt(i);
                    walk.addRoot(e.id(), e.kind());
                }
            }
        }
        walk.run();
        walk.requireReadable("gc", "nothing was removed");
        if (dryRun) {
            return sweep(packs, walk, grace, young, true);
        }
        FaultPoints.hit("gc.walked");
        GcReport[] report = new GcReport[1];
        int youngPacks = young;
        try {
            PackVerifier.changeThenRebuildMultiPackIndex(packsDir, coralDir.resolve("locks"), () -> {
                try (WriterGate.Held shut = gate.shut(onWait)) {
                    // Writers that ran during the walk named new objects, or old ones again: reach them too.
                    store.refresh();
                    Roots.addTo(walk, coralDir, store, refs, "gc");
                    walk.run();
                    walk.requireReadable("gc", "nothing was removed");
                    report[0] = sweep(packs, walk, grace, youngPacks, false);
                }
            });
        } finally {
            store.refresh();
        }
        new ChunkCache(coralDir.resolve("cache").resolve("chunks"), Long.MAX_VALUE).retain(store); // raw copies of deleted chunks
        new RootAttempts(coralDir).prune(id -> {
            try {
                return store.find(id) != null; // the failed first commit is still stored: the lost-branch check must pass it over
            } catch (IOException | RuntimeException e) {
                return true;
            }
        }, now.toEpochMilli());
        return report[0];
    }

    /** The indexed packs of the folder, young or not by {@code cutoff}. */
    private List<Pack> listPacks(Instant cutoff) throws IOException {
        List<Pack> packs = new ArrayList<>();
        for (PackVerifier.PackName p : PackVerifier.list(packsDir)) {
            if (!p.hasIndex()) {
                continue; // an unindexed pack is a leftover (or being written): see sweep
            }
            try {
                Instant written = Files.getLastModifiedTime(p.index()).toInstant();
                packs.add(new Pack(p, PackVerifier.readIndex(packsDir, p.id()), written.isAfter(cutoff), written));
            } catch (NoSuchFileException e) {
                // removed meanwhile
            } catch (IOException | RuntimeException e) {
                throw ObjectWalk.notRemoved("gc", e, "nothing was removed");
            }
        }
        return packs;
    }

    /** Deletes (unless {@code dryRun}) the old packs {@code walk} did not reach into, and the leftovers; reports. */
    private GcReport sweep(List<Pack> packs, ObjectWalk walk, Duration grace, int young, boolean dryRun) throws IOException {
        Map<ObjectId, ObjectKind> reached = walk.reached();
        List<GcReport.RemovedPack> removed = new ArrayList<>();
        List<GcReport.MixedPack> mixed = new ArrayList<>();
        List<ObjectId> rewritten = new ArrayList<>();
        List<Pack> doomed = new ArrayList<>();
        for (Pack p : packs) {
            if (p.young()) {
                continue;
            }
            int unreachable = 0;
            long unreachableBytes = 0;
            for (int i = 0; i < p.index().size(); i++) {
                PackIndex.Entry e = p.index().entryAt(i);
                if (!reached.containsKey(e.id())) {
                    unreachable++;
                    unreachableBytes += e.storedLength();
                }
            }
            if (unreachable == p.index().size()) {
                doomed.add(p);
                removed.add(new GcReport.RemovedPack(rel(p.name().pack()), unreachable, size(p.name().pack()) + size(p.name().index())));
            } else if (unreachable > 0) {
                boolean rewrite = size(p.name().pack()) < REWRITE_MIXED_BELOW;
                if (rewrite) {
                    rewritten.add(p.name().id());
                }
                mixed.add(new GcReport.MixedPack(rel(p.name().pack()), p.index().size(), unreachable, unreachableBytes, rewrite));
            }
        }
        List<GcReport.Removed> leftovers = new ArrayList<>();
        List<Path> leftoverFiles = new ArrayList<>();
        for (Leftovers.Leftover l : Leftovers.scan(coralDir, now, !dryRun)) { // a dry run takes no gc lock
            if (l.removable(grace)) {
                leftovers.add(new GcReport.Removed(rel(l.file()), l.kind().description, l.bytes()));
                leftoverFiles.add(l.file());
            }
        }
        if (!dryRun) {
            List<ObjectId> delete = new ArrayList<>();
            for (Pack p : doomed) {
                // A writer reusing an object of this pack freshened it since it was listed: keep it.
                if (Files.getLastModifiedTime(p.name().index()).toInstant().equals(p.written())) {
                    delete.add(p.name().id());
                }
            }
            IOException stays = null;
            try {
                PackVerifier.deletePacks(packsDir, delete);
            } catch (IOException e) {
                stays = e; // the others are deleted; go on with the rest
            }
            if (!rewritten.isEmpty()) {
                PackMerge.mergeInPlace(packsDir, rewritten, reached::containsKey); // their reachable objects into one new pack, then they go
            }
            for (Path f : leftoverFiles) {
                Leftovers.remove(f);
            }
            if (stays != null) {
                throw new IOException("gc: " + stays.getMessage() + "; everything else unreachable was removed", stays);
            }
        }
        return new GcReport(dryRun, grace, removed, leftovers, mixed, young, packs.size() - doomed.size(), reached.size());
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    private String rel(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        return abs.startsWith(coralDir) ? coralDir.relativize(abs).toString().replace('\\', '/') : abs.toString();
    }
}
