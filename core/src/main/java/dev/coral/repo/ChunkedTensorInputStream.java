package dev.coral.repo;

import dev.coral.codec.CodecWorkspace;
import dev.coral.io.Threads;
import dev.coral.store.ChunkReadAhead;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ref.Cleaner;

/**
 * Streams a stored tensor's bytes chunk by chunk; holds one decoded chunk at a time. Not
 * thread-safe. A tensor of several chunks is decoded a few chunks ahead on the shared decoder
 * threads ({@link ChunkReadAhead}); a single chunk in the caller's thread with a codec workspace
 * held for the stream's life. Close it.
 */
final class ChunkedTensorInputStream extends InputStream {
    private final ObjectStore store;
    private final TensorObject tensor;
    private final boolean verify;
    private byte[] chunk = new byte[0];
    private int chunkLength;
    private int pos;
    private int next;
    private CodecWorkspace workspace;
    /** Closes the workspace's native zstd contexts if the stream is dropped without {@link #close}. */
    private Cleaner.Cleanable cleanable;
    private ChunkReadAhead ahead;
    /**
     * Closes the workspace of a stream dropped unclosed; made at first use, not as the class
     * initialises: a cleaner runs on a thread of its own, and one that could not start there
     * (ulimit -u) left the class unusable for the rest of the process ("NoClassDefFoundError: Could
     * not initialize class", found by disk-full-fuzz --limits --batch: every later read failed).
     */
    private static volatile Cleaner cleaner;

    /** The cleaner; null when its thread cannot start (a stream then closes its workspace only when closed). */
    private static Cleaner cleaner() {
        Cleaner c = cleaner;
        if (c == null) {
            synchronized (ChunkedTensorInputStream.class) {
                c = cleaner;
                if (c == null) {
                    try {
                        c = Cleaner.create();
                    } catch (OutOfMemoryError e) {
                        if (!Threads.couldNotStart(e)) {
                            throw e;
                        }
                        return null; // the next stream tries again
                    }
                    cleaner = c;
                }
            }
        }
        return c;
    }

    ChunkedTensorInputStream(ObjectStore store, TensorObject tensor, boolean verify) {
        this.store = store;
        this.tensor = tensor;
        this.verify = verify;
    }

    private boolean fill() throws IOException {
        int count = tensor.chunks().size();
        if (ahead == null && next == 0 && ChunkReadAhead.pays(count)) {
            ObjectId[] ids = new ObjectId[count];
            int[] lengths = new int[count];
            for (int i = 0; i < count; i++) {
                ids[i] = tensor.chunks().get(i).id();
                lengths[i] = (int) tensor.chunks().get(i).rawLength();
            }
            ahead = new ChunkReadAhead(store, ids, lengths, verify);
        }
        while (pos >= chunkLength) {
            if (next >= count) {
                return false;
            }
            ChunkRef ref = tensor.chunks().get(next++);
            if (ahead != null) {
                chunk = ahead.next();
                chunkLength = (int) ref.rawLength();
                pos = 0;
                continue;
            }
            if (chunk.length < ref.rawLength()) {
                chunk = new byte[(int) ref.rawLength()];
            }
            if (workspace == null) {
                CodecWorkspace ws = new CodecWorkspace();
                workspace = ws;
                Cleaner c = cleaner();
                cleanable = c != null ? c.register(this, ws::close) : ws::close;
            }
            chunkLength = store.readChunk(ref.id(), chunk, verify, workspace);
            pos = 0;
        }
        return true;
    }

    @Override
    public int read() throws IOException {
        return fill() ? chunk[pos++] & 0xFF : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (!fill()) {
            return -1;
        }
        int n = Math.min(len, chunkLength - pos);
        System.arraycopy(chunk, pos, b, off, n);
        pos += n;
        return n;
    }

    /** Writes each decoded chunk as it is: no copy through the caller's buffer. */
    @Override
    public long transferTo(OutputStream out) throws IOException {
        long n = 0;
        while (fill()) {
            int len = chunkLength - pos;
            out.write(chunk, pos, len);
            pos = chunkLength;
            n += len;
        }
        return n;
    }

    @Override
    public void close() {
        if (ahead != null) {
            ahead.close();
            ahead = null;
        }
        if (cleanable != null) {
            cleanable.clean(); // closes the workspace, once
            cleanable = null;
            workspace = null;
        }
        chunk = new byte[0];
        chunkLength = 0;
        pos = 0;
        next = tensor.chunks().size();
    }
}
