package dev.coral.repo;

import dev.coral.error.CorruptObjectException;
import dev.coral.io.CheckedFileOutput;
import dev.coral.store.ChunkAtHand;
import dev.coral.store.ChunkReadAhead;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectStore;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
    /** Each chunk's related chunk at hand, or null (none for any). */
    private final ChunkAtHand[] atHand;
    /** Each chunk's tensor and its index in the tensor's chunks. */
    private final String[] tensorOf;
    private final int[] indexInTensor;

    private FileChunks(ObjectStore store, ObjectId[] ids, int[] lengths, boolean verify, ChunkAtHand[] atHand, String[] tensorOf,
                       int[] indexInTensor) {
        this.store = store;
        this.ids = ids;
        this.lengths = lengths;
        this.verify = verify;
        this.atHand = atHand;
        this.tensorOf = tensorOf;
        this.indexInTensor = indexInTensor;
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
        String[] tensorOf = new String[n];
        int[] indexInTensor = new int[n];
        int i = 0;
        for (StoredTensor t : tensors) {
            long bytes = 0;
            int j = 0;
            for (ChunkRef c : t.object().chunks()) {
                tensorOf[i] = t.name();
                indexInTensor[i] = j++;
                ids[i] = c.id();
                lengths[i++] = (int) c.rawLength();
                bytes += c.rawLength();
            }
            if (bytes != t.spec().byteSize()) {
                throw new CorruptObjectException(displayPath + ": tensor '" + t.name() + "' has chunks of " + bytes + " bytes for its "
                        + t.spec().byteSize());
            }
        }
        return new FileChunks(store, ids, lengths, verify, null, tensorOf, indexInTensor);
    }

    /**
     * These chunks, each read starting from the chunk of the same tensor name and index in
     * {@code held} (the chunks of the file at hand, {@code file}, laid out from {@code start})
     * where it has one of the same length and that decodes fewer deltas. What is read so is
     * checked by the caller ({@link ChunkAtHand}).
     */
    FileChunks startingFrom(FileChunks held, FileChannel file, long start) {
        Map<String, ChunkAtHand> at = new HashMap<>();
        long offset = start;
        for (int k = 0; k < held.ids.length; k++) {
            at.put(held.tensorOf[k] + "\0" + held.indexInTensor[k] + "\0" + held.lengths[k], new ChunkAtHand(held.ids[k], file, offset));
            offset += held.lengths[k];
        }
        ChunkAtHand[] mine = new ChunkAtHand[ids.length];
        for (int k = 0; k < ids.length; k++) {
            mine[k] = at.get(tensorOf[k] + "\0" + indexInTensor[k] + "\0" + lengths[k]);
        }
        return new FileChunks(store, ids, lengths, verify, mine, tensorOf, indexInTensor);
    }

    /** Whether reading them ahead on the decoder threads can pay: several chunks and cores. */
    boolean paysAhead() {
        return ChunkReadAhead.pays(ids.length);
    }

    /** Writes every chunk to {@code out} in order, decoded ahead. */
    void writeTo(OutputStream out) throws IOException {
        try (ChunkReadAhead ahead = readAhead(null, 0)) {
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
        try (ChunkReadAhead ahead = readAhead(out.channel(), out.claim())) {
            for (int len : lengths) {
                out.wroteDirectly(len, ahead.nextWritten());
            }
        }
    }

    private ChunkReadAhead readAhead(FileChannel writeTo, long start) {
        ChunkReadAhead ahead = new ChunkReadAhead(store, ids, lengths, verify, writeTo, start);
        return atHand == null ? ahead : ahead.startingFrom(atHand);
    }
}
