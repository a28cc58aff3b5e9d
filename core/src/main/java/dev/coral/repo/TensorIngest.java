package dev.coral.repo;

import dev.coral.codec.ChunkEncoder;
import dev.coral.error.BadInputException;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectInserter;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a tensor's byte stream into chunks on element boundaries and stores them, then stores the
 * tensor object. Memory use is one chunk buffer, whatever the tensor's size. Not thread-safe.
 */
public final class TensorIngest {
    private final ObjectInserter inserter;
    private final int chunkBytes;
    private byte[] buffer;

    public TensorIngest(ObjectInserter inserter, int chunkBytes) {
        this.inserter = inserter;
        this.chunkBytes = chunkBytes;
    }

    /**
     * Reads exactly {@code spec.byteSize()} bytes from {@code in} and stores them.
     *
     * @param what names the tensor in errors ("model.safetensors: tensor 'w'")
     * @throws BadInputException if the stream ends early
     */
    public ObjectId ingest(TensorSpec spec, InputStream in, String what) throws IOException {
        return ObjectGraph.write(inserter, ingestObject(spec, in, what, null));
    }

    /**
     * As {@link #ingest(TensorSpec, InputStream, String)}; chunk {@code i} may be stored as a
     * delta against chunk {@code i} of {@code base} (the previous version of the tensor, same
     * dtype and size; null for none).
     */
    public ObjectId ingest(TensorSpec spec, InputStream in, String what, TensorObject base) throws IOException {
        return ObjectGraph.write(inserter, ingestObject(spec, in, what, base));
    }

    TensorObject ingestObject(TensorSpec spec, InputStream in, String what, TensorObject base) throws IOException {
        int width = ChunkEncoder.planeWidth(spec.dtype());
        long total = spec.byteSize();
        int align = spec.dtype().alignmentBytes();
        int cut = Math.max(align, chunkBytes - chunkBytes % align);
        if (buffer == null || buffer.length < cut) {
            buffer = new byte[cut];
        }
        List<ChunkRef> chunks = new ArrayList<>();
        long done = 0;
        while (done < total) {
            int want = (int) Math.min(cut, total - done);
            int got = in.readNBytes(buffer, 0, want);
            if (got < want) {
                throw new BadInputException(what + ": data ends after " + (done + got) + " of " + total + " bytes");
            }
            int i = chunks.size();
            ObjectId baseId = base != null && i < base.chunks().size() && base.chunks().get(i).rawLength() == want
                    ? base.chunks().get(i).id() : null;
            chunks.add(new ChunkRef(inserter.insertChunk(buffer, 0, want, width, baseId), want));
            done += want;
        }
        return new TensorObject(spec, chunks);
    }
}
