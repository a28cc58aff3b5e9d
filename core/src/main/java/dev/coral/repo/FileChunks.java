package dev.coral.repo;

import dev.coral.error.CorruptObjectException;
import dev.coral.io.CheckedFileOutput;
import dev.coral.store.ChunkReadAhead;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectStore;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/**
 * The chunks of all the tensors of a file, in file order, for a file that is a head followed by
 * every tensor's bytes as stored ({@link dev.coral.format.WeightFileFormat#headBeforeTensors}):
 * read ahead on the decoder threads across tensor boundaries, so that a file of small tensors
 * (one chunk each, which a tensor's own stream decodes on the reading thread) is decoded on every
 * core too.
 */
final class FileChunks {
    private final ObjectStore store;
    private final ObjectId[] ids;
    private final int[] lengths;
    private final boolean verify;

    private FileChunks(ObjectStore store, ObjectId[] ids, int[] lengths, boolean verify) {
        this.store = store;
        this.ids = ids;
        this.lengths = lengths;
        this.verify = verify;
    }

    /**
     * The chunks of {@code tensors} (read with their SHA-256 checked if any tensor checks it),
     * each tensor's chunks checked to hold exactly its bytes.
     */
    static FileChunks of(ObjectStore store, List<StoredTensor> tensors, String displayPath) throws CorruptObjectException {
        int n = 0;
        boolean verify = false;
        for (StoredTensor t : tensors) {
            n += t.object().chunks().size();
            verify |= t.verifies();
        }
        ObjectId[] ids = new ObjectId[n];
        int[] lengths = new int[n];
        int i = 0;
        for (StoredTensor t : tensors) {
            long bytes = 0;
            for (ChunkRef c : t.object().chunks()) {
                ids[i] = c.id();
                lengths[i++] = (int) c.rawLength();
                bytes += c.rawLength();
            }
            if (bytes != t.spec().byteSize()) {
                throw new CorruptObjectException(displayPath + ": tensor '" + t.name() + "' has chunks of " + bytes + " bytes for its "
                        + t.spec().byteSize());
            }
        }
        return new FileChunks(store, ids, lengths, verify);
    }

    /** Whether reading them ahead on the decoder threads can pay: several chunks and cores. */
    boolean paysAhead() {
        return ChunkReadAhead.pays(ids.length);
    }

    /** Writes every chunk to {@code out} in order, decoded ahead. */
    void writeTo(OutputStream out) throws IOException {
        try (ChunkReadAhead ahead = new ChunkReadAhead(store, ids, lengths, verify)) {
            for (int len : lengths) {
                out.write(ahead.next(), 0, len);
            }
        }
    }

    /**
     * Has every chunk written at its place after what {@code out} holds, each by the decoder
     * thread that decoded it, with its CRC32C taken there and combined into {@code out}'s.
     */
    void writeAt(CheckedFileOutput out) throws IOException {
        try (ChunkReadAhead ahead = new ChunkReadAhead(store, ids, lengths, verify, out.channel(), out.claim())) {
            for (int len : lengths) {
                out.wroteDirectly(len, ahead.nextWritten());
            }
        }
    }
}
