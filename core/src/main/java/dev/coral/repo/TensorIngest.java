package dev.coral.repo;

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
        return ObjectGraph.write(inserter, ingestObject(spec, in, what));
    }

    TensorObject ingestObject(TensorSpec spec, InputStream in, String what) throws IOException {
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
            chunks.add(new ChunkRef(inserter.insertChunk(buffer, 0, want), want));
            done += want;
        }
        return new TensorObject(spec, chunks);
    }
}
