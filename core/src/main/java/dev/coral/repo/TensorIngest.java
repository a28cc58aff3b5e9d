package dev.coral.repo;

import dev.coral.codec.ChunkEncoder;
import dev.coral.error.BadInputException;
import dev.coral.format.HeapInputStream;
import dev.coral.format.TensorSource;
import dev.coral.similarity.SketchBuilder;
import dev.coral.store.ChunkSink;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectInserter;
import dev.coral.tensor.TensorSpec;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a tensor's byte stream into chunks on element boundaries and sends them to a
 * {@link ChunkSink} (which may encode them in parallel), then stores the tensor object. Memory
 * use is one chunk buffer here (two for a sink that takes each chunk ahead) plus the sink's
 * bounded ring, whatever the tensor's size. Not thread-safe.
 *
 * <p>Two phases, so that a whole file's chunks flow through the sink without waiting at tensor
 * boundaries: {@link #submit} every tensor, {@link ChunkSink#drain()} once, then
 * {@link Submitted#write}.
 */
public final class TensorIngest {
    private final ObjectInserter inserter;
    private final ChunkSink sink;
    private final int chunkBytes;

    public TensorIngest(ObjectInserter inserter, ChunkSink sink, int chunkBytes) {
        this.inserter = inserter;
        this.sink = sink;
        this.chunkBytes = chunkBytes;
    }

    /** One chunk at a time in the caller's thread. */
    public TensorIngest(ObjectInserter inserter, int chunkBytes) {
        this(inserter, inserter.newChunkSink(1), chunkBytes);
    }

    /** A tensor whose chunks were submitted; its ids are complete once the sink is drained. */
    public static final class Submitted {
        private final TensorSpec spec;
        private final ObjectId[] ids;
        private final long[] lengths;

        Submitted(TensorSpec spec, ObjectId[] ids, long[] lengths) {
            this.spec = spec;
            this.ids = ids;
            this.lengths = lengths;
        }

        /** The tensor object (call after the sink drained). */
        public TensorObject object() {
            List<ChunkRef> chunks = new ArrayList<>(ids.length);
            for (int i = 0; i < ids.length; i++) {
                if (ids[i] == null) {
                    throw new IllegalStateException("chunk " + i + " not stored yet: drain the sink first");
                }
                chunks.add(new ChunkRef(ids[i], lengths[i]));
            }
            return new TensorObject(spec, chunks);
        }

        /** Stores the tensor object; returns its id. */
        public ObjectId write(ObjectInserter inserter) throws IOException {
            return ObjectGraph.write(inserter, object());
        }
    }

    /**
     * Reads exactly {@code spec.byteSize()} bytes from {@code in} and submits them chunk by
     * chunk; chunk {@code i} may be stored as a delta against chunk {@code i} of {@code base}
     * (the previous version of the tensor, same dtype and size; null for none).
     *
     * @param what names the tensor in errors ("model.safetensors: tensor 'w'")
     * @throws BadInputException if the stream ends early
     */
    public Submitted submit(TensorSpec spec, InputStream in, String what, TensorObject base) throws IOException {
        return submit(spec, in, what, base, null);
    }

    /** As {@link #submit(TensorSpec, InputStream, String, TensorObject)}, also feeding every chunk to {@code sketch} (may be null). */
    public Submitted submit(TensorSpec spec, InputStream in, String what, TensorObject base, SketchBuilder sketch) throws IOException {
        return submit(spec, in, what, base, sketch, null);
    }

    /** The first chunk of a tensor still to come: its previous version and its length. */
    public record NextChunk(ObjectId previous, int length) {
    }

    /** The first chunk of a tensor of {@code spec} whose previous version is {@code base}; null if it has no delta base. */
    public NextChunk firstChunk(TensorSpec spec, TensorObject base) {
        int want = (int) Math.min(cut(spec), spec.byteSize());
        ObjectId previous = previousVersion(base, 0, want);
        return previous == null ? null : new NextChunk(previous, want);
    }

    private int cut(TensorSpec spec) {
        int align = spec.dtype().alignmentBytes();
        return Math.max(align, chunkBytes - chunkBytes % align);
    }

    /**
     * As {@link #submit(TensorSpec, InputStream, String, TensorObject, SketchBuilder)}; {@code after}
     * is the first chunk of the tensor submitted next (null if none or unknown), so that its delta
     * base can be decoded while this tensor's last chunk is encoded (most tensors of a model are
     * one chunk).
     */
    public Submitted submit(TensorSpec spec, InputStream in, String what, TensorObject base, SketchBuilder sketch, NextChunk after)
            throws IOException {
        long total = spec.byteSize();
        int cut = cut(spec);
        long count = total == 0 ? 0 : (total + cut - 1) / cut;
        if (count > Integer.MAX_VALUE - 8) {
            throw new BadInputException(what + ": " + total + " bytes make too many chunks of " + cut);
        }
        if (in instanceof HeapInputStream heap) { // bytes in memory: chunks are taken in place
            return submit(spec, heap, what, base, sketch, after, null, count, cut, null);
        }
        int largest = (int) Math.min(cut, total); // a small tensor needs no chunk-sized (zeroed) buffer
        byte[] buffer = inserter.borrowBuffer(largest);
        try {
            return submit(spec, in, what, base, sketch, after, buffer, count, cut, null);
        } finally {
            inserter.returnBuffer(buffer); // the sink is done with it: each chunk is taken in before submit returns
        }
    }

    /**
     * The chunks of {@code in} read into {@code buffer}, or, with no buffer, lent in place by a
     * {@link HeapInputStream}. {@code onlyChunkId}, when not null, is the SHA-256 of the tensor's
     * one chunk. A sink that {@link ChunkSink#takesUpcoming() takes the chunk ahead} gets each
     * chunk's bytes before the one before it is submitted: read into a second buffer, or lent.
     */
    private Submitted submit(TensorSpec spec, InputStream in, String what, TensorObject base, SketchBuilder sketch, NextChunk after,
                             byte[] buffer, long count, int cut, ObjectId onlyChunkId) throws IOException {
        long total = spec.byteSize();
        int width = ChunkEncoder.planeWidth(spec.dtype());
        ObjectId[] ids = new ObjectId[(int) count];
        long[] lengths = new long[(int) count];
        boolean ahead = count > 1 && sink.takesUpcoming();
        byte[] spare = ahead && buffer != null ? inserter.borrowBuffer(cut) : null;
        byte[] into = buffer; // the buffer holding the chunk read last (null: chunks lent in place)
        try {
            long done = 0;
            Slice current = count == 0 ? null : read(in, into, (int) Math.min(cut, total), 0, total, what);
            for (int i = 0; i < count; i++) {
                int want = current.length();
                Slice next = null;
                if (i + 1 < count && ahead) {
                    into = into == buffer ? spare : buffer; // the one this chunk is not in
                    next = read(in, into, (int) Math.min(cut, total - done - want), done + want, total, what);
                    sink.upcoming(next.array(), next.offset(), next.length(), width);
                }
                ObjectId previous = previousVersion(base, i, want);
                int nextWant = i + 1 < count ? (int) Math.min(cut, total - done - want) : after == null ? 0 : after.length();
                ObjectId nextPrevious = i + 1 < count ? previousVersion(base, i + 1, nextWant) : after == null ? null : after.previous();
                lengths[i] = want;
                if (sketch != null) {
                    sketch.update(done, current.array(), current.offset(), want);
                }
                sink.submit(current.array(), current.offset(), want, width, previous, ids, i, nextPrevious, nextWant,
                        count == 1 ? onlyChunkId : null);
                done += want;
                if (i + 1 < count) {
                    current = next != null ? next : read(in, into, nextWant, done, total, what);
                }
            }
        } finally {
            if (spare != null) {
                inserter.returnBuffer(spare);
            }
        }
        return new Submitted(spec, ids, lengths);
    }

    /** Bytes of a chunk: {@code array()[offset, offset + length)}. */
    private record Slice(byte[] array, int offset, int length) {
    }

    /**
     * The next {@code want} bytes of {@code in} ({@code done} of {@code total} read so far): read
     * into {@code buffer}, or, with no buffer, lent in place by a {@link HeapInputStream}.
     */
    private static Slice read(InputStream in, byte[] buffer, int want, long done, long total, String what) throws IOException {
        if (buffer == null) {
            HeapInputStream heap = (HeapInputStream) in;
            int left = heap.available();
            int at = heap.lend(want);
            if (at < 0) {
                throw new BadInputException(what + ": data ends after " + (done + left) + " of " + total + " bytes");
            }
            return new Slice(heap.array(), at, want);
        }
        int got = in.readNBytes(buffer, 0, want);
        if (got < want) {
            throw new BadInputException(what + ": data ends after " + (done + got) + " of " + total + " bytes");
        }
        return new Slice(buffer, 0, want);
    }

    /** A tensor submitted with a delta base found by similarity, and the plan that found it (to index the tensor by). */
    public record Planned(Submitted submitted, SimilarBases.Plan plan) {
    }

    /**
     * Submits {@code t}: against {@code base}, its previous version, when it has one (or when
     * {@code similar} is null), else as {@link #submitNew}.
     */
    public Planned submit(TensorSource t, String what, TensorObject base, SimilarBases similar, NextChunk after) throws IOException {
        if (base != null || similar == null) {
            try (InputStream in = t.openStream()) {
                return new Planned(submit(t.spec(), in, what, base, null, after), SimilarBases.NO_PLAN);
            }
        }
        return submitNew(t, what, similar, after);
    }

    /**
     * Submits a tensor that has no previous version, delta-encoded against the most similar
     * stored tensor, if any ({@link SimilarBases#plan}). A tensor of one chunk is read once, into
     * memory: when a chunk of exactly its bytes is stored already (a copy of a stored tensor, a
     * renamed one, a frozen layer of a fine-tune), its chunk will be deduplicated, so no sketch is
     * taken and no base looked up; else the sketch is taken from those bytes. Measured on the
     * perf dedup scenario's 11 files (352 tensors of 0.1 MB, 192 of them copies): the sketches
     * were a quarter of {@code add}, and a second read of every tensor.
     */
    public Planned submitNew(TensorSource t, String what, SimilarBases similar, NextChunk after) throws IOException {
        TensorSpec spec = t.spec();
        long total = spec.byteSize();
        if (!similar.mayHaveBase(spec) || total > cut(spec)) {
            SimilarBases.Plan plan;
            try {
                plan = similar.plan(spec, t::openStream);
            } catch (EOFException e) {
                throw new BadInputException(what + ": " + e.getMessage());
            }
            try (InputStream in = t.openStream()) {
                return new Planned(submit(spec, in, what, plan.base(), plan.builder(), after), plan);
            }
        }
        int len = (int) total;
        byte[] bytes = inserter.borrowBuffer(len);
        try {
            try (InputStream in = t.openStream()) {
                int got = in.readNBytes(bytes, 0, len);
                if (got < len) {
                    throw new BadInputException(what + ": data ends after " + got + " of " + total + " bytes");
                }
            }
            ObjectId id = ObjectId.hashOf(bytes, 0, len);
            SimilarBases.Plan plan = inserter.contains(id) ? SimilarBases.NO_PLAN : similar.plan(spec, bytes, len);
            // the sink takes the id rather than hashing the chunk again
            Submitted s = submit(spec, new HeapInputStream(bytes, 0, len), what, plan.base(), null, after, null, len == 0 ? 0 : 1, cut(spec), id);
            return new Planned(s, plan);
        } finally {
            inserter.returnBuffer(bytes); // the sink copied what it keeps: each chunk is taken in before submit returns
        }
    }

    /** Chunk {@code i} of {@code base} if it has {@code length} bytes (a delta base candidate); else null. */
    private static ObjectId previousVersion(TensorObject base, int i, int length) {
        return base != null && i < base.chunks().size() && base.chunks().get(i).rawLength() == length ? base.chunks().get(i).id() : null;
    }

    /**
     * Stores a file's tensors (names distinct), in order: each against its previous version in
     * {@code bases}, a tensor with none against a similar stored tensor found in {@code similar}
     * (null: none), which then indexes it. While one tensor is submitted, the first chunk of the
     * next one's base is read ahead. Submits them all, drains the sink once, then writes the
     * tensor objects; returns them named as in {@code tensors}.
     */
    public List<FileEntry.NamedTensor> storeAll(List<? extends TensorSource> tensors, String displayPath, DeltaBases bases,
                                                SimilarBases similar) throws IOException {
        List<Planned> planned = new ArrayList<>();
        List<TensorObject> directBases = bases.basesFor(tensors);
        for (int k = 0; k < tensors.size(); k++) {
            TensorSource t = tensors.get(k);
            NextChunk after = k + 1 < tensors.size() ? firstChunk(tensors.get(k + 1).spec(), directBases.get(k + 1)) : null;
            planned.add(submit(t, displayPath + ": tensor '" + t.name() + "'", directBases.get(k), similar, after));
        }
        sink.drain();
        List<FileEntry.NamedTensor> named = new ArrayList<>();
        for (int i = 0; i < tensors.size(); i++) {
            ObjectId id = planned.get(i).submitted().write(inserter);
            named.add(new FileEntry.NamedTensor(tensors.get(i).name(), id));
            if (similar != null) {
                similar.add(id, planned.get(i).plan());
            }
        }
        return named;
    }

    /** Submits, drains and stores one tensor; returns the tensor object's id. */
    public ObjectId ingest(TensorSpec spec, InputStream in, String what, TensorObject base) throws IOException {
        Submitted s = submit(spec, in, what, base);
        sink.drain();
        return s.write(inserter);
    }

    public ObjectId ingest(TensorSpec spec, InputStream in, String what) throws IOException {
        return ingest(spec, in, what, null);
    }

    TensorObject ingestObject(TensorSpec spec, InputStream in, String what, TensorObject base) throws IOException {
        Submitted s = submit(spec, in, what, base);
        sink.drain();
        return s.object();
    }
}
