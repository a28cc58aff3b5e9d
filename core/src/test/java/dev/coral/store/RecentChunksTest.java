package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The recent-chunks cache under the load it exists for: versions of a checkpoint committed one
 * after another, each chunk asking for the previous version of itself as its base.
 */
class RecentChunksTest {
    private static final int CHUNK = 1000;

    private static ObjectId id(int version, int chunk) {
        return ObjectId.hashOf(("v" + version + "c" + chunk).getBytes(StandardCharsets.UTF_8));
    }

    /** Commits {@code versions} versions of {@code chunks} chunks; returns the base hits of the last version. */
    private static int hitsOfLastVersion(RecentChunks cache, int versions, int chunks) {
        byte[] raw = new byte[CHUNK];
        byte[] dst = new byte[CHUNK];
        int hits = 0;
        for (int v = 0; v < versions; v++) {
            hits = 0;
            for (int c = 0; c < chunks; c++) {
                if (v > 0 && cache.copyTo(id(v - 1, c), dst)) {
                    hits++;
                }
                cache.put(id(v, c), raw, 0, CHUNK, true);
            }
        }
        return hits;
    }

    @Test
    void roomIsWhatFitsBesideTheEntriesHeldWithoutEvictingAny() {
        RecentChunks cache = new RecentChunks(8L * CHUNK);
        byte[] raw = new byte[CHUNK];
        assertTrue(cache.hasRoomFor(2L * CHUNK), "a quarter of the budget");
        assertFalse(cache.hasRoomFor(2L * CHUNK + 1), "over a quarter of the budget: never admitted");
        for (int c = 0; c < 6; c++) {
            cache.put(id(0, c), raw, 0, CHUNK, true);
        }
        assertTrue(cache.hasRoomFor(2L * CHUNK));
        cache.put(id(0, 6), raw, 0, CHUNK, true);
        assertFalse(cache.hasRoomFor(2L * CHUNK), "7 of 8 held, none done with");
        assertTrue(cache.hasRoomFor(CHUNK));
    }

    @Test
    void aCheckpointThatFitsIsServedWhole() {
        assertEquals(20, hitsOfLastVersion(new RecentChunks(25L * CHUNK), 6, 20));
    }

    @Test
    void aCheckpointLargerThanTheBudgetIsServedAsFarAsTheBudgetGoes() {
        // least recently used would serve none: each chunk is evicted just before it is asked for
        for (int chunks : new int[] {20, 40, 64, 200}) {
            int hits = hitsOfLastVersion(new RecentChunks(15L * CHUNK), 8, chunks);
            assertTrue(hits >= 12 && hits <= 15, chunks + " chunks a version, 15 fit: " + hits + " served");
        }
    }

    @Test
    void unusedEntriesGoStaleAndMakeRoomForNewWork() {
        RecentChunks cache = new RecentChunks(16L * CHUNK);
        byte[] raw = new byte[CHUNK];
        for (int c = 0; c < 16; c++) {
            cache.put(id(0, c), raw, 0, CHUNK, true); // another model's chunks, never asked for again
        }
        int admittedAfter = -1;
        for (int c = 0; c < 200 && admittedAfter < 0; c++) {
            cache.put(id(1, c), raw, 0, CHUNK, true);
            if (cache.contains(id(1, c))) {
                admittedAfter = c + 1;
            }
        }
        assertTrue(admittedAfter > 0, "new chunks are admitted once the old ones are stale");
        assertTrue(admittedAfter <= RecentChunks.STALE_ROUNDS * 16 + 1, "after " + admittedAfter + " insertions");
        assertFalse(cache.contains(id(0, 0)), "the oldest stale chunk left first");
        // the new model's next versions find their bases: used entries make room at once
        byte[] dst = new byte[CHUNK];
        int c = admittedAfter - 1;
        assertTrue(cache.copyTo(id(1, c), dst));
        cache.put(id(2, c), raw, 0, CHUNK, true);
        assertTrue(cache.contains(id(2, c)), "a used entry leaves for the next version");
    }

    @Test
    void aServedChunkLeavesSoTheCacheHoldsOneVersionWhateverTheBudget() {
        RecentChunks cache = new RecentChunks(1000L * CHUNK);
        assertEquals(20, hitsOfLastVersion(cache, 30, 20));
        for (int c = 0; c < 20; c++) {
            assertTrue(cache.contains(id(29, c)), "the newest version is held");
            assertFalse(cache.contains(id(28, c)), "the version it replaced has left");
        }
        assertFalse(cache.copyTo(id(28, 0), new byte[CHUNK]), "a chunk is served once");
    }

    @Test
    void chunksNoVersionAsksForLeaveAfterARoundWhateverTheBudget() {
        RecentChunks cache = new RecentChunks(100_000L * CHUNK);
        byte[] raw = new byte[CHUNK];
        byte[] dst = new byte[CHUNK];
        for (int v = 0; v < 200; v++) {
            for (int c = 0; c < 4; c++) {
                if (v % 8 != 0) { // every 8th version is a skip-delta against an older one: its predecessor is never asked for
                    assertTrue(cache.copyTo(id(v - 1, c), dst), "version " + v + " chunk " + c + " finds its base");
                }
                cache.put(id(v, c), raw, 0, CHUNK, true);
            }
        }
        int held = 0;
        for (int v = 0; v < 200; v++) {
            for (int c = 0; c < 4; c++) {
                held += cache.contains(id(v, c)) ? 1 : 0;
            }
        }
        // the newest version, plus the unasked-for versions younger than a round (4 x 16 insertions)
        assertTrue(held <= 4 + 4 * 2, held + " chunks held");
    }

    /** A chunk's worth of {@code value}. */
    private static byte[] filled(int value) {
        byte[] raw = new byte[CHUNK];
        Arrays.fill(raw, (byte) value);
        return raw;
    }

    /** Recent chunks of room for 100 chunks holding {@code raw} as chunk (0, 0), stored by this process. */
    private static RecentChunks holding(byte[] raw) {
        RecentChunks cache = new RecentChunks(100L * CHUNK);
        cache.put(id(0, 0), raw, 0, CHUNK, true);
        return cache;
    }

    @Test
    void anExchangeServesTheHeldArrayAndReusesTheOneGivenBack() {
        byte[] raw = filled(7);
        RecentChunks cache = holding(raw);
        byte[] mine = new byte[CHUNK];
        assertNull(cache.exchange(id(9, 9), mine), "not held: nothing served");
        byte[] held = cache.exchange(id(0, 0), mine);
        assertArrayEquals(raw, held, "the chunk's bytes, in the cache's own array");
        assertNotSame(raw, held);
        assertFalse(cache.contains(id(0, 0)), "served once, as by copyTo");
        assertNull(cache.exchange(id(0, 0), new byte[CHUNK]));
        byte[] next = new byte[CHUNK];
        Arrays.fill(next, (byte) 9);
        cache.put(id(1, 0), next, 0, CHUNK, true);
        byte[][] kept = new byte[1][];
        cache.forEachIngested((id, bytes, delta) -> kept[0] = bytes);
        assertSame(mine, kept[0], "the array given back holds the next chunk put");
        assertArrayEquals(next, kept[0]);
        assertEquals(7, held[0], "the array served stays the caller's");

        byte[] longer = new byte[2 * CHUNK];
        assertSame(longer, cache.exchange(id(1, 0), longer), "another length: copied into the caller's buffer, not swapped");
        assertArrayEquals(next, Arrays.copyOf(longer, CHUNK));
        assertFalse(cache.contains(id(1, 0)));
        cache.put(id(2, 0), raw, 0, CHUNK, true);
        cache.forEachIngested((id, bytes, delta) -> kept[0] = bytes);
        assertSame(mine, kept[0], "the array copied from is reused, not the caller's");
    }

    /** A plain read (peek) copies a held chunk and leaves it; serving it as a delta base (exchange) takes it. */
    @Test
    void aPlainReadLeavesTheChunkForTheNextVersionsBase() {
        byte[] raw = filled(5);
        RecentChunks cache = holding(raw);
        byte[] read = new byte[CHUNK];
        assertTrue(cache.peek(id(0, 0), read));
        assertArrayEquals(raw, read);
        assertTrue(cache.peek(id(0, 0), new byte[CHUNK]), "read again");
        assertArrayEquals(raw, cache.exchange(id(0, 0), new byte[CHUNK]), "then served as a base");
        assertFalse(cache.peek(id(0, 0), new byte[CHUNK]), "which takes it");
    }

    /** Only the chunks this process stored are handed on when it closes, not those it only decoded. */
    @Test
    void onlyIngestedChunksAreListed() {
        RecentChunks cache = new RecentChunks(64L * CHUNK);
        byte[] raw = new byte[CHUNK];
        cache.put(id(0, 0), raw, 0, CHUNK, false);
        cache.put(id(0, 1), raw, 0, CHUNK, true);
        cache.put(id(0, 2), raw, 0, CHUNK, false);
        cache.put(id(0, 3), raw, 0, CHUNK, true);
        java.util.List<ObjectId> listed = new java.util.ArrayList<>();
        cache.forEachIngested((id, bytes, delta) -> listed.add(id));
        assertEquals(java.util.List.of(id(0, 1), id(0, 3)), listed);
        assertTrue(cache.contains(id(0, 0)) && cache.contains(id(0, 2)), "decoded chunks are kept all the same");
    }

    @Test
    void putSaysWhetherTheChunkIsHeld() {
        RecentChunks cache = new RecentChunks(4L * CHUNK);
        byte[] raw = new byte[CHUNK];
        for (int c = 0; c < 4; c++) {
            assertTrue(cache.put(id(0, c), raw, 0, CHUNK, true), "chunk " + c + " admitted");
        }
        assertTrue(cache.put(id(0, 2), raw, 0, CHUNK, true), "held already");
        assertFalse(cache.put(id(0, 4), raw, 0, CHUNK, true), "full, and no entry done with");
        assertFalse(cache.contains(id(0, 4)));
        assertFalse(cache.put(id(0, 5), new byte[CHUNK + 1], 0, CHUNK + 1, true), "over a quarter of the budget");
        assertTrue(cache.copyTo(id(0, 3), new byte[CHUNK]), "the youngest serves: the older ones are skipped");
        assertTrue(cache.put(id(1, 3), raw, 0, CHUNK, true), "admitted in the room it left");
        assertTrue(cache.put(id(1, 4), raw, 0, CHUNK, true), "and in a skipped one's");
    }

    /**
     * A chunk this process stored leaves for the spill (the disk cache) when it is evicted unserved,
     * skipped or idle: it is the newest version of its chunk. Not one it only decoded, nor one that
     * served as a base or was discarded (a newer version replaced it).
     */
    @Test
    void storedChunksEvictedUnservedAreSpilledWithTheirBytes() {
        RecentChunks cache = new RecentChunks(4L * CHUNK);
        java.util.List<ObjectId> spilled = new java.util.ArrayList<>();
        java.util.List<byte[]> bytes = new java.util.ArrayList<>();
        cache.spillTo((id, b, delta) -> {
            spilled.add(id);
            bytes.add(b.clone());
        });
        cache.put(id(0, 0), filled(1), 0, CHUNK, true); // frozen from now on: never asked for again
        cache.put(id(0, 1), filled(2), 0, CHUNK, false); // only decoded
        cache.put(id(0, 2), filled(3), 0, CHUNK, true);
        cache.put(id(0, 3), filled(4), 0, CHUNK, true);
        cache.discard(id(0, 2)); // its successor skipped it
        assertTrue(cache.copyTo(id(0, 3), new byte[CHUNK]), "served: its next version is stored");
        assertEquals(java.util.List.of(), spilled, "nothing evicted yet");
        cache.put(id(1, 3), filled(5), 0, CHUNK, true);
        cache.put(id(1, 4), filled(6), 0, CHUNK, true);
        cache.put(id(1, 5), filled(7), 0, CHUNK, true);
        cache.put(id(1, 6), filled(8), 0, CHUNK, true);
        assertFalse(cache.contains(id(0, 0)) || cache.contains(id(0, 1)), "the skipped entries made room");
        assertEquals(java.util.List.of(id(0, 0)), spilled, "only the stored one went to the spill");
        assertArrayEquals(filled(1), bytes.get(0));

        // idle: a model's chunks never asked for again go one per round, each spilled
        RecentChunks idle = new RecentChunks(16L * CHUNK);
        java.util.List<ObjectId> idleSpilled = new java.util.ArrayList<>();
        idle.spillTo((id, b, delta) -> idleSpilled.add(id));
        for (int c = 0; c < 3 * RecentChunks.STALE_ROUNDS * 16; c++) {
            idle.put(id(2, c), filled(c), 0, CHUNK, true);
        }
        assertTrue(idleSpilled.size() >= 2, idleSpilled.size() + " spilled");
        assertEquals(id(2, 0), idleSpilled.get(0), "the oldest first");
        idleSpilled.forEach(id -> assertFalse(idle.contains(id)));
    }

    @Test
    void versionsDecodedAlongAChainAreHeldWithTheBytesTheirFillerWrites() {
        RecentChunks cache = new RecentChunks(8L * CHUNK);
        byte[] bytes = new byte[CHUNK];
        Arrays.fill(bytes, (byte) 7);
        assertTrue(cache.putAlong(id(0, 0), CHUNK, 1, a -> System.arraycopy(bytes, 0, a, 0, CHUNK)));
        byte[] out = new byte[CHUNK];
        assertTrue(cache.peek(id(0, 0), out));
        assertArrayEquals(bytes, out);
        assertTrue(cache.putAlong(id(0, 0), CHUNK, 1, a -> {
            throw new AssertionError("a chunk held is not filled again");
        }), "held already");
        assertFalse(cache.putAlong(id(0, 1), 2 * CHUNK + 1, 1, a -> {
            throw new AssertionError("a chunk not admitted is not filled");
        }), "over a quarter of the budget");
    }

    @Test
    void versionsDecodedAlongAChainLeaveFirstWhenRoomIsNeededTheFarthestBelowFirst() {
        RecentChunks cache = new RecentChunks(8L * CHUNK);
        byte[] raw = new byte[CHUNK];
        cache.put(id(0, 0), raw, 0, CHUNK, true); // the eldest: waits for its turn (nothing served, not idle)
        int[] ranks = {3, 1, 2, 3, 1}; // versions 1..5, decoded along chains, so far below the version read
        for (int v = 1; v <= 5; v++) {
            assertTrue(cache.putAlong(id(v, 0), CHUNK, ranks[v - 1], a -> Arrays.fill(a, (byte) 1)));
        }
        cache.put(id(6, 0), raw, 0, CHUNK, false);
        cache.put(id(7, 0), raw, 0, CHUNK, true);
        int[] leaves = {1, 4, 3}; // rank 3 (the oldest of them first), then rank 2
        for (int k = 0; k < leaves.length; k++) {
            assertTrue(cache.put(id(8 + k, 0), raw, 0, CHUNK, true), "a version decoded along made room");
            assertFalse(cache.contains(id(leaves[k], 0)), "version " + leaves[k] + " left");
        }
        assertTrue(cache.contains(id(2, 0)) && cache.contains(id(5, 0)), "those just below the version read stay");
        assertFalse(cache.putAlong(id(20, 0), CHUNK, 2, a -> {
            throw new AssertionError("not admitted");
        }), "one farther below does not evict those nearer");
        assertFalse(cache.putAlong(id(21, 0), CHUNK, 1, a -> {
            throw new AssertionError("not admitted");
        }), "nor one as near");
        assertTrue(cache.put(id(11, 0), raw, 0, CHUNK, true));
        assertFalse(cache.contains(id(2, 0)), "the older of rank 1 left");
        assertTrue(cache.put(id(12, 0), raw, 0, CHUNK, true));
        assertFalse(cache.contains(id(5, 0)));
        for (int v : new int[] {0, 6, 7, 8, 9, 10, 11, 12}) {
            assertTrue(cache.contains(id(v, 0)), "version " + v + ": not done with, stays");
        }
        assertFalse(cache.put(id(13, 0), raw, 0, CHUNK, true), "no version decoded along is left to make room, and the eldest waits");
        byte[] dst = new byte[CHUNK];
        assertTrue(cache.copyTo(id(0, 0), dst), "the eldest served");
        assertTrue(cache.putAlong(id(14, 0), CHUNK, 1, a -> Arrays.fill(a, (byte) 2)), "room again");
        assertTrue(cache.copyTo(id(14, 0), dst), "a version decoded along served as a base leaves as any other");
        assertFalse(cache.contains(id(14, 0)));
        assertTrue(cache.putAlong(id(15, 0), CHUNK, 4, a -> Arrays.fill(a, (byte) 3)), "its room is free");
    }

    @Test
    void aVersionHeldAlongAChainLeavesFirstOnceItIsReadItself() {
        RecentChunks cache = new RecentChunks(4L * CHUNK);
        int[] ranks = {1, 1, 1, 2};
        for (int v = 0; v < ranks.length; v++) {
            assertTrue(cache.putAlong(id(v, 0), CHUNK, ranks[v], a -> Arrays.fill(a, (byte) 1)));
        }
        byte[] dst = new byte[CHUNK];
        assertTrue(cache.peek(id(0, 0), dst), "a read through it (a chain's base) does not pass it");
        assertFalse(cache.putAlong(id(4, 0), CHUNK, 2, a -> {
            throw new AssertionError("not admitted");
        }), "no room below rank 2");
        assertTrue(cache.peekRead(id(0, 0), dst), "read as the version asked for: the reader goes on below it");
        assertTrue(cache.putAlong(id(4, 0), CHUNK, 2, a -> Arrays.fill(a, (byte) 2)), "admitted in place of the version passed");
        assertFalse(cache.contains(id(0, 0)));
        for (int v = 1; v <= 4; v++) {
            assertTrue(cache.contains(id(v, 0)), "version " + v + " stays");
        }
        assertTrue(cache.peekRead(id(4, 0), dst));
        assertArrayEquals(filled(2), Arrays.copyOf(dst, CHUNK));
        assertTrue(cache.putAlong(id(5, 0), CHUNK, 7, a -> Arrays.fill(a, (byte) 3)), "a version passed leaves before one of any rank");
        assertFalse(cache.contains(id(4, 0)));
    }

    @Test
    void roomForAVersionAlongCountsTheFreeBytesAndTheVersionsFartherBelow() {
        RecentChunks cache = new RecentChunks(4L * CHUNK);
        assertTrue(cache.hasRoomAlong(CHUNK, 1));
        assertFalse(cache.hasRoomAlong(CHUNK + 1, 1), "over a quarter of the budget");
        cache.put(id(0, 0), new byte[CHUNK], 0, CHUNK, true); // waits for its turn
        int[] ranks = {1, 2, 3};
        for (int v = 1; v <= 3; v++) {
            assertTrue(cache.putAlong(id(v, 0), CHUNK, ranks[v - 1], a -> Arrays.fill(a, (byte) 1)));
        }
        assertTrue(cache.hasRoomAlong(CHUNK, 1), "ranks 2 and 3 would leave");
        assertTrue(cache.hasRoomAlong(CHUNK, 2), "rank 3 would leave");
        assertFalse(cache.hasRoomAlong(CHUNK, 3), "none farther below than 3");
        assertFalse(cache.putAlong(id(4, 0), CHUNK, 3, a -> {
            throw new AssertionError("not admitted");
        }), "as the admission finds");
        byte[] dst = new byte[CHUNK];
        assertTrue(cache.peekRead(id(1, 0), dst));
        assertTrue(cache.hasRoomAlong(CHUNK, 3), "the version read would leave");
    }

    @Test
    void roomForSeveralVersionsAlongCountsThemAll() {
        RecentChunks cache = new RecentChunks(8L * CHUNK);
        for (int v = 0; v < 4; v++) {
            assertTrue(cache.putAlong(id(v, 0), CHUNK, 1 + v, a -> Arrays.fill(a, (byte) 1)));
        }
        assertTrue(cache.hasRoomAlong(CHUNK, 4, 5), "the free room holds four");
        assertFalse(cache.hasRoomAlong(CHUNK, 5, 4), "not five: none held farther below than 4");
        assertTrue(cache.hasRoomAlong(CHUNK, 5, 3), "rank 4 would leave for them");
        assertTrue(cache.hasRoomAlong(CHUNK, 7, 1), "ranks 2-4 would leave");
        assertFalse(cache.hasRoomAlong(CHUNK, 8, 1), "rank 1 would not");
    }

    @Test
    void aVersionRankedNearerAgainStaysWhereFartherOnesLeave() {
        RecentChunks cache = new RecentChunks(4L * CHUNK);
        for (int v = 0; v < 4; v++) {
            assertTrue(cache.putAlong(id(v, 0), CHUNK, 5 + v, a -> Arrays.fill(a, (byte) 1))); // ranked when a read far above decoded them
        }
        cache.rankAlong(id(3, 0), 1); // a reader stepping back is now next to it
        cache.rankAlong(id(2, 0), 2);
        assertTrue(cache.putAlong(id(4, 0), CHUNK, 3, a -> Arrays.fill(a, (byte) 2)), "a version read ahead, ranked below those");
        assertFalse(cache.contains(id(1, 0)), "rank 6 left first");
        assertTrue(cache.putAlong(id(5, 0), CHUNK, 4, a -> Arrays.fill(a, (byte) 2)));
        assertFalse(cache.contains(id(0, 0)), "then rank 5");
        assertFalse(cache.putAlong(id(6, 0), CHUNK, 4, a -> {
            throw new AssertionError("not admitted");
        }), "ranks 1-4 stay");
        for (int v : new int[] {2, 3, 4, 5}) {
            assertTrue(cache.contains(id(v, 0)), "version " + v);
        }
        byte[] dst = new byte[CHUNK];
        assertTrue(cache.peekRead(id(3, 0), dst));
        cache.rankAlong(id(3, 0), 1); // read itself: stays passed, leaves first
        assertTrue(cache.putAlong(id(6, 0), CHUNK, 4, a -> Arrays.fill(a, (byte) 3)));
        assertFalse(cache.contains(id(3, 0)));
        cache.rankAlong(id(9, 0), 1); // not held: nothing
        assertThrows(IllegalArgumentException.class, () -> cache.rankAlong(id(2, 0), 0));
    }

    @Test
    void chunksOverAQuarterOfTheBudgetAreNotKept() {
        RecentChunks cache = new RecentChunks(4L * CHUNK - 1);
        cache.put(id(0, 0), new byte[CHUNK], 0, CHUNK, true);
        assertFalse(cache.contains(id(0, 0)));
    }

    @Test
    void aBaseKeptForALaterVersionIsCopiedOutUntilItsLastUserTakesIt() {
        RecentChunks cache = new RecentChunks(40L * CHUNK);
        cache.put(id(0, 0), filled(7), 0, CHUNK, true);
        for (int use = 0; use < 3; use++) {
            byte[] buffer = new byte[CHUNK];
            assertSame(buffer, cache.exchange(id(0, 0), buffer, true), "copied into the caller's buffer, use " + use);
            assertArrayEquals(filled(7), buffer);
            assertTrue(cache.contains(id(0, 0)), "still held for the later version, use " + use);
            assertEquals(CHUNK, cache.keptBytes());
            Arrays.fill(buffer, (byte) 1); // the caller's buffer is its own: the kept bytes do not change
        }
        byte[] dst = new byte[CHUNK];
        assertTrue(cache.peek(id(0, 0), dst), "a plain read finds it");
        assertArrayEquals(filled(7), dst);
        byte[] buffer = new byte[CHUNK];
        byte[] served = cache.exchange(id(0, 0), buffer, false);
        assertNotSame(buffer, served, "its last user takes the kept array itself");
        assertArrayEquals(filled(7), served);
        assertFalse(cache.contains(id(0, 0)));
        assertEquals(0, cache.keptBytes());
    }

    @Test
    void keptBasesTakeAtMostHalfTheBudgetTheLeastLatelyUsedLeavingFirst() {
        RecentChunks cache = new RecentChunks(8L * CHUNK);
        byte[] buffer = new byte[CHUNK];
        for (int v = 0; v < 4; v++) {
            cache.keep(id(v, 0), filled(v), CHUNK);
        }
        assertEquals(4L * CHUNK, cache.keptBytes());
        assertNotNull(cache.exchange(id(0, 0), buffer, true)); // version 0 used lately: version 1 is the least lately used
        cache.keep(id(4, 0), filled(4), CHUNK);
        assertEquals(4L * CHUNK, cache.keptBytes(), "half the budget");
        assertFalse(cache.contains(id(1, 0)), "the least lately used left");
        for (int v : new int[] {0, 2, 3, 4}) {
            assertTrue(cache.peek(id(v, 0), buffer), "version " + v);
            assertArrayEquals(filled(v), buffer, "version " + v);
        }
        for (int c = 0; c < 4; c++) {
            cache.put(id(9, c), filled(9), 0, CHUNK, true);
        }
        assertFalse(cache.hasRoomFor(1), "the kept bases and the recent chunks share the budget");
        cache.keep(id(5, 0), filled(5), 5 * CHUNK);
        assertFalse(cache.contains(id(5, 0)), "over a quarter of the budget: never kept");
    }

    @Test
    void aChunkHeldAsRecentMovesToTheKeptBasesWhenAskedTo() {
        RecentChunks cache = new RecentChunks(40L * CHUNK);
        cache.put(id(0, 0), filled(3), 0, CHUNK, true);
        byte[] buffer = new byte[CHUNK];
        assertSame(buffer, cache.exchange(id(0, 0), buffer, true));
        assertEquals(CHUNK, cache.keptBytes());
        cache.put(id(0, 0), filled(4), 0, CHUNK, true); // held once: a second copy is not admitted
        assertTrue(cache.peek(id(0, 0), buffer));
        assertArrayEquals(filled(3), buffer);
        cache.keep(id(0, 0), filled(5), CHUNK);
        assertEquals(CHUNK, cache.keptBytes(), "kept once");
    }

    @Test
    void aDiscardedChunkLeavesAndItsArrayServesTheNextCopy() {
        RecentChunks cache = new RecentChunks(40L * CHUNK);
        cache.put(id(0, 0), filled(1), 0, CHUNK, true);
        cache.discard(id(0, 0));
        assertFalse(cache.contains(id(0, 0)));
        cache.discard(id(0, 0)); // not held: nothing happens
        cache.keep(id(1, 0), filled(2), CHUNK);
        cache.discard(id(1, 0)); // a kept base leaves only when its last user takes it
        assertTrue(cache.contains(id(1, 0)));
    }

    /** The bytes chunk {@code k} holds in the concurrent test: its own, so that a chunk served with another's bytes shows. */
    private static byte[] contentOf(int k) {
        byte[] a = new byte[CHUNK];
        new java.util.Random(k).nextBytes(a);
        return a;
    }

    /**
     * Threads storing, serving (kept or not), keeping, discarding and peeking the same few chunks
     * at once, as a commit's encoder threads, its prefetch and hashing threads and the skip-bases
     * thread do: every chunk served holds its own bytes, and the byte counts come back to zero.
     */
    @org.junit.jupiter.api.RepeatedTest(3)
    void threadsServingAndKeepingAtOnceNeverServeAnotherChunksBytes(org.junit.jupiter.api.RepetitionInfo rep) throws Exception {
        long seed = 40 + rep.getCurrentRepetition();
        RecentChunks cache = new RecentChunks(12L * CHUNK);
        int ids = 16;
        byte[][] contents = new byte[ids][];
        for (int k = 0; k < ids; k++) {
            contents[k] = contentOf(k);
        }
        java.util.concurrent.atomic.AtomicReference<String> failure = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.Map<ObjectId, Integer> byId = new java.util.HashMap<>();
        for (int k = 0; k < ids; k++) {
            byId.put(id(0, k), k);
        }
        java.util.concurrent.atomic.AtomicInteger spilled = new java.util.concurrent.atomic.AtomicInteger();
        cache.spillTo((id, bytes, delta) -> {
            spilled.incrementAndGet();
            if (!Arrays.equals(contents[byId.get(id)], bytes)) {
                failure.compareAndSet(null, "seed " + seed + ": chunk " + byId.get(id) + " spilled with other bytes");
            }
        });
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            java.util.Random r = new java.util.Random(seed * 31 + t);
            threads[t] = new Thread(() -> {
                byte[] buffer = new byte[CHUNK];
                for (int op = 0; op < 20_000 && failure.get() == null; op++) {
                    int k = r.nextInt(ids);
                    ObjectId id = id(0, k);
                    byte[] served = null;
                    switch (r.nextInt(6)) {
                        case 0 -> cache.put(id, contents[k], 0, CHUNK, r.nextBoolean());
                        case 1 -> cache.keep(id, contents[k], CHUNK);
                        case 2 -> served = cache.exchange(id, buffer, r.nextBoolean());
                        case 3 -> cache.discard(id);
                        case 4 -> served = cache.peek(id, buffer) ? buffer : null;
                        default -> served = cache.keepHeld(id) && cache.peek(id, buffer) ? buffer : null;
                    }
                    if (served != null) {
                        if (!Arrays.equals(contents[k], served)) {
                            failure.compareAndSet(null, "seed " + seed + ": chunk " + k + " served other bytes at op " + op);
                        }
                        buffer = served; // an array served is the caller's now
                        Arrays.fill(buffer, (byte) 0x5A); // and the caller writes over it, as a decoder would
                    }
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertNull(failure.get(), failure.get());
        assertTrue(spilled.get() > 0, "seed " + seed + ": evicted chunks were spilled");
        assertTrue(cache.keptBytes() >= 0 && cache.keptBytes() <= 6L * CHUNK, "kept bytes within half the budget: " + cache.keptBytes());
        for (int k = 0; k < ids; k++) {
            byte[] dst = new byte[CHUNK];
            if (cache.peek(id(0, k), dst)) {
                assertArrayEquals(contents[k], dst, "seed " + seed + ": chunk " + k + " held at the end");
            }
            cache.exchange(id(0, k), new byte[CHUNK], false);
        }
        assertEquals(0, cache.keptBytes(), "every kept base taken by its last user");
        assertTrue(cache.hasRoomFor(3L * CHUNK), "nothing left held");
    }

    /**
     * A chunk its encoder marked as stored as a delta is spilled as one when evicted, though the
     * store may not know its pack yet: without the mark the store, asked, finds no such chunk and
     * does not write it to the disk cache, and a training loop's newest version of a thread's
     * tensor went missing there (16 threads through one handle at a 40 KiB budget: 72 of 640 over
     * 40 runs). A chunk
     * not held cannot be marked: its encoder writes it itself.
     */
    @Test
    void chunksMarkedAsDeltasAreSpilledAsDeltas() {
        RecentChunks cache = new RecentChunks(4L * CHUNK);
        java.util.Map<ObjectId, Boolean> spilled = new java.util.LinkedHashMap<>();
        cache.spillTo((id, b, delta) -> spilled.put(id, delta));
        cache.put(id(3, 0), filled(1), 0, CHUNK, true);
        cache.put(id(3, 1), filled(2), 0, CHUNK, true);
        cache.put(id(3, 2), filled(3), 0, CHUNK, false); // decoded only: never spilled
        cache.put(id(3, 3), filled(4), 0, CHUNK, true);
        assertTrue(cache.markDelta(id(3, 0)));
        assertFalse(cache.markDelta(id(3, 9)), "not held: not marked");
        assertFalse(cache.markDelta(id(3, 2)), "a chunk only decoded is not this process's to spill");
        assertTrue(cache.copyTo(id(3, 3), new byte[CHUNK]), "served: the ones before it are done with");
        cache.put(id(4, 0), filled(5), 0, CHUNK, false);
        cache.put(id(4, 1), filled(6), 0, CHUNK, false);
        cache.put(id(4, 2), filled(7), 0, CHUNK, false);
        assertEquals(java.util.Map.of(id(3, 0), true, id(3, 1), false), spilled, "the marked one as a delta, the other for the store to tell");
        assertFalse(cache.markDelta(id(3, 0)), "evicted: no longer marked");
    }

    /**
     * The caches of a process share one budget ({@link ChunkMemory}): one holds what the others
     * leave, and takes the room of caches idle for {@link ChunkMemory#IDLE_MILLIS}, which let go of
     * all they hold; caches at work at once do not take from each other. Before, every store had
     * the whole budget: commits of 40 MB checkpoints into three repositories in turn through one
     * batch process at -Xmx300m ran out of heap.
     */
    @Test
    void cachesShareTheProcesssBudgetAndTakeTheRoomOfIdleOnes() throws InterruptedException {
        ChunkMemory memory = new ChunkMemory(8L * CHUNK);
        RecentChunks a = new RecentChunks(8L * CHUNK, memory);
        RecentChunks b = new RecentChunks(8L * CHUNK, memory);
        List<ObjectId> handedOver = new ArrayList<>();
        a.spillTo(new RecentChunks.Spill() {
            @Override
            public void spill(ObjectId id, byte[] bytes, boolean delta) {
                throw new AssertionError("a copy spilled: letting go hands the arrays over");
            }

            @Override
            public void handOver(ObjectId id, byte[] bytes, boolean delta) {
                handedOver.add(id);
            }
        });
        byte[] raw = new byte[CHUNK];
        for (int i = 0; i < 8; i++) {
            assertTrue(a.put(id(1, i), raw, 0, CHUNK, i % 2 == 0)); // half of them stored by this process
        }
        assertFalse(b.put(id(2, 0), raw, 0, CHUNK, false), "a is at work: b gets only the room a leaves, none");
        assertEquals(0, memory.free());
        Thread.sleep(ChunkMemory.IDLE_MILLIS + 50);
        assertTrue(b.put(id(2, 0), raw, 0, CHUNK, false), "a is idle: b takes its room");
        assertFalse(a.contains(id(1, 0)) || a.contains(id(1, 7)), "a let go of all it held");
        assertEquals(List.of(id(1, 0), id(1, 2), id(1, 4), id(1, 6)), handedOver, "the chunks it stored to its disk cache");
        assertEquals(7L * CHUNK, memory.free());
        b.close();
        assertEquals(8L * CHUNK, memory.free(), "a closed cache gives its memory back");
    }

    /**
     * The spill is not changed while another thread hands chunks over to it ({@link RecentChunks#letGoOfAll},
     * another store's thread taking this one's memory): the store, closing, stops the spill before
     * it closes its disk cache, and a hand-over still under way would have written into the closed
     * cache. After the spill is stopped nothing is handed over.
     */
    @Test
    void theSpillStopsOnlyOnceAHandOverUnderWayEnds() throws Exception {
        RecentChunks cache = new RecentChunks(8L * CHUNK);
        java.util.concurrent.CountDownLatch inHandOver = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        List<ObjectId> handedOver = java.util.Collections.synchronizedList(new ArrayList<>());
        cache.spillTo((id, b, delta) -> {
            inHandOver.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            handedOver.add(id);
        });
        cache.put(id(5, 0), filled(1), 0, CHUNK, true);
        Thread taker = new Thread(cache::letGoOfAll);
        taker.start();
        assertTrue(inHandOver.await(10, java.util.concurrent.TimeUnit.SECONDS));
        Thread stopper = new Thread(() -> cache.spillTo(null));
        stopper.start();
        stopper.join(200);
        assertTrue(stopper.isAlive(), "the spill is stopped only once the hand-over ends");
        release.countDown();
        stopper.join(10_000);
        taker.join(10_000);
        assertEquals(List.of(id(5, 0)), handedOver);
        cache.put(id(5, 1), filled(2), 0, CHUNK, true);
        cache.letGoOfAll();
        assertEquals(List.of(id(5, 0)), handedOver, "nothing handed over once the spill stopped");
    }
}
