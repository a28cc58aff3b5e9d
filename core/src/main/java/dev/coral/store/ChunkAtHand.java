package dev.coral.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * A related chunk whose raw bytes a file at hand holds: the working file a checkout replaces holds
 * the version its index entry records, chunk {@code id} at {@code offset}. When that chunk is the
 * one wanted, it is copied; when it is on the wanted chunk's delta chain (an older version of the
 * same tensor's chunk), the deltas above it apply to its bytes; when the wanted chunk is on its
 * chain (a newer version held, going back) or both chains share a chunk, its deltas down to the
 * shared chunk are undone, then the wanted chunk's applied. The rest of the chains, the keyframe
 * too, is not decoded ({@link ChunkChainReader}). Whether the file still holds those
 * bytes is not known here: whoever reads through it checks the result (a checkout checks the
 * file's CRC32C and, on a mismatch, reads again without). What is read through it is never kept
 * for other reads.
 */
public record ChunkAtHand(ObjectId id, FileChannel file, long offset) {
    /** Reads the chunk's {@code n} bytes into {@code dst}; false when the file ends first. */
    boolean read(byte[] dst, int n) throws IOException {
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
