package dev.coral.store;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.Map;

/**
 * Which entry of the chunk cache a chunk can be read back from: for each cached chunk (an entry
 * of its own; bundled small chunks decode fast from their chains), the chunks its delta chain
 * runs through, up to {@value #MAX_LINKS} links below it, each mapped to its nearest cached
 * descendant. The cache holds the two newest versions of each chunk raw; an older version with
 * no file at hand (a deleted working file, {@code export}, a training script loading an older
 * checkpoint) is then read by undoing the deltas between a cached version and it
 * ({@link ChunkChainReader}), instead of decoding its chain up from the keyframe: 84 MB two
 * versions back, 5 links and the keyframe deep, 1 link above the newer cached one.
 *
 * <p>A hint only: whoever reads through it checks that the chains meet and what comes out
 * (as for a file at hand). Made from the cache folder's listing and each entry's delta
 * prefixes; made again when the folder's modification time changes (an entry written or dropped,
 * by this process or another).
 */
final class CachedDescendants {
    /** Deepest link below a cached chunk that is mapped: undoing more costs about what decoding from a keyframe does. */
    static final int MAX_LINKS = 8;
    /** Smallest cached chunk considered. */
    static final int MIN_BYTES = CacheBundles.SMALL_ENTRY_BYTES;

    /** A cached chunk, {@code links} deltas above the chunk it was found for. */
    record Descendant(ObjectId id, int links) {
    }

    /** The delta base a stored chunk names, or null for a keyframe or a chunk not found (or not read). */
    @FunctionalInterface
    interface Bases {
        ObjectId baseOf(ObjectId id) throws IOException;
    }

    private final FileTime stamp;
    private final Map<ObjectId, Descendant> byAncestor;

    private CachedDescendants(FileTime stamp, Map<ObjectId, Descendant> byAncestor) {
        this.stamp = stamp;
        this.byAncestor = byAncestor;
    }

    static final CachedDescendants NONE = new CachedDescendants(null, Map.of());

    /** The folder's modification time, or null when it cannot be read. */
    static FileTime stampOf(Path dir) {
        try {
            return Files.getLastModifiedTime(dir);
        } catch (IOException e) {
            return null;
        }
    }

    /** Whether this map was made from the folder as it is now (by its modification time). */
    boolean current(FileTime folderStamp) {
        return folderStamp != null && folderStamp.equals(stamp);
    }

    /**
     * Maps the chains of the entries in {@code dir} (stamped {@code folderStamp}). An entry gone
     * while the folder is listed, or a chain that cannot be followed (a damaged prefix), maps what
     * it can; a folder that cannot be listed maps nothing.
     */
    static CachedDescendants of(Path dir, FileTime folderStamp, Bases bases) {
        Map<ObjectId, Descendant> map = new HashMap<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (name.length() == 2 * ObjectId.BYTES && ObjectId.isHex(name) && atLeast(p, ChunkCache.HEADER_BYTES + MIN_BYTES + ChunkCache.FOOTER_BYTES)) {
                    mapChain(ObjectId.fromHex(name), bases, map);
                }
            }
        } catch (IOException | RuntimeException e) {
            // the listing ended early: what was mapped before is a hint all the same
        }
        return new CachedDescendants(folderStamp, Map.copyOf(map));
    }

    private static boolean atLeast(Path p, long bytes) {
        try {
            return Files.size(p) >= bytes;
        } catch (IOException e) {
            return false; // dropped meanwhile
        }
    }

    /** Maps the chunks up to {@value #MAX_LINKS} links below {@code cached} to it, where it is their nearest. */
    private static void mapChain(ObjectId cached, Bases bases, Map<ObjectId, Descendant> map) {
        ObjectId at = cached;
        for (int links = 1; links <= MAX_LINKS; links++) {
            try {
                at = bases.baseOf(at);
            } catch (IOException | RuntimeException e) {
                return; // a prefix that cannot be read: the links above it are mapped
            }
            if (at == null) {
                return;
            }
            Descendant known = map.get(at);
            if (known == null || known.links() > links) {
                map.put(at, new Descendant(cached, links));
            }
        }
    }

    /** The nearest cached chunk whose chain runs through {@code id}, or null. */
    Descendant of(ObjectId id) {
        return byAncestor.get(id);
    }
}
