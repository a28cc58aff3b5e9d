package dev.coral.format;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/**
 * Where a file's tensors lie in it, each as stored (little-endian, unswapped), and every other
 * byte of the file: what {@link WeightFileFormat#placement} gives for a file its restore writes
 * so. A caller can then write each tensor's chunks at their places itself (a checkout writes each
 * chunk from the thread that decoded it) and read an older version's chunks from the file at hand.
 *
 * <p>The tensors lie in the order given, in ascending file order, without overlap; the bytes
 * between them (a safetensors or npy header before all of them, HDF5's metadata between them) are
 * {@code between}, in file order.
 */
public final class TensorPlacement {
    private final byte[] between;
    private final long[] offsets;
    private final long[] lengths;
    /** How many bytes of {@link #between} come before each tensor. */
    private final long[] betweenBefore;

    /**
     * @param between every byte of the file that no tensor holds, in file order
     * @param offsets each tensor's first byte in the file, ascending
     * @param lengths each tensor's bytes
     * @throws IllegalArgumentException if the tensors overlap, are out of order or run past the file
     */
    public TensorPlacement(byte[] between, long[] offsets, long[] lengths) {
        if (offsets.length != lengths.length) {
            throw new IllegalArgumentException(offsets.length + " offsets for " + lengths.length + " lengths");
        }
        this.between = between;
        this.offsets = offsets.clone();
        this.lengths = lengths.clone();
        this.betweenBefore = new long[offsets.length];
        long end = 0;
        long tensorBytes = 0;
        for (int i = 0; i < offsets.length; i++) {
            if (offsets[i] < end || lengths[i] < 0) {
                throw new IllegalArgumentException("tensor " + i + " at " + offsets[i] + " (" + lengths[i] + " bytes) before byte " + end);
            }
            betweenBefore[i] = offsets[i] - tensorBytes;
            end = offsets[i] + lengths[i];
            tensorBytes += lengths[i];
        }
        if (end - tensorBytes > between.length) {
            throw new IllegalArgumentException("tensors end at byte " + end + ", past the " + (between.length + tensorBytes) + " of the file");
        }
    }

    /** A head, then each tensor's bytes one after another (safetensors, npy). */
    public static TensorPlacement headThen(byte[] head, List<? extends TensorSource> tensors) {
        long[] offsets = new long[tensors.size()];
        long[] lengths = new long[tensors.size()];
        long at = head.length;
        for (int i = 0; i < offsets.length; i++) {
            offsets[i] = at;
            lengths[i] = tensors.get(i).spec().byteSize();
            at += lengths[i];
        }
        return new TensorPlacement(head, offsets, lengths);
    }

    public int tensors() {
        return offsets.length;
    }

    /** Where tensor {@code i}'s first byte lies in the file. */
    public long offset(int i) {
        return offsets[i];
    }

    /** Writes the bytes between tensor {@code i - 1}'s end (the file's start for 0) and tensor {@code i}. */
    public void writeBefore(int i, OutputStream out) throws IOException {
        int from = i == 0 ? 0 : (int) betweenBefore[i - 1];
        out.write(between, from, (int) betweenBefore[i] - from);
    }

    /** Writes the bytes after the last tensor (all of {@code between} if there is none). */
    public void writeAfterLast(OutputStream out) throws IOException {
        int from = offsets.length == 0 ? 0 : (int) betweenBefore[offsets.length - 1];
        out.write(between, from, between.length - from);
    }

    /** Writes the whole file: the bytes between tensors, and each tensor's from {@code tensors} (as stored). */
    public void write(List<? extends TensorSource> tensors, OutputStream out, String where) throws IOException {
        for (int i = 0; i < offsets.length; i++) {
            writeBefore(i, out);
            Streams.copyTensor(tensors.get(i), out, null, false, where);
        }
        writeAfterLast(out);
    }
}
