package dev.coral.store;

import com.lmax.disruptor.SleepingWaitStrategy;
import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import dev.coral.io.Futures;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The parallel ingest pipeline on the LMAX Disruptor: the caller reads and publishes chunks into
 * a ring of reusable buffers; {@code workers} handlers hash, look up and encode them in parallel
 * (each takes the sequences equal to its ordinal modulo the worker count); one writer appends
 * them to the pack in order. A full ring blocks the caller, so memory stays bounded (ring size ×
 * chunk size, plus each worker's buffers) whatever the model size.
 */
public final class ChunkPipeline implements ChunkSink {
    private static final AtomicInteger POOL = new AtomicInteger();

    private final Disruptor<Slot> disruptor;
    private final RingBuffer<Slot> ring;
    private final ChunkEncodingJob[] jobs;
    private final ObjectStore store;
    private final ObjectInserter inserter;
    private final Object progress = new Object();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private long published;
    private volatile long appended;
    private boolean closed;

    /** One ring entry: the chunk to store and, once encoded, what to append. */
    static final class Slot {
        byte[] raw = new byte[0];
        int len;
        int width;
        ObjectId previous;
        /** The chunk's id when the caller hashed it, else null. */
        ObjectId id;
        ObjectId[] ids;
        int index;
        /** The encoded payload's body, copied out of the worker's workspace (kept for the slot's next chunk). */
        byte[] body = new byte[0];
        ChunkEncodingJob.Encoded encoded;
        Throwable error;
    }

    ChunkPipeline(ObjectInserter inserter, ObjectStore store, int zstdLevel, ChainShape chains, boolean contextCoding, boolean pairAligned,
                  boolean zigzagDeltas, int workers) {
        this.inserter = inserter;
        this.store = store;
        int ringSize = Integer.highestOneBit(Math.max(4, workers * 2 + 2) * 2 - 1);
        int pool = POOL.incrementAndGet();
        AtomicInteger threads = new AtomicInteger();
        // Sleeping, not Blocking: BlockingWaitStrategy parks only while waiting for the producer
        // and busy-spins while waiting for the stage before (the writer for the encoders, for a
        // whole chunk's encoding), so one core spun while the others encoded. Measured with 2
        // workers on 2 cores: 84 MB commits through one handle used 24 s of CPU for 15 s with
        // one worker, now 18.5 s; the perf dedup scenario added 167 -> 227 tensors/s and its
        // 64-byte tensors 9,286 -> 18,606/s; 2 workers over 1 went from 0.72-0.86x to 0.99x.
        this.disruptor = new Disruptor<>(Slot::new, ringSize, r -> {
            Thread t = new Thread(r, "coral-ingest-" + pool + "-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        }, ProducerType.SINGLE, new SleepingWaitStrategy());
        this.jobs = new ChunkEncodingJob[workers];
        @SuppressWarnings("unchecked")
        EventHandler<Slot>[] encoders = new EventHandler[workers];
        for (int w = 0; w < workers; w++) {
            ChunkEncodingJob job = store.borrowJob(zstdLevel, chains, contextCoding, pairAligned);
            job.setZigzagDeltas(zigzagDeltas);
            jobs[w] = job;
            int ordinal = w;
            encoders[w] = (slot, sequence, endOfBatch) -> {
                if (sequence % workers == ordinal) {
                    try {
                        slot.encoded = ownBody(slot, job.encode(slot.raw, 0, slot.len, slot.width, slot.previous, null, 0, slot.id, true));
                    } catch (Throwable e) {
                        slot.error = e;
                    }
                }
            };
        }
        EventHandler<Slot> writer = (slot, sequence, endOfBatch) -> {
            try {
                if (slot.error != null) {
                    failure.compareAndSet(null, slot.error);
                } else if (failure.get() == null) {
                    slot.ids[slot.index] = inserter.append(slot.encoded);
                }
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            } finally {
                slot.encoded = null;
                slot.error = null;
                slot.ids = null;
                synchronized (progress) {
                    appended = sequence + 1;
                    progress.notifyAll();
                }
            }
        };
        disruptor.setDefaultExceptionHandler(new ExceptionHandler<>() {
            @Override
            public void handleEventException(Throwable ex, long sequence, Slot event) {
                failure.compareAndSet(null, ex);
            }

            @Override
            public void handleOnStartException(Throwable ex) {
                failure.compareAndSet(null, ex);
            }

            @Override
            public void handleOnShutdownException(Throwable ex) {
                failure.compareAndSet(null, ex);
            }
        });
        disruptor.handleEventsWith(encoders).then(writer);
        RingBuffer<Slot> started;
        try {
            started = disruptor.start();
        } catch (OutOfMemoryError | RuntimeException e) {
            // a thread could not start (ulimit -u): the ones that did would wait on the ring for ever
            disruptor.halt();
            for (ChunkEncodingJob j : jobs) {
                store.returnJob(j);
            }
            throw e;
        }
        this.ring = started;
    }

    /**
     * The encoded chunk with its body copied into the slot's own array: the worker's workspace
     * holds it only until the worker's next chunk, and the writer appends it later.
     */
    private ChunkEncodingJob.Encoded ownBody(Slot slot, ChunkEncodingJob.Encoded e) {
        if (e.alreadyStored()) {
            return e;
        }
        if (slot.body.length < e.bodyLength()) {
            slot.body = store.takeSpareArray(e.bodyLength(), slot.len + (slot.len >>> 6) + 1024); // room for a raw chunk's frame
        }
        System.arraycopy(e.body(), 0, slot.body, 0, e.bodyLength());
        return new ChunkEncodingJob.Encoded(e.id(), e.rawLength(), e.form(), e.prefix(), slot.body, e.bodyLength());
    }

    @Override
    public void submit(byte[] raw, int off, int len, int elementWidth, ObjectId previous, ObjectId[] ids, int index, ObjectId nextPrevious,
                       int nextLength, ObjectId id) throws IOException {
        rethrow();
        long seq = ring.next();
        Slot s = ring.get(seq);
        if (s.raw.length < len) {
            s.raw = store.takeSpareArray(len, len);
        }
        System.arraycopy(raw, off, s.raw, 0, len);
        s.len = len;
        s.width = elementWidth;
        s.previous = previous;
        s.id = id;
        s.ids = ids;
        s.index = index;
        ring.publish(seq);
        published = seq + 1;
    }

    @Override
    public void drain() throws IOException {
        synchronized (progress) {
            while (appended < published) {
                try {
                    progress.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while storing chunks");
                }
            }
        }
        rethrow();
    }

    private void rethrow() throws IOException {
        Futures.rethrow(failure.get(), "storing chunks");
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            disruptor.shutdown();
            for (int i = 0; i < ring.getBufferSize(); i++) { // the next pipeline's (a training loop commits again)
                Slot slot = ring.get(i);
                store.giveSpareArray(slot.raw);
                store.giveSpareArray(slot.body);
                slot.raw = slot.body = new byte[0];
            }
        } finally {
            for (ChunkEncodingJob j : jobs) {
                store.returnJob(j);
            }
        }
    }
}
