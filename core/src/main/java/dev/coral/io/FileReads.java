package dev.coral.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Objects;

/**
 * Positioned reads of large ranges into heap arrays, {@value #SLICE} bytes per read call.
 *
 * <p>A read into a heap array goes through the JDK's temporary direct buffer, as large as the
 * read: the kernel copies into it, the JDK copies out of it. At chunk sizes (4 MiB) neither copy
 * stays in the cache; in 64 KiB slices the temporary buffer does. Measured here, 84 MB from the
 * page cache, one JVM per run: into 4 MiB arrays 1.13-1.31 GB/s in one read per chunk, 1.20-1.37
 * in 128 KiB slices, 2.69-2.89 in 64 KiB and 2.71-2.72 in 32 KiB slices; the file hash (SHA-256 and
 * CRC32C through one buffer) 122 ms of CPU per 84 MB with a 256 KiB buffer, 88 with 64 KiB. A
 * mapping of the range copies as fast (2.7-2.9 GB/s) but is unusable on Java 17: a file cut short
 * under it raises an InternalError later, at an unpredictable point, which inside the unmapping
 * Cleaner ends the JVM (System.exit). Writes gain nothing from slices (2.0-2.5 GB/s either way).
 */
public final class FileReads {
    /** Bytes per read call: the temporary buffer and the bytes just copied stay in the cache. */
    public static final int SLICE = 64 << 10;

    private FileReads() {
    }

    /**
     * As {@code ch.read(ByteBuffer.wrap(dst, off, len), pos)} for a file: reads {@code len} bytes
     * from {@code pos} into {@code dst[off, ...)}, fewer only where the file ends, and returns how
     * many; -1 if {@code pos} is at or past the end (and len is not 0).
     */
    public static int read(FileChannel ch, long pos, byte[] dst, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, dst.length);
        int done = 0;
        while (done < len) {
            int n = ch.read(ByteBuffer.wrap(dst, off + done, Math.min(SLICE, len - done)), pos + done);
            if (n < 0) {
                return done == 0 ? -1 : done;
            }
            done += n;
        }
        return done;
    }
}
