package dev.coral.store;

/**
 * Sets a store's budget of recent chunks from tests outside this package: a model larger than
 * the budget (whose chunks are not admitted, or evicted, and spilled to the chunk cache) in a
 * test's heap, where the budget is an eighth of it; and tells what it holds, and what it read
 * ahead.
 */
public final class RecentChunksLimit {
    private RecentChunksLimit() {
    }

    public static void set(ObjectStore store, long bytes) {
        store.recentChunks().limitTo(bytes);
    }

    /** Whether the store holds chunk {@code id} in its memory of recent chunks. */
    public static boolean holds(ObjectStore store, ObjectId id) {
        return store.recentChunks().contains(id);
    }

    /** Waits until the store reads nothing ahead for a reader stepping back ({@link VersionsAhead}); returns how many chunks it read ahead so far. */
    public static long readAheadWhenIdle(ObjectStore store) throws InterruptedException {
        store.versionsAhead().awaitIdle();
        return store.versionsAhead().decoded();
    }
}
