package dev.coral.store;

import dev.coral.error.CorruptObjectException;

/**
 * How a pack entry's payload is laid out; the byte is the entry's codec field in packs and
 * indexes.
 *
 * <pre>
 * RAW   (0) --&gt; the object's bytes                       (small objects)
 * ZSTD  (1) --&gt; one zstd frame of the object's bytes      (small objects)
 * FRAME (2) --&gt; a self-describing chunk frame (dev.coral.codec.ChunkFormat: RAW, ZSTD or PLANES)
 * DELTA (3) --&gt; BaseId[32], Depth u8, Seq u32 (big-endian), chunk frame of XOR_PLANES or
 *               SUB_PLANES or ZIGZAG_PLANES against the base chunk's raw bytes
 * </pre>
 *
 * <p>Deltas form chains laid out by a {@link ChainShape}: the versions of a chunk after a
 * keyframe are numbered 1, 2, 3, ... (Seq; a keyframe has Seq 0); inside a run of versions each
 * is a delta against the one before, and the first of run m is a skip-delta (as Subversion's)
 * against the first of run {@code m & (m-1)}. Depth is the number of deltas on the chain, at most
 * the shape's bound; readers only follow BaseId and never need the shape.
 */
enum StoredForm {
    RAW(0), ZSTD(1), FRAME(2), DELTA(3);

    static final int DELTA_PREFIX_BYTES = ObjectId.BYTES + 1 + 4;

    final int code;

    StoredForm(int code) {
        this.code = code;
    }

    static StoredForm of(int code, String what) throws CorruptObjectException {
        for (StoredForm f : values()) {
            if (f.code == code) {
                return f;
            }
        }
        throw new CorruptObjectException(what + ": unknown stored form " + code);
    }
}
