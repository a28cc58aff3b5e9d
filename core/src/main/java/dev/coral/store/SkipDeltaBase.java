package dev.coral.store;

import java.io.IOException;

/**
 * Picks the delta base of a new version of a chunk, given the previous version, so that chains
 * stay skip-delta chains (see {@link StoredForm}): version n = previous.seq + 1 is encoded against
 * version {@code n & (n-1)}, found by walking down the previous version's chain; when n reaches
 * 2^maxDepth the new version is a keyframe instead.
 */
record SkipDeltaBase(ObjectId base, int depth, int seq) {
    /** Depths above this would need more than 24 bits of sequence; far beyond any useful bound. */
    static final int MAX_DEPTH = 24;

    /** The base for a chunk of {@code length} bytes following {@code previous}, or null for a keyframe. */
    static SkipDeltaBase plan(ObjectStore store, ObjectId previous, long length, int maxDepth) throws IOException {
        if (maxDepth <= 0) {
            return null;
        }
        ObjectStore.Found cur = store.findLoaded(previous);
        if (cur == null || cur.entry().kind() != ObjectKind.CHUNK || cur.entry().rawLength() != length) {
            return null;
        }
        ChunkChainReader.Position pos = ChunkChainReader.position(cur);
        long n = pos.seq() + 1L;
        if (n >= 1L << maxDepth) {
            return null;
        }
        int target = (int) (n & (n - 1));
        ObjectId at = previous;
        for (int guard = 0; pos.seq() != target; guard++) {
            if (pos.base() == null || guard > ChunkChainReader.MAX_CHAIN) {
                return null; // not a skip-delta chain (written otherwise): start afresh
            }
            at = pos.base();
            cur = store.findLoaded(at);
            if (cur == null) {
                return null;
            }
            pos = ChunkChainReader.position(cur);
        }
        return new SkipDeltaBase(at, Long.bitCount(n), (int) n);
    }
}
