package dev.coral.store;

import dev.coral.codec.CodecWorkspace;
import dev.coral.error.CorruptObjectException;
import dev.coral.io.Crc32c;
import dev.coral.io.Futures;
import dev.coral.io.Threads;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayDeque;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reads a list of chunks in order while decoding the next few on a shared pool of decoder
 * threads (one per core, at most four), so that reading a tensor runs at the speed of all cores
 * instead of one. At most {@code threads + 1} tasks are decoded ahead, each one chunk or a group of
 * small consecutive ones ({@link #GROUP_BYTES}): memory stays a few chunk
 * buffers whatever the tensor's size, and the buffers go back to the store when the reader is
 * closed, for the next tensor's: a fresh 4 MiB array per chunk ahead was zeroed first, which was
 * a fifth of an 84 MB checkout's reading thread. Not thread-safe: one reader per instance.
 */
public final class ChunkReadAhead implements AutoCloseable {
    /** Decoder threads: one per core, at most 4 (decoding is memory-bound beyond that). */
    public static final int THREADS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    private static final AtomicInteger THREAD_COUNT = new AtomicInteger();
    private static final ThreadLocal<CodecWorkspace> WORKSPACE = new ThreadLocal<>();
    private static final ThreadPoolExecutor POOL = newPool();

    private final ObjectStore store;
    private final ObjectId[] ids;
    private final int[] lengths;
    private final boolean verify;
    /** Where each chunk is written by its decoder thread, or null (chunks handed to the reader). */
    private final FileChannel writeTo;
    private final long[] positions;
    /** Each chunk's CRC32C, taken by its decoder thread, when chunks are written there. */
    private final int[] crcs;
    private final int depth;
    /** Each chunk's related chunk at hand, or null ({@link #startingFrom}). */
    private ChunkAtHand[] atHand;
    /** A chunk submitted: the task decoding its group, its buffer, and whether it is its group's last. */
    private record Slot(Future<?> done, byte[] buffer, boolean lastOfGroup) {
    }

    /**
     * Consecutive chunks decoded by one task while together under this many bytes (and
     * {@value #GROUP_CHUNKS} chunks): a task per chunk cost two thread hand-offs per chunk, which
     * for small ones outweighed the decoding (50,000 chunks of 4 KB: the checkout ran faster on
     * one core than on two). A chunk of this size or more is a task of its own, as before.
     */
    static final int GROUP_BYTES = 256 << 10;
    static final int GROUP_CHUNKS = 64;

    private final ArrayDeque<Slot> pending = new ArrayDeque<>();
    /** Tasks submitted whose chunks are not all taken yet: at most {@link #depth}. */
    private int groupsAhead;
    private final ArrayDeque<byte[]> free = new ArrayDeque<>();
    private int submitted;
    private int taken;
    private byte[] lent;

    /**
     * @param ids the chunks to read, in order
     * @param lengths their raw lengths
     * @param verify check each chunk's SHA-256 against its id
     */
    public ChunkReadAhead(ObjectStore store, ObjectId[] ids, int[] lengths, boolean verify) {
        this(store, ids, lengths, verify, null, null);
    }

    /**
     * As {@link #ChunkReadAhead(ObjectStore, ObjectId[], int[], boolean)}, but each decoder
     * thread writes the chunk it decoded into {@code file}, chunk {@code i} at {@code positions[i]}
     * (positional writes: the threads write at once, each at its place), and takes
     * its CRC32C while the chunk is in its core's cache; {@link #nextWritten} waits for each in
     * order. A checkout's writing thread then neither copies nor checksums the chunks.
     */
    public ChunkReadAhead(ObjectStore store, ObjectId[] ids, int[] lengths, boolean verify, FileChannel file, long[] positions) {
        if (ids.length != lengths.length || (file != null && positions.length != ids.length)) {
            throw new IllegalArgumentException(ids.length + " ids for " + lengths.length + " lengths"
                    + (file == null ? "" : " and " + positions.length + " positions"));
        }
        this.store = store;
        this.ids = ids.clone();
        this.lengths = lengths.clone();
        this.verify = verify;
        this.writeTo = file;
        this.positions = file == null ? null : positions.clone();
        this.crcs = file == null ? null : new int[ids.length];
        this.depth = THREADS + 1;
    }

    /**
     * Has chunk {@code i} read from {@code at[i]} where that decodes fewer deltas
     * ({@link ChunkAtHand}; a null element: none). The caller checks what it reads. Before the first read.
     */
    public ChunkReadAhead startingFrom(ChunkAtHand[] at) {
        if (at.length != ids.length || submitted > 0) {
            throw new IllegalArgumentException(at.length + " chunks at hand for " + ids.length + " chunks, " + submitted + " read");
        }
        this.atHand = at.clone();
        return this;
    }

    /** True when reading {@code chunks} chunks ahead in parallel can pay: several chunks and several cores. */
    public static boolean pays(int chunks) {
        return THREADS > 1 && chunks > 1;
    }

    /**
     * The next chunk's raw bytes at {@code [0, length)} of the returned array, or null after the
     * last. The array stays valid until the next call.
     */
    public byte[] next() throws IOException {
        if (lent != null) {
            free.push(lent);
            lent = null;
        }
        while (submitted < ids.length && groupsAhead < depth) {
            submitGroup();
        }
        Slot slot = pending.poll();
        if (slot == null) {
            return null;
        }
        if (slot.lastOfGroup()) {
            groupsAhead--;
        }
        Futures.await(slot.done(), "reading a chunk ahead");
        lent = slot.buffer();
        taken++;
        return lent;
    }

    /**
     * Waits until the next chunk is written at its place (see
     * {@link #ChunkReadAhead(ObjectStore, ObjectId[], int[], boolean, FileChannel, long)}) and
     * returns its CRC32C.
     */
    public int nextWritten() throws IOException {
        if (writeTo == null) {
            throw new IllegalStateException("chunks are handed over, not written");
        }
        if (next() == null) {
            throw new IllegalStateException("every chunk was written already");
        }
        return crcs[taken - 1];
    }

    /** Submits the next chunks, as many as make a group, to one decoding task. */
    private void submitGroup() {
        int from = submitted;
        int to = from + 1;
        long bytes = lengths[from];
        while (to < ids.length && to - from < GROUP_CHUNKS && bytes + lengths[to] <= GROUP_BYTES) {
            bytes += lengths[to++];
        }
        byte[][] targets = new byte[to - from][];
        for (int i = from; i < to; i++) {
            byte[] buf = free.poll();
            if (buf == null || buf.length < lengths[i]) {
                byte[] spare = store.takeReadAheadArray(lengths[i]);
                buf = spare != null ? spare : new byte[lengths[i]];
            }
            targets[i - from] = buf;
        }
        int first = from;
        int end = to;
        boolean hadWorkspace = WORKSPACE.get() != null;
        // decoded here when no thread could start, its failure kept for the reader as a thread's would be
        Future<?> done = Threads.submitOrRun(POOL, () -> {
            for (int i = first; i < end; i++) {
                decode(i, targets[i - first]);
            }
            return null;
        });
        if (!hadWorkspace && WORKSPACE.get() != null) { // it was decoded here
            WORKSPACE.get().close(); // as a pool thread's at its end: this thread may live long (a training loop's)
            WORKSPACE.remove();
        }
        for (int i = from; i < to; i++) {
            pending.add(new Slot(done, targets[i - from], i == to - 1));
        }
        groupsAhead++;
        submitted = to;
    }

    /** Decodes chunk {@code i} into {@code target} (and writes it at its place, when chunks are written here). */
    private void decode(int i, byte[] target) throws IOException {
        ObjectId id = ids[i];
        int n = store.readChunk(id, target, verify, workspace(), atHand == null ? null : atHand[i]);
        if (writeTo != null) {
            if (n != lengths[i]) {
                throw new CorruptObjectException("chunk " + id.hex() + ": " + n + " bytes, its tensor lists " + lengths[i]);
            }
            crcs[i] = Crc32c.of(target, 0, n); // written before the future completes: seen by the reader after await
            ByteBuffer b = ByteBuffer.wrap(target, 0, n);
            for (long at = positions[i]; b.hasRemaining(); ) {
                at += writeTo.write(b, at);
            }
        }
    }

    /**
     * Drops the chunks decoded ahead (a decode in flight finishes into a buffer nobody reads, so
     * only the buffers no decode holds go back to the store). The array {@link #next} returned
     * last is no longer valid.
     */
    @Override
    public void close() {
        for (Slot slot : pending) {
            slot.done().cancel(false);
        }
        pending.clear();
        groupsAhead = 0;
        if (lent != null) {
            free.push(lent);
            lent = null;
        }
        for (byte[] a; (a = free.poll()) != null; ) {
            store.giveReadAheadArray(a);
        }
        submitted = ids.length;
    }

    private static CodecWorkspace workspace() {
        CodecWorkspace ws = WORKSPACE.get();
        if (ws == null) {
            ws = new CodecWorkspace();
            WORKSPACE.set(ws);
        }
        return ws;
    }

    private static ThreadPoolExecutor newPool() {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(THREADS, THREADS, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(() -> {
                try {
                    r.run();
                } finally {
                    CodecWorkspace ws = WORKSPACE.get();
                    if (ws != null) {
                        ws.close(); // idle threads end after 10 s: their zstd contexts and buffers go with them
                        WORKSPACE.remove();
                    }
                }
            }, "coral-decode-" + THREAD_COUNT.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }
}
