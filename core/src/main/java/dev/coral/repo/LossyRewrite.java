package dev.coral.repo;

import dev.coral.error.CorruptObjectException;
import dev.coral.format.TensorSource;
import dev.coral.format.WeightFileFormat;
import dev.coral.format.WeightFormats;
import dev.coral.store.ChunkSink;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectInserter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Stores the lossy version of a file for {@code commit --lossy=EPS}: every float tensor that has
 * a previous version of the same dtype and size is quantized against it ({@link LossyQuantizer})
 * and stored as a delta; the entry records the bound and the SHA-256 of the file its checkout
 * will write. Either from a staged (lossless) entry ({@link #rewrite}), or straight from the
 * tensors of a file or of memory ({@link #store}), which then never stores a lossless copy of
 * the tensors it quantizes. Not thread-safe.
 */
public final class LossyRewrite {
    private final ObjectGraph graph;
    private final ObjectInserter inserter;
    private final ChunkSink sink;
    private final TensorIngest ingest;

    public LossyRewrite(ObjectGraph graph, ObjectInserter inserter, ChunkSink sink, int chunkBytes) {
        this.graph = graph;
        this.inserter = inserter;
        this.sink = sink;
        this.ingest = new TensorIngest(inserter, sink, chunkBytes);
    }

    ObjectGraph graph() {
        return graph;
    }

    /** The lossy entry for {@code staged} against {@code previous} (its version in the parent commit); its id. */
    public ObjectId rewrite(FileEntry staged, ObjectId previous, String eps, String displayPath) throws IOException {
        List<StoredTensor> current = new FileRestore(graph).tensors(staged);
        return store(staged.format(), staged.restoreInfo(), staged.metadata(), current, previous, eps, displayPath, null);
    }

    /**
     * The lossy entry of a file of {@code format} holding {@code tensors} (in file order), quantized
     * against {@code previous} (the file's version in the parent commit); its id.
     */
    public ObjectId store(String format, byte[] restoreInfo, Map<String, String> metadata, List<? extends TensorSource> tensors,
                          ObjectId previous, String eps, String displayPath, SimilarBases similar) throws IOException {
        List<FileEntry.NamedTensor> named = storeTensors(tensors, previous, eps, displayPath, similar);
        return writeEntry(format, restoreInfo, metadata, named, eps, displayPath);
    }

    /**
     * Stores {@code tensors}, each float tensor that has a previous version in {@code previous}
     * (of its dtype and size) quantized against it. A tensor that is not quantized is kept as it
     * is stored when it is a {@link StoredTensor}, else stored losslessly: against its previous
     * version when that version is lossless, else against a similar stored tensor found in
     * {@code similar} (null: none), which then indexes it. Returns them named, in order.
     */
    public List<FileEntry.NamedTensor> storeTensors(List<? extends TensorSource> tensors, ObjectId previous, String eps,
                                                    String displayPath, SimilarBases similar) throws IOException {
        double bound = Double.parseDouble(eps);
        DeltaBases quantizeAgainst = DeltaBases.forLossy(graph, previous);
        DeltaBases losslessBases = DeltaBases.from(graph, previous);
        List<TensorIngest.Submitted> submitted = new ArrayList<>();
        List<SimilarBases.Plan> plans = new ArrayList<>();
        for (TensorSource t : tensors) {
            String what = displayPath + ": tensor '" + t.name() + "'";
            TensorObject base = quantizeAgainst.baseFor(t.name(), t.spec());
            SimilarBases.Plan plan = SimilarBases.NO_PLAN;
            TensorIngest.Submitted s = null;
            if (base != null && LossyQuantizer.quantizes(t.spec().dtype())) {
                StoredTensor baseTensor = new StoredTensor(t.name(), null, base, graph.store());
                try (InputStream in = new LossyQuantizer(t.openStream(), baseTensor.openStream(), t.spec().dtype(), bound)) {
                    s = ingest.submit(t.spec(), in, what, base);
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
        for (int i = 0; i < tensors.size(); i++) {
            TensorSource t = tensors.get(i);
            ObjectId id = submitted.get(i) == null ? ((StoredTensor) t).id() : submitted.get(i).write(inserter);
            named.add(new FileEntry.NamedTensor(t.name(), id));
            if (similar != null && submitted.get(i) != null) {
                similar.add(id, plans.get(i));
            }
        }
        return named;
    }

    /**
     * Writes the lossy entry naming {@code named} (stored through this rewrite's inserter, which
     * it flushes first: the file they restore to is hashed from them) and returns its id.
     */
    public ObjectId writeEntry(String format, byte[] restoreInfo, Map<String, String> metadata, List<FileEntry.NamedTensor> named,
                               String eps, String displayPath) throws IOException {
        inserter.flush();
        return ObjectGraph.write(inserter, entry(format, restoreInfo, metadata, named, eps, displayPath));
    }

    /** The lossy entry naming {@code named}, with the size and checksums of the file they restore to. */
    private FileEntry entry(String format, byte[] restoreInfo, Map<String, String> metadata, List<FileEntry.NamedTensor> named,
                            String eps, String displayPath) throws IOException {
        FileEntry draft = new FileEntry(format, 0, new byte[32], restoreInfo, metadata, named, eps, -1);
        WeightFileFormat writer = WeightFormats.byName(format)
                .orElseThrow(() -> new CorruptObjectException(displayPath + ": unknown format " + format));
        MessageDigest md = ObjectId.sha256();
        CountingOutputStream counter = new CountingOutputStream(OutputStream.nullOutputStream());
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        try (OutputStream out = new java.util.zip.CheckedOutputStream(new DigestOutputStream(counter, md), crc)) {
            writer.restore(restoreInfo, new FileRestore(graph).tensors(draft), out);
        }
        return new FileEntry(format, counter.count, md.digest(), restoreInfo, metadata, named, eps, crc.getValue());
    }
}
