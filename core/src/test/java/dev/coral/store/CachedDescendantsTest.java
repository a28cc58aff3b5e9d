package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The map of cached descendants, over a cache folder of its own and delta bases given by hand:
 * each chunk maps to its nearest cached descendant, at most {@link CachedDescendants#MAX_LINKS}
 * links below it; small entries, foreign files and unreadable prefixes are skipped, not fatal;
 * the map is current only for the folder time it was made at.
 */
class CachedDescendantsTest {
    @TempDir
    Path dir;

    private static ObjectId id(String name) {
        return ObjectId.hashOf(name.getBytes(StandardCharsets.UTF_8));
    }

    private void cache(ObjectId id, int bodyBytes) throws IOException {
        Files.write(dir.resolve(id.hex()), new byte[ChunkCache.HEADER_BYTES + bodyBytes + ChunkCache.FOOTER_BYTES]);
    }

    @Test
    void eachChunkMapsToItsNearestCachedDescendant() throws IOException {
        // one chain: v0 <- v1 <- ... <- v12 (each the base of the next); v11 and v12 cached
        Map<ObjectId, ObjectId> base = new HashMap<>();
        for (int v = 1; v <= 12; v++) {
            base.put(id("v" + v), id("v" + (v - 1)));
        }
        cache(id("v11"), CachedDescendants.MIN_BYTES);
        cache(id("v12"), CachedDescendants.MIN_BYTES);
        cache(id("small"), CachedDescendants.MIN_BYTES - 1); // bundled size: not mapped
        base.put(id("small"), id("v3"));
        Files.writeString(dir.resolve("not-an-entry"), "x");
        Files.writeString(dir.resolve(".tmp-" + id("v12").hex()), "x");
        CachedDescendants d = CachedDescendants.of(dir, FileTime.fromMillis(7), c -> base.get(c));
        assertEquals(new CachedDescendants.Descendant(id("v11"), 1), d.of(id("v10")), "v11 is nearer than v12");
        assertEquals(new CachedDescendants.Descendant(id("v11"), 8), d.of(id("v3")), "the small entry is not mapped");
        assertEquals(new CachedDescendants.Descendant(id("v12"), 1), d.of(id("v11")), "a cached chunk's own descendant");
        assertNull(d.of(id("v2")), "nine links below v11: past MAX_LINKS");
        assertNull(d.of(id("v12")), "nothing above the newest");
        assertTrue(d.current(FileTime.fromMillis(7)));
        assertFalse(d.current(FileTime.fromMillis(8)), "the folder changed");
        assertFalse(d.current(null));
    }

    @Test
    void aPrefixThatCannotBeReadEndsOnlyItsOwnChain() throws IOException {
        Map<ObjectId, ObjectId> base = new HashMap<>(Map.of(id("a1"), id("a0"), id("b2"), id("b1"), id("b1"), id("b0")));
        cache(id("a1"), CachedDescendants.MIN_BYTES);
        cache(id("b2"), CachedDescendants.MIN_BYTES);
        CachedDescendants d = CachedDescendants.of(dir, FileTime.fromMillis(1), c -> {
            if (c.equals(id("b1"))) {
                throw new IOException("damaged prefix");
            }
            return base.get(c);
        });
        assertEquals(new CachedDescendants.Descendant(id("a1"), 1), d.of(id("a0")));
        assertEquals(new CachedDescendants.Descendant(id("b2"), 1), d.of(id("b1")), "the link above the damaged prefix");
        assertNull(d.of(id("b0")), "below it: not followed");
    }

    @Test
    void aFolderThatCannotBeListedMapsNothing() {
        CachedDescendants d = CachedDescendants.of(dir.resolve("missing"), FileTime.fromMillis(1), c -> null);
        assertNull(d.of(id("x")));
        assertNull(CachedDescendants.stampOf(dir.resolve("missing")));
    }
}
