package dev.coral.repo;

import dev.coral.format.WeightFileFormat;
import dev.coral.format.WeightFormats;
import dev.coral.error.CorruptObjectException;
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

/**
 * Turns a staged file entry into its lossy version for {@code commit --lossy=EPS}: every float
 * tensor that has a previous version of the same dtype and size is quantized against it
 * ({@link LossyQuantizer}) and stored as a delta; the entry records the bound and the SHA-256 of
 * the file its checkout will write. Not thread-safe.
 */
public final class LossyRewrite {
    private final ObjectGraph graph;
    private final ObjectInserter inserter;
    private final ChunkSink sink;
    private final int chunkBytes;

    public LossyRewrite(ObjectGraph graph, ObjectInserter inserter, ChunkSink sink, int chunkBytes) {
        this.graph = graph;
        this.inserter = inserter;
        this.sink = sink;
        this.chunkBytes = chunkBytes;
    }

    /** The lossy entry for {@code staged} against {@code previous} (its version in the parent commit); its id. */
    public ObjectId rewrite(FileEntry staged, ObjectId previous, String eps, String displayPath) throws IOException {
        double bound = Double.parseDouble(eps);
        DeltaBases bases = DeltaBases.forLossy(graph, previous);
        FileRestore restore = new FileRestore(graph);
        List<StoredTensor> current = restore.tensors(staged);
        TensorIngest ingest = new TensorIngest(inserter, sink, chunkBytes);
        List<TensorIngest.Submitted> submitted = new ArrayList<>();
        List<ObjectId> unchanged = new ArrayList<>();
        for (StoredTensor t : current) {
            TensorObject base = bases.baseFor(t.name(), t.spec());
            if (base == null || !LossyQuantizer.quantizes(t.spec().dtype())) {
                submitted.add(null);
                unchanged.add(t.id());
                continue;
            }
            StoredTensor baseTensor = new StoredTensor(t.name(), null, base, graph.store());
            try (InputStream in = new LossyQuantizer(t.openStream(), baseTensor.openStream(), t.spec().dtype(), bound)) {
                submitted.add(ingest.submit(t.spec(), in, displayPath + ": tensor '" + t.name() + "'", base));
                unchanged.add(null);
            }
        }
        sink.drain();
        List<FileEntry.NamedTensor> named = new ArrayList<>();
        for (int i = 0; i < current.size(); i++) {
            ObjectId id = submitted.get(i) == null ? unchanged.get(i) : submitted.get(i).write(inserter);
            named.add(new FileEntry.NamedTensor(current.get(i).name(), id));
        }
        inserter.flush(); // the new tensors must be readable to hash the file they restore to
        FileEntry draft = new FileEntry(staged.format(), 0, new byte[32], staged.restoreInfo(), staged.metadata(), named, eps, -1);
        WeightFileFormat format = WeightFormats.byName(staged.format())
                .orElseThrow(() -> new CorruptObjectException(displayPath + ": unknown format " + staged.format()));
        MessageDigest md = ObjectId.sha256();
        CountingOutputStream counter = new CountingOutputStream(OutputStream.nullOutputStream());
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        try (OutputStream out = new java.util.zip.CheckedOutputStream(new DigestOutputStream(counter, md), crc)) {
            format.restore(draft.restoreInfo(), restore.tensors(draft), out);
        }
        FileEntry lossy = new FileEntry(staged.format(), counter.count, md.digest(), staged.restoreInfo(),
                staged.metadata(), named, eps, crc.getValue());
        return ObjectGraph.write(inserter, lossy);
    }
}
