package dev.coral.store;

import java.io.IOException;

/**
 * Picks the delta base of a new version of a chunk, given the previous version, so that chains
 * keep their {@link ChainShape} (see {@link StoredForm}): version n = previous.seq + 1 is encoded
 * against version {@link ChainShape#baseOf}(n), found by walking down the previous version's
 * chain; at {@link ChainShape#versionsPerKeyframe()} the new version is a keyframe instead.
 */
record SkipDeltaBase(ObjectId base, int depth, int seq) {
    /**
     * The base for a chunk of {@code length} bytes following {@code previous}, or null for a
     * keyframe; once the base is at hand if it was being decoded ahead ({@link SkipBasesAhead}).
     */
    static SkipDeltaBase plan(ObjectStore store, ObjectId previous, long length, ChainShape shape) throws IOException {
        if (previous != null) {
            store.skipBasesAhead().await(previous);
        }
        return planNow(store, previous, length, shape);
    }

    /** Whether a version after this one is a delta against the same base (laid out by {@code shape}; null: none). */
    boolean servesLater(ChainShape shape) {
        return shape != null && shape.lastUserOf(shape.baseOf(seq)) > seq;
    }

    /** Whether this version's base is not the version before it, and no later version's base is that one either. */
    boolean skipsOverPrevious(ChainShape shape) {
        return shape != null && seq >= 1 && shape.baseOf(seq) != seq - 1 && shape.lastUserOf(seq - 1) <= seq;
    }

    /** As {@link #plan}, without waiting for a base being decoded ahead. */
    static SkipDeltaBase planNow(ObjectStore store, ObjectId previous, long length, ChainShape shape) throws IOException {
        return walkOrNull(store, previous, length, shape, false);
    }

    /**
     * The base of the next skip link ({@link ChainShape#nextSkipLink}) after the version {@code
     * stored}, found down its chain; null when there is none before the next keyframe, or the
     * chain is not of this shape.
     */
    static SkipDeltaBase nextSkipLink(ObjectStore store, ObjectId stored, long length, ChainShape shape) throws IOException {
        return walkOrNull(store, stored, length, shape, true);
    }

    private static SkipDeltaBase walkOrNull(ObjectStore store, ObjectId from, long length, ChainShape shape, boolean toSkipLink)
            throws IOException {
        if (shape.maxDepth() <= 0) {
            return null;
        }
        try {
            return walk(store, from, length, shape, toSkipLink);
        } catch (PackFile.MissingPackException e) {
            return null; // the version's pack went (another process's gc or repack): a keyframe
        }
    }

    private static SkipDeltaBase walk(ObjectStore store, ObjectId previous, long length, ChainShape shape, boolean toSkipLink)
            throws IOException {
        ObjectStore.Found cur = store.findLoaded(previous);
        if (cur == null || cur.entry().kind() != ObjectKind.CHUNK || cur.entry().rawLength() != length) {
            return null;
        }
        ChunkChainReader.Position pos = ChunkChainReader.position(cur);
        long n = toSkipLink ? shape.nextSkipLink(pos.seq()) : pos.seq() + 1L;
        if (n < 0 || n >= shape.versionsPerKeyframe()) {
            return null;
        }
        long target = shape.baseOf(n);
        ObjectId at = previous;
        for (int guard = 0; pos.seq() != target; guard++) {
            if (pos.base() == null || guard > ChunkChainReader.MAX_CHAIN) {
                return null; // not a chain of this shape (written otherwise): start afresh
            }
            at = pos.base();
            cur = store.findLoaded(at);
            if (cur == null) {
                return null;
            }
            pos = ChunkChainReader.position(cur);
        }
        return new SkipDeltaBase(at, shape.depthOf(n), (int) n);
    }
}
