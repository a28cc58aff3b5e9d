package dev.coral.repo;

import dev.coral.error.CorruptObjectException;
import dev.coral.format.TensorPlacement;
import dev.coral.io.CheckedFileOutput;
import dev.coral.store.ChunkAtHand;
import dev.coral.store.ChunkReadAhead;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectStore;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The chunks of all the tensors of a file, in file order, for a file whose tensors lie in it as
 * stored ({@link dev.coral.format.WeightFileFormat#placement}): read ahead on the decoder threads
 * across tensor boundaries, so that a file of small tensors (one chunk each, which a tensor's own
 * stream decodes on the reading thread) is decoded on every core too.
 */
final class FileChunks {
    private final ObjectStore store;
    private final ObjectId[] ids;
    private final int[] lengths;
    private final boolean verify;
    /** Each chunk's related chunk at hand, or null (none for any). */
    private final ChunkAtHand[] atHand;
    /** Each chunk's tensor (its name and its place in the file's list), its index in the tensor's chunks, and its offset in the tensor. */
    private final String[] tensorOf;
    private final int[] tensorIndexOf;
    private final int[] indexInTensor;
    private final long[] offsetInTensor;

    private FileChunks(ObjectStore store, ObjectId[] ids, int[] lengths, boolean verify, ChunkAtHand[] atHand, String[] tensorOf,
                       int[] tensorIndexOf, int[] indexInTensor, long[] offsetInTensor) {
        this.store = store;
        this.ids = ids;
        this.lengths = lengths;
        this.verify = verify;
        this.atHand = atHand;
        this.tensorOf = tensorOf;
        this.tensorIndexOf = tensorIndexOf;
        this.indexInTensor = indexInTensor;
        this.offsetInTensor = offsetInTensor;
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
        int[] tensorIndexOf = new int[n];
        int[] indexInTensor = new int[n];
        long[] offsetInTensor = new long[n];
        int i = 0;
        for (int k = 0; k < tensors.size(); k++) {
            StoredTensor t = tensors.get(k);
            long bytes = 0;
            int j = 0;
            for (ChunkRef c : t.object().chunks()) {
                tensorOf[i] = t.name();
                tensorIndexOf[i] = k;
                indexInTensor[i] = j++;
                offsetInTensor[i] = bytes;
                ids[i] = c.id();
                lengths[i++] = (int) c.rawLength();
                bytes += c.rawLength();
            }
            if (bytes != t.spec().byteSize()) {
                throw new CorruptObjectException(displayPath + ": tensor '" + t.name() + "' has chunks of " + bytes + " bytes for its "
                        + t.spec().byteSize());
            }
        }
        return new FileChunks(store, ids, lengths, verify, null, tensorOf, tensorIndexOf, indexInTensor, offsetInTensor);
    }

    /**
     * These chunks, each read starting from the chunk of the same tensor name and index in
     * {@code held} (the chunks of the file at hand, {@code file}, whose tensors lie at
     * {@code heldPlacement}) where it has one of the same length and that decodes fewer deltas.
     * What is read so is checked by the caller ({@link ChunkAtHand}).
     */
    FileChunks startingFrom(FileChunks held, FileChannel file, TensorPlacement heldPlacement) {
        long[] heldPositions = held.positionsIn(heldPlacement);
        Map<String, ChunkAtHand> at = new HashMap<>();
        for (int k = 0; k < held.ids.length; k++) {
            at.put(held.tensorOf[k] + "\0" + held.indexInTensor[k] + "\0" + held.lengths[k], ChunkAtHand.inFile(held.ids[k], file, heldPositions[k]));
        }
        ChunkAtHand[] mine = new ChunkAtHand[ids.length];
        for (int k = 0; k < ids.length; k++) {
            mine[k] = at.get(tensorOf[k] + "\0" + indexInTensor[k] + "\0" + lengths[k]);
        }
        return new FileChunks(store, ids, lengths, verify, mine, tensorOf, tensorIndexOf, indexInTensor, offsetInTensor);
    }

    /** Each chunk's place in a file whose tensors lie at {@code placement}. */
    private long[] positionsIn(TensorPlacement placement) {
        long[] positions = new long[ids.length];
        for (int k = 0; k < ids.length; k++) {
            positions[k] = placement.offset(tensorIndexOf[k]) + offsetInTensor[k];
        }
        return positions;
    }

    /**
     * Whether reading them ahead on the decoder threads can pay: several chunks and cores, or a
     * chunk at hand to start from (which only that way is read from; a file of one chunk, or any
     * file on one core, had been decoded down its chains whatever the file at hand held).
     */
    boolean paysAhead() {
        return ChunkReadAhead.pays(ids.length) || atHand != null && Arrays.stream(atHand).anyMatch(java.util.Objects::nonNull);
    }

    /** Writes the file to {@code out}: the bytes between the tensors from {@code placement}, and every chunk, decoded ahead. */
    void writeTo(OutputStream out, TensorPlacement placement) throws IOException {
        try (ChunkReadAhead ahead = readAhead(null, null)) {
            int k = 0;
            for (int t = 0; t < placement.tensors(); t++) {
                placement.writeBefore(t, out);
                for (; k < ids.length && tensorIndexOf[k] == t; k++) {
                    out.write(ahead.next(), 0, lengths[k]);
                }
            }
            checkAllPlaced(k);
            placement.writeAfterLast(out);
        }
    }

    /**
     * Writes the file to {@code out}, from its start: the bytes between the tensors from
     * {@code placement} through {@code out}, and every chunk at its place by the decoder thread
     * that decoded it, with its CRC32C taken there and combined into {@code out}'s.
     */
    void writeAt(CheckedFileOutput out, TensorPlacement placement) throws IOException {
        long[] positions = positionsIn(placement);
        try (ChunkReadAhead ahead = readAhead(out.channel(), positions)) {
            int k = 0;
            for (int t = 0; t < placement.tensors(); t++) {
                placement.writeBefore(t, out);
                long claimed = out.claim();
                if (claimed != placement.offset(t)) {
                    throw new IllegalStateException("tensor " + t + " placed at " + placement.offset(t) + ", its bytes reached at " + claimed);
                }
                for (; k < ids.length && tensorIndexOf[k] == t; k++) {
                    out.wroteDirectly(lengths[k], ahead.nextWritten());
                }
            }
            checkAllPlaced(k);
            placement.writeAfterLast(out);
        }
    }

    private void checkAllPlaced(int written) {
        if (written != ids.length) {
            throw new IllegalStateException(written + " of " + ids.length + " chunks belong to tensors placed in the file");
        }
    }

    private ChunkReadAhead readAhead(FileChannel writeTo, long[] positions) {
        ChunkReadAhead ahead = new ChunkReadAhead(store, ids, lengths, verify, writeTo, positions);
        return atHand == null ? ahead : ahead.startingFrom(atHand);
    }
}
