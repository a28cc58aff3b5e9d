package dev.coral.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * A related chunk whose raw bytes are at hand: in the working file a checkout replaces, which
 * holds the version its index entry records ({@link #inFile}), or in the chunk cache
 * ({@link InCache}, a newer version of a chunk read with no file at hand). When that chunk is the
 * one wanted, it is copied; when it is on the wanted chunk's delta chain (an older version of
 * the same tensor's chunk), the deltas above it apply to its bytes; when the wanted chunk is on
 * its chain (a newer version held, going back) or both chains share a chunk, its deltas down to
 * the shared chunk are undone, then the wanted chunk's applied. The rest of the chains, the
 * keyframe too, is not decoded ({@link ChunkChainReader}). Whether a file still holds those
 * bytes is not known here: whoever reads through it checks the result (a checkout checks the
 * file's CRC32C and, on a mismatch, reads again without). What is read through it is never kept
 * for other reads.
 */
public sealed interface ChunkAtHand {
    /** The chunk held. */
    ObjectId id();

    /** Reads the chunk's {@code n} bytes into {@code dst}; false when they cannot be read (a file that ends first, a cache miss). */
    boolean read(byte[] dst, int n) throws IOException;

    /** Chunk {@code id} in {@code file} at {@code offset}. */
    static ChunkAtHand inFile(ObjectId id, FileChannel file, long offset) {
        return new InFile(id, file, offset);
    }

    /** A chunk in a file at hand. */
    record InFile(ObjectId id, FileChannel file, long offset) implements ChunkAtHand {
        @Override
        public boolean read(byte[] dst, int n) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(dst, 0, n);
            long at = offset;
            while (b.hasRemaining()) {
                int r = file.read(b, at);
                if (r < 0) {
                    return false;
                }
                at += r;
            }
            return true;
        }
    }

    /** A cached chunk ({@link CachedDescendants}), read to read {@code wanted} back from it. */
    record InCache(ObjectId id, ChunkCache cache, ObjectId wanted) implements ChunkAtHand {
        @Override
        public boolean read(byte[] dst, int n) {
            return cache.readAsDescendant(id, wanted, dst, n);
        }
    }
}
