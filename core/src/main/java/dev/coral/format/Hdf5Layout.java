package dev.coral.format;

import dev.coral.error.BadInputException;
import dev.coral.error.CorruptObjectException;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * An HDF5 file (or a {@code .keras} zip holding one: {@link KerasFormat}) cut into what Coral
 * stores as tensors and everything else: the byte ranges of the
 * datasets stored as tensors (in file order), and the file's other bytes (superblock, object
 * headers, B-trees, heaps, attributes, datasets kept in the file's layout, free space) as one
 * "skeleton". The skeleton plus the tensors' bytes, each at its offset, is the file byte for byte.
 *
 * <p>Encoded as the restore info of an HDF5 file entry: magic {@code CH5L}, a version byte, the
 * file size, the ranges (offset, length, swap unit: the element width of big-endian data, whose
 * bytes are stored little-endian and swapped back, else 1), the skeleton, and a CRC32C of all
 * before it.
 */
record Hdf5Layout(long fileSize, List<Range> ranges, byte[] skeleton) {
    private static final byte[] MAGIC = {'C', 'H', '5', 'L'};
    private static final int VERSION = 1;

    /** Largest skeleton Coral keeps in a file entry, as safetensors' header limit: 100 MB. */
    static final long MAX_SKELETON_BYTES = 100_000_000L;

    /** The bytes of one tensor in the file: {@code length} bytes at {@code offset}; {@code swapUnit} > 1 for big-endian data. */
    record Range(long offset, long length, int swapUnit) {
    }

    Hdf5Layout {
        ranges = List.copyOf(ranges);
    }

    /** The layout of a file whose tensors sit at {@code ranges} (in file order, disjoint), reading the rest from {@code file}. */
    static Hdf5Layout cut(java.nio.channels.FileChannel file, long fileSize, List<Range> ranges, String where) throws IOException {
        long tensorBytes = 0;
        long pos = 0;
        for (Range r : ranges) {
            if (r.offset() < pos || r.length() < 0 || r.offset() > fileSize - r.length()) {
                throw new IllegalArgumentException("ranges out of order: " + ranges);
            }
            pos = r.offset() + r.length();
            tensorBytes += r.length();
        }
        long skeletonBytes = fileSize - tensorBytes;
        if (skeletonBytes > MAX_SKELETON_BYTES) {
            throw new BadInputException(where + ": " + skeletonBytes + " bytes of this HDF5 file are not in contiguous numeric datasets "
                    + "(metadata, chunked or compressed datasets), over the limit of " + MAX_SKELETON_BYTES
                    + " bytes Coral keeps beside the tensors; save the weights unchunked and uncompressed (h5py's default)");
        }
        byte[] skeleton = new byte[(int) skeletonBytes];
        int at = 0;
        pos = 0;
        for (Range r : ranges) {
            at = readGap(file, pos, r.offset(), skeleton, at, where);
            pos = r.offset() + r.length();
        }
        readGap(file, pos, fileSize, skeleton, at, where);
        return new Hdf5Layout(fileSize, ranges, skeleton);
    }

    private static int readGap(java.nio.channels.FileChannel file, long from, long to, byte[] into, int at, String where)
            throws IOException {
        int n = (int) (to - from);
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(into, at, n);
        while (buf.hasRemaining()) {
            if (file.read(buf, from + (buf.position() - at)) < 0) {
                throw new BadInputException(where + ": file ends unexpectedly at byte " + (from + buf.position() - at));
            }
        }
        return at + n;
    }

    /** Writes the file: the skeleton with each tensor's bytes (from {@code tensors}, in range order) at its offset. */
    void write(List<? extends TensorSource> tensors, OutputStream out, String where) throws IOException {
        int at = 0;
        long pos = 0;
        for (int i = 0; i < ranges.size(); i++) {
            Range r = ranges.get(i);
            int gap = (int) (r.offset() - pos);
            out.write(skeleton, at, gap);
            at += gap;
            Streams.copyTensor(tensors.get(i), out, null, r.swapUnit() > 1, where);
            pos = r.offset() + r.length();
        }
        out.write(skeleton, at, skeleton.length - at);
    }

    /** Where the tensors lie between the skeleton's bytes, when none is swapped back; else empty. */
    Optional<TensorPlacement> placement() {
        long[] offsets = new long[ranges.size()];
        long[] lengths = new long[ranges.size()];
        for (int i = 0; i < offsets.length; i++) {
            Range r = ranges.get(i);
            if (r.swapUnit() > 1) {
                return Optional.empty();
            }
            offsets[i] = r.offset();
            lengths[i] = r.length();
        }
        return Optional.of(new TensorPlacement(skeleton, offsets, lengths));
    }

    /** Fails unless {@code tensors} are as many as the ranges and each holds its range's bytes. */
    void check(List<? extends TensorSource> tensors, String where) throws BadInputException {
        if (tensors.size() != ranges.size()) {
            throw new BadInputException(where + ": the file holds " + ranges.size() + " tensors but " + tensors.size() + " were given");
        }
        for (int i = 0; i < ranges.size(); i++) {
            TensorSource t = tensors.get(i);
            if (t.spec().byteSize() != ranges.get(i).length()) {
                throw new BadInputException(where + ": tensor " + i + " needs " + ranges.get(i).length()
                        + " bytes but the tensor given ('" + t.name() + "') has " + t.spec().byteSize());
            }
            if (ranges.get(i).swapUnit() > 1 && t.spec().dtype().swapUnitBytes() != ranges.get(i).swapUnit()) {
                throw new BadInputException(where + ": tensor '" + t.name() + "' is " + t.spec().dtype()
                        + ", but its big-endian bytes in the file swap in units of " + ranges.get(i).swapUnit());
            }
        }
    }

    byte[] encode() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(skeleton.length + 32 + ranges.size() * 17);
            DataOutputStream out = new DataOutputStream(bytes);
            out.write(MAGIC);
            out.writeByte(VERSION);
            out.writeLong(fileSize);
            out.writeInt(ranges.size());
            for (Range r : ranges) {
                out.writeLong(r.offset());
                out.writeLong(r.length());
                out.writeByte(r.swapUnit());
            }
            out.writeInt(skeleton.length);
            out.write(skeleton);
            CRC32C crc = new CRC32C();
            crc.update(bytes.toByteArray());
            out.writeInt((int) crc.getValue());
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // in memory: cannot happen
        }
    }

    /** Decodes restore info {@link #encode} wrote; anything else is a {@link CorruptObjectException} naming {@code where}. */
    static Hdf5Layout decode(byte[] info, String where) throws CorruptObjectException {
        if (info.length < MAGIC.length + 1 + 4 || !Arrays.equals(Arrays.copyOf(info, MAGIC.length), MAGIC)) {
            throw new CorruptObjectException(where + ": not HDF5 restore info (no CH5L magic)");
        }
        if (info[MAGIC.length] != VERSION) {
            throw new CorruptObjectException(where + ": HDF5 restore info version " + info[MAGIC.length]
                    + " is not one this Coral reads (" + VERSION + ")");
        }
        CRC32C crc = new CRC32C();
        crc.update(info, 0, info.length - 4);
        int stored = ((info[info.length - 4] & 0xFF) << 24) | ((info[info.length - 3] & 0xFF) << 16)
                | ((info[info.length - 2] & 0xFF) << 8) | (info[info.length - 1] & 0xFF);
        if (stored != (int) crc.getValue()) {
            throw new CorruptObjectException(where + ": HDF5 restore info fails its CRC32C check");
        }
        try {
            DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(info, MAGIC.length + 1,
                    info.length - MAGIC.length - 1 - 4));
            long fileSize = in.readLong();
            int n = in.readInt();
            if (n < 0 || n > info.length / 17) {
                throw new CorruptObjectException(where + ": HDF5 restore info lists " + n + " tensors in " + info.length + " bytes");
            }
            List<Range> ranges = new ArrayList<>(n);
            long pos = 0;
            long tensorBytes = 0;
            for (int i = 0; i < n; i++) {
                Range r = new Range(in.readLong(), in.readLong(), in.readUnsignedByte());
                if (r.offset() < pos || r.length() < 0 || r.offset() > fileSize - r.length() || r.swapUnit() < 1) {
                    throw new CorruptObjectException(where + ": HDF5 restore info has tensor range " + i + " out of place: " + r);
                }
                pos = r.offset() + r.length();
                tensorBytes += r.length();
                ranges.add(r);
            }
            int skeletonLength = in.readInt();
            if (skeletonLength != fileSize - tensorBytes || skeletonLength != in.available()) {
                throw new CorruptObjectException(where + ": HDF5 restore info's skeleton is " + skeletonLength + " bytes, "
                        + (fileSize - tensorBytes) + " expected");
            }
            byte[] skeleton = in.readNBytes(skeletonLength);
            return new Hdf5Layout(fileSize, ranges, skeleton);
        } catch (EOFException e) {
            throw new CorruptObjectException(where + ": HDF5 restore info is truncated");
        } catch (CorruptObjectException e) {
            throw e;
        } catch (IOException e) {
            throw new CorruptObjectException(where + ": HDF5 restore info unreadable: " + e.getMessage());
        }
    }
}
