package dev.coral.maintenance;

import java.time.Duration;
import java.util.List;

/**
 * What {@code coral gc} removed (or, for a dry run, would remove): packs whose every object is
 * unreachable, small packs holding some unreachable objects among reachable ones (rewritten
 * without them), and leftovers of dead writers; what it kept: large such packs (see
 * {@link GarbageCollector}) and packs younger than the grace period. File names are relative to
 * {@code .coral}, but for {@code removedWorkingLeftovers}, the temporary files killed checkouts,
 * merges and exports left beside weight files, relative to the working folder's root. Immutable.
 */
public record GcReport(boolean dryRun, Duration grace, List<RemovedPack> removedPacks, List<Removed> removedLeftovers,
                       List<MixedPack> mixedPacks, int youngPacks, int packsKept, long reachableObjects,
                       List<Removed> removedWorkingLeftovers) {
    public GcReport {
        removedPacks = List.copyOf(removedPacks);
        removedLeftovers = List.copyOf(removedLeftovers);
        mixedPacks = List.copyOf(mixedPacks);
        removedWorkingLeftovers = List.copyOf(removedWorkingLeftovers);
    }

    /** What gc did in {@code .coral}, nothing yet in the working folder. */
    public GcReport(boolean dryRun, Duration grace, List<RemovedPack> removedPacks, List<Removed> removedLeftovers,
                    List<MixedPack> mixedPacks, int youngPacks, int packsKept, long reachableObjects) {
        this(dryRun, grace, removedPacks, removedLeftovers, mixedPacks, youngPacks, packsKept, reachableObjects, List.of());
    }

    /** This report, with {@code removed} as what gc did in the working folder. */
    public GcReport withWorkingLeftovers(List<Removed> removed) {
        return new GcReport(dryRun, grace, removedPacks, removedLeftovers, mixedPacks, youngPacks, packsKept, reachableObjects, removed);
    }

    /** A pack of unreachable objects only: its file, objects, and bytes of pack and index. */
    public record RemovedPack(String file, int objects, long bytes) {
    }

    /** A leftover file: what it is, its size. */
    public record Removed(String file, String what, long bytes) {
    }

    /**
     * A pack holding reachable and unreachable objects: {@code rewritten} when gc copied its
     * reachable objects to a new pack and deleted it (small packs), else kept as it is.
     */
    public record MixedPack(String file, int objects, int unreachableObjects, long unreachableBytes, boolean rewritten) {
    }

    /** Unreachable objects removed: with their packs, or dropped from rewritten mixed packs. */
    public long objectsRemoved() {
        return removedPacks.stream().mapToLong(RemovedPack::objects).sum()
                + mixedPacks.stream().filter(MixedPack::rewritten).mapToLong(MixedPack::unreachableObjects).sum();
    }

    public long packBytesRemoved() {
        return removedPacks.stream().mapToLong(RemovedPack::bytes).sum();
    }

    /** Bytes removed with the objects of {@link #objectsRemoved}: whole packs and indexes, and what rewritten packs dropped. */
    public long bytesRemoved() {
        return packBytesRemoved() + mixedPacks.stream().filter(MixedPack::rewritten).mapToLong(MixedPack::unreachableBytes).sum();
    }

    /** Mixed packs rewritten without their unreachable objects. */
    public long rewrittenPacks() {
        return mixedPacks.stream().filter(MixedPack::rewritten).count();
    }

    /** Leftovers removed, in {@code .coral} and in the working folder. */
    public int leftoversRemoved() {
        return removedLeftovers.size() + removedWorkingLeftovers.size();
    }

    public long leftoverBytesRemoved() {
        return removedLeftovers.stream().mapToLong(Removed::bytes).sum() + removedWorkingLeftovers.stream().mapToLong(Removed::bytes).sum();
    }
}
