package dev.coral.repo;

import dev.coral.error.CorruptObjectException;
import dev.coral.error.MissingObjectException;
import dev.coral.format.TensorSource;
import dev.coral.format.WeightFileFormat;
import dev.coral.format.WeightFormats;
import dev.coral.io.CountingOutputStream;
import dev.coral.store.ChunkSink;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectInserter;
import dev.coral.store.ObjectStore;
import dev.coral.tensor.FloatElements;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Stores the lossy version of a file for {@code commit --lossy=EPS}: every float tensor that has
 * a previous version of the same dtype and size is quantized against it ({@link LossyQuantizer})
 * and stored as a delta; the entry records the bound and the SHA-256 of the file its checkout
 * will write. Either from a staged (lossless) entry ({@link #rewrite}), or straight from the
 * tensors of a file or of memory ({@link #storeTensors}, then {@link #entryFor}), which then never
 * stores a lossless copy of the tensors it quantizes. Not thread-safe.
 */
public final class LossyRewrite {
    private final ObjectGraph graph;
    private final ObjectInserter inserter;
    private final ChunkSink sink;
    private final TensorIngest ingest;
    /** Lossy entries {@link #writeEntry} wrote: entries where a tensor was quantized. */
    private int lossyEntries;

    public LossyRewrite(ObjectGraph graph, ObjectInserter inserter, ChunkSink sink, int chunkBytes) {
        this.graph = graph;
        this.inserter = inserter;
        this.sink = sink;
        this.ingest = new TensorIngest(inserter, sink, chunkBytes);
    }

    /**
     * Whether this rewrite wrote a lossy entry: one where a tensor was quantized (a file that
     * changed only in integer tensors, or whose float tensors changed dtype or size, is stored
     * bit-exact).
     */
    public boolean wroteLossy() {
        return lossyEntries > 0;
    }

    /** The entry for {@code staged} against {@code previous} (its version in the parent commit); its id. */
    public ObjectId rewrite(FileEntry staged, ObjectId previous, String eps, String displayPath) throws IOException {
        List<StoredTensor> current = new FileRestore(graph).tensors(staged);
        Stored stored = storeTensors(current, previous, eps, displayPath, null);
        return writeEntry(staged.format(), staged.restoreInfo(), staged.metadata(), stored, eps, displayPath);
    }

    /**
     * The entry of a file whose tensors {@link #storeTensors} stored against {@code previous} (the
     * file's entry in the parent commit), the file's SHA-256 being {@code fileSha256}:
     * {@code previous} itself when it records that file (its tensors quantized to themselves, every
     * chunk deduplicated), as a lossy commit leaves unchanged files as they were; else the lossy
     * entry ({@link #writeEntry}). Its id.
     */
    public ObjectId entryFor(ObjectId previous, byte[] fileSha256, String format, byte[] restoreInfo, Map<String, String> metadata,
                             Stored stored, String eps, String displayPath) throws IOException {
        if (Arrays.equals(fileSha256, graph.file(previous).fileSha256())) {
            return previous;
        }
        return writeEntry(format, restoreInfo, metadata, stored, eps, displayPath);
    }

    /**
     * Tensors stored by {@link #storeTensors}, named in file order, each one's content as a
     * source (the tensor object in memory for those it stored, read back from the recent chunks
     * while its pack is not flushed; the stored tensor for those it kept), and how many it
     * quantized: with none, the file is stored bit-exact and its entry is not lossy.
     */
    public record Stored(List<FileEntry.NamedTensor> named, List<TensorSource> contents, int quantized) {
    }

    /**
     * Stores {@code tensors}, each float tensor that has a previous version in {@code previous}
     * (of its dtype and size) quantized against it. A tensor that is not quantized is kept as it
     * is stored when it is a {@link StoredTensor}, else stored losslessly: against its previous
     * version when that version is lossless, else against a similar stored tensor found in
     * {@code similar} (null: none), which then indexes it.
     */
    public Stored storeTensors(List<? extends TensorSource> tensors, ObjectId previous, String eps, String displayPath,
                               SimilarBases similar) throws IOException {
        double bound = Double.parseDouble(eps);
        DeltaBases quantizeAgainst = DeltaBases.forLossy(graph, previous);
        DeltaBases losslessBases = DeltaBases.from(graph, previous);
        List<TensorIngest.Submitted> submitted = new ArrayList<>();
        List<SimilarBases.Plan> plans = new ArrayList<>();
        int quantized = 0;
        for (TensorSource t : tensors) {
            String what = displayPath + ": tensor '" + t.name() + "'";
            TensorObject base = quantizeAgainst.baseFor(t.name(), t.spec());
            SimilarBases.Plan plan = SimilarBases.NO_PLAN;
            TensorIngest.Submitted s = null;
            if (base != null && FloatElements.handles(t.spec().dtype())) {
                StoredTensor baseTensor = new StoredTensor(t.name(), null, base, graph.store());
                LossyQuantizer q = new LossyQuantizer(t.openStream(), baseTensor.openStream(), t.spec().dtype(), bound);
                try (InputStream in = q) {
                    s = ingest.submit(t.spec(), in, what, base);
                }
                if (q.changedAny()) { // an unchanged tensor, or one whose values all are the quantizer's already, stays exact
                    quantized++;
                }
            } else if (!(t instanceof StoredTensor)) {
                TensorIngest.Planned p = ingest.submit(t, what, losslessBases.baseFor(t.name(), t.spec()), similar, null);
                s = p.submitted();
                plan = p.plan();
            }
            submitted.add(s);
            plans.add(plan);
        }
        sink.drain();
        List<FileEntry.NamedTensor> named = new ArrayList<>();
        List<TensorSource> contents = new ArrayList<>();
        for (int i = 0; i < tensors.size(); i++) {
            TensorSource t = tensors.get(i);
            TensorIngest.Submitted s = submitted.get(i);
            ObjectId id = s == null ? ((StoredTensor) t).id() : s.write(inserter);
            named.add(new FileEntry.NamedTensor(t.name(), id));
            contents.add(s == null ? t : new Unflushed(t.name(), s.object(), graph.store()));
            if (similar != null && s != null) {
                similar.add(id, plans.get(i));
            }
        }
        return new Stored(named, contents, quantized);
    }

    /** A chunk of this rewrite's unflushed pack that the recent chunks no longer hold. */
    private static final class NotHeld extends IOException {
        NotHeld(ObjectId chunk) {
            super("chunk " + chunk.hex() + " is neither flushed nor held in memory");
        }
    }

    /**
     * A tensor just stored, read chunk by chunk from the store's recent chunks (where its new
     * chunks are until the pack is flushed), else from the packs (chunks stored before);
     * {@link NotHeld} when a chunk is in neither.
     */
    private record Unflushed(String name, TensorObject tensor, ObjectStore store) implements TensorSource {
        @Override
        public TensorSpec spec() {
            return tensor.spec();
        }

        @Override
        public InputStream openStream() {
            return new java.io.SequenceInputStream(java.util.Collections.enumeration(tensor.chunks().stream()
                    .map(c -> (InputStream) new LazyChunk(c, store)).toList()));
        }
    }

    /** One chunk's bytes, read when first asked for. */
    private static final class LazyChunk extends InputStream {
        private final ChunkRef ref;
        private final ObjectStore store;
        private java.io.ByteArrayInputStream bytes;

        LazyChunk(ChunkRef ref, ObjectStore store) {
            this.ref = ref;
            this.store = store;
        }

        private java.io.ByteArrayInputStream bytes() throws IOException {
            if (bytes == null) {
                byte[] b = new byte[(int) ref.rawLength()];
                if (!store.readRecentChunk(ref.id(), b)) {
                    try {
                        store.readChunk(ref.id(), b, false);
                    } catch (MissingObjectException e) {
                        throw new NotHeld(ref.id());
                    }
                }
                bytes = new java.io.ByteArrayInputStream(b);
            }
            return bytes;
        }

        @Override
        public int read() throws IOException {
            return bytes().read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return bytes().read(b, off, len);
        }
    }

    /**
     * Writes the entry naming {@code stored}'s tensors (through this rewrite's inserter), lossy
     * within {@code eps} when a tensor was quantized, else lossless (a file of integers only, or
     * whose float tensors changed dtype or size: nothing to quantize against), and returns its id. The file they restore to is hashed from the new chunks held in memory; when
     * one is no longer held (a checkpoint larger than the recent chunks' budget, a process that had
     * not committed before), the inserter is flushed and the file hashed from the packs. Measured:
     * flushing every time cost a second pack per lossy commit (its fsyncs, its index).
     */
    private ObjectId writeEntry(String format, byte[] restoreInfo, Map<String, String> metadata, Stored stored, String lossyEps,
                               String displayPath) throws IOException {
        String eps = stored.quantized() > 0 ? lossyEps : "";
        if (!eps.isEmpty()) {
            lossyEntries++;
            // an npz restored byte for byte keeps the CRCs of the values read: quantized ones need a zip of their own
            restoreInfo = writer(format, displayPath).forOtherValues(restoreInfo);
        }
        FileEntry entry;
        try {
            entry = entry(format, restoreInfo, metadata, stored.named(), stored.contents(), eps, displayPath);
        } catch (NotHeld e) {
            inserter.flush();
            FileEntry draft = new FileEntry(format, 0, new byte[32], restoreInfo, metadata, stored.named(), eps, -1);
            entry = entry(format, restoreInfo, metadata, stored.named(), new FileRestore(graph).tensors(draft), eps, displayPath);
        }
        return ObjectGraph.write(inserter, entry);
    }

    /** The lossy entry naming {@code named}, with the size and checksums of the file {@code contents} restore to. */
    private static FileEntry entry(String format, byte[] restoreInfo, Map<String, String> metadata, List<FileEntry.NamedTensor> named,
                                   List<? extends TensorSource> contents, String eps, String displayPath) throws IOException {
        WeightFileFormat writer = writer(format, displayPath);
        MessageDigest md = ObjectId.sha256();
        CountingOutputStream counter = new CountingOutputStream(OutputStream.nullOutputStream());
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        try (OutputStream out = new java.util.zip.CheckedOutputStream(new DigestOutputStream(counter, md), crc)) {
            writer.restore(restoreInfo, contents, out);
        }
        return new FileEntry(format, counter.count(), md.digest(), restoreInfo, metadata, named, eps, crc.getValue());
    }

    private static WeightFileFormat writer(String format, String displayPath) throws CorruptObjectException {
        return WeightFormats.byName(format).orElseThrow(() -> new CorruptObjectException(displayPath + ": unknown format " + format));
    }
}
