package dev.coral.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Copies the entries of several packs, payloads untouched (stored forms, delta bases and all),
 * into one new pack in {@code targetDir}; each object once. Ids do not change, so nothing that
 * refers to them does. Used by repack to turn its many small packs into one.
 */
public final class PackMerge {
    private PackMerge() {
    }

    /** Merges the packs {@code packIds} of {@code sourceDir}; returns the new pack's id (null if empty). */
    public static ObjectId merge(Path sourceDir, List<ObjectId> packIds, Path targetDir) throws IOException {
        return merge(sourceDir, packIds, targetDir, id -> true);
    }

    /** As {@link #merge(Path, List, Path)}, copying only the objects {@code keep} accepts. */
    public static ObjectId merge(Path sourceDir, List<ObjectId> packIds, Path targetDir, Predicate<ObjectId> keep) throws IOException {
        Set<ObjectId> written = new HashSet<>();
        // one array for every entry read: a fresh one is zeroed, and most chunks' would be G1
        // humongous allocations, each a step towards a collection
        BaseBuffer buffer = new BaseBuffer();
        try (PackWriter out = new PackWriter(targetDir)) {
            for (ObjectId packId : packIds) {
                PackIndex index = PackIndex.read(sourceDir.resolve(PackLayout.indexFileName(packId)));
                try (PackFile in = PackFile.open(sourceDir.resolve(PackLayout.packFileName(packId)), index)) {
                    for (int i = 0; i < index.size(); i++) {
                        PackIndex.Entry e = index.entryAt(i);
                        if (keep.test(e.id()) && written.add(e.id())) {
                            PackFile.Slice whole = in.readEntrySlice(e, buffer::ofAtLeast);
                            out.appendEntry(e, whole.array(), whole.offset(), whole.length());
                        }
                    }
                }
            }
            PackIndex merged = out.finish();
            return merged == null ? null : merged.packId();
        }
    }

    /**
     * Merges the packs {@code packIds} of {@code packsDir} into one new pack there, then deletes
     * them: every object stays, in the new pack. Returns the new pack's id (null if empty).
     */
    public static ObjectId mergeInPlace(Path packsDir, List<ObjectId> packIds) throws IOException {
        return mergeInPlace(packsDir, packIds, id -> true);
    }

    /**
     * As {@link #mergeInPlace(Path, List)}, keeping only the objects {@code keep} accepts (gc's
     * rewrite of mixed packs without their unreachable objects).
     */
    public static ObjectId mergeInPlace(Path packsDir, List<ObjectId> packIds, Predicate<ObjectId> keep) throws IOException {
        ObjectId merged = merge(packsDir, packIds, packsDir, keep);
        PackVerifier.deletePacks(packsDir, packIds.stream().filter(p -> !p.equals(merged)).toList());
        return merged;
    }

    /** Ids of the packs (with an index in place) in {@code dir}. */
    public static List<ObjectId> packsIn(Path dir) throws IOException {
        return PackVerifier.list(dir).stream().filter(PackVerifier.PackName::hasIndex).map(PackVerifier.PackName::id).toList();
    }
}
