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
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * An HDF5 file (or a {@code .keras} zip holding one: {@link KerasFormat}) cut into what Coral
 * stores as tensors and everything else: the byte ranges of the
 * datasets stored as tensors (in file order), and the file's other bytes (superblock, object
 * headers, B-trees, heaps, attributes, datasets kept in the file's layout, free space) as one
 * "skeleton". The skeleton plus the tensors' bytes, each at its offset, is the file byte for byte.
 *
 * <p>A tensor's bytes lie in the file as one range (a contiguous dataset: {@link Range}) or as
 * the chunks of a chunked dataset, each rebuilt from the tensor's elements ({@link Hdf5Chunked}).
 *
 * <p>Encoded as the restore info of an HDF5 file entry: magic {@code CH5L}, a version byte, the
 * file size, the tensors, the skeleton, and a CRC32C of all before it. Version 1 (every tensor a
 * range): per tensor its offset, length and swap unit (the element width of big-endian data,
 * whose bytes are stored little-endian and swapped back, else 1). Version 2 (since 2026-12-06,
 * written only when some tensor is chunked; format feature {@code hdf5-chunked}): per tensor a
 * kind byte, 0 and a range as in version 1, or 1 and a chunked dataset ({@link Hdf5Chunked#encode});
 * then the file's metadata (its root group's string attributes: count, then UTF-8 key and value,
 * each length-prefixed), from which a file of other values is written ({@link Hdf5Anew}).
 */
record Hdf5Layout(long fileSize, List<Stored> tensors, byte[] skeleton, Map<String, String> metadata) {
    private static final byte[] MAGIC = {'C', 'H', '5', 'L'};
    private static final int VERSION_RANGES = 1;
    private static final int VERSION_CHUNKED = 2;

    /** Largest skeleton Coral keeps in a file entry, as safetensors' header limit: 100 MB. */
    static final long MAX_SKELETON_BYTES = 100_000_000L;
    /** Most bytes of bands a checkout holds at once, over the chunked datasets whose chunks interleave in the file. */
    static final long MAX_OPEN_BAND_BYTES = 128L << 20;

    /** Where one tensor's bytes lie in the file. */
    sealed interface Stored permits Range, Chunks {
    }

    /** The bytes of one tensor in the file: {@code length} bytes at {@code offset}; {@code swapUnit} > 1 for big-endian data. */
    record Range(long offset, long length, int swapUnit) implements Stored {
    }

    /** A tensor stored in the file as the chunks of a chunked dataset. */
    record Chunks(Hdf5Chunked dataset) implements Stored {
    }

    /** One run of the file's bytes that a tensor gives: a range whole, or one chunk ({@code chunk} >= 0) of a chunked dataset. */
    record Piece(long offset, long length, int tensor, int chunk) {
    }

    Hdf5Layout {
        tensors = List.copyOf(tensors);
        metadata = Map.copyOf(metadata);
    }

    Hdf5Layout(long fileSize, List<Stored> tensors, byte[] skeleton) {
        this(fileSize, tensors, skeleton, Map.of());
    }

    /** Every piece, in file order; fails ({@code IllegalArgumentException}) when two overlap or one lies past the end. */
    List<Piece> pieces() {
        List<Piece> out = unchecked();
        long pos = 0;
        for (Piece p : out) {
            if (p.offset() < pos || p.length() < 0 || p.offset() > fileSize - p.length()) {
                throw new IllegalArgumentException("tensor " + p.tensor() + (p.chunk() >= 0 ? " chunk " + p.chunk() : "")
                        + " at " + p.offset() + " (" + p.length() + " bytes) overlaps the bytes before it or runs past the "
                        + fileSize + "-byte file");
            }
            pos = p.offset() + p.length();
        }
        return out;
    }

    /** Every piece, in file order, unchecked. */
    List<Piece> unchecked() {
        List<Piece> out = new ArrayList<>();
        for (int t = 0; t < tensors.size(); t++) {
            if (tensors.get(t) instanceof Range r) {
                out.add(new Piece(r.offset(), r.length(), t, -1));
            } else {
                List<Hdf5Chunked.Chunk> chunks = ((Chunks) tensors.get(t)).dataset().chunks();
                for (int k = 0; k < chunks.size(); k++) {
                    out.add(new Piece(chunks.get(k).offset(), chunks.get(k).storedLength(), t, k));
                }
            }
        }
        out.sort(java.util.Comparator.comparingLong(Piece::offset).thenComparingLong(Piece::length));
        return out;
    }

    /**
     * The most bytes of bands a checkout holds at once: a chunked dataset's band is held from its
     * first chunk's place in the file to its last's.
     */
    long openBandBytes() {
        List<long[]> events = new ArrayList<>();
        for (Stored s : tensors) {
            if (s instanceof Chunks c && !c.dataset().chunks().isEmpty()) {
                List<Hdf5Chunked.Chunk> chunks = c.dataset().chunks();
                events.add(new long[] {chunks.get(0).offset(), c.dataset().bandBytes()});
                events.add(new long[] {chunks.get(chunks.size() - 1).offset() + 1, -c.dataset().bandBytes()});
            }
        }
        events.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
        long open = 0;
        long most = 0;
        for (long[] e : events) {
            open += e[1];
            most = Math.max(most, open);
        }
        return most;
    }

    /** The layout of a file whose tensors are stored as {@code tensors} (disjoint), reading the rest from {@code file}. */
    static Hdf5Layout cut(java.nio.channels.FileChannel file, long fileSize, List<Stored> tensors, String where) throws IOException {
        return cut(file, fileSize, tensors, Map.of(), where);
    }

    /** As above, with the file's metadata (encoded when some tensor is chunked, for {@link Hdf5Anew}). */
    static Hdf5Layout cut(java.nio.channels.FileChannel file, long fileSize, List<Stored> tensors, Map<String, String> metadata,
                          String where) throws IOException {
        Hdf5Layout pieces = new Hdf5Layout(fileSize, tensors, new byte[0]);
        List<Piece> all = pieces.pieces();
        long tensorBytes = 0;
        for (Piece p : all) {
            tensorBytes += p.length();
        }
        long skeletonBytes = fileSize - tensorBytes;
        if (skeletonBytes > MAX_SKELETON_BYTES) {
            throw new BadInputException(where + ": " + skeletonBytes + " bytes of this HDF5 file are not in numeric datasets Coral "
                    + "stores as tensors (metadata, or datasets of other types, layouts or filters than gzip and shuffle), over the limit of "
                    + MAX_SKELETON_BYTES + " bytes Coral keeps beside the tensors");
        }
        byte[] skeleton = new byte[(int) skeletonBytes];
        int at = 0;
        long pos = 0;
        for (Piece p : all) {
            at = readGap(file, pos, p.offset(), skeleton, at, where);
            pos = p.offset() + p.length();
        }
        readGap(file, pos, fileSize, skeleton, at, where);
        return new Hdf5Layout(fileSize, tensors, skeleton, metadata);
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

    /** Whether some tensor is a chunked dataset with gzip-compressed chunks. */
    boolean deflates() {
        for (Stored s : tensors) {
            if (s instanceof Chunks c && c.dataset().filters().stream().anyMatch(f -> f.id() == Hdf5Chunked.DEFLATE)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Writes the file: the skeleton with each tensor's bytes (from {@code tensors}, in order) at
     * their offsets; a chunked dataset's chunks rebuilt band by band from its tensor's stream.
     */
    void write(List<? extends TensorSource> sources, OutputStream out, String where) throws IOException {
        java.util.Map<Integer, Hdf5ChunkWriter> open = new java.util.HashMap<>();
        try {
            int at = 0;
            long pos = 0;
            for (Piece p : pieces()) {
                int gap = (int) (p.offset() - pos);
                out.write(skeleton, at, gap);
                at += gap;
                if (p.chunk() < 0) {
                    Range r = (Range) tensors.get(p.tensor());
                    Streams.copyTensor(sources.get(p.tensor()), out, null, r.swapUnit() > 1, where);
                } else {
                    Hdf5ChunkWriter w = open.get(p.tensor());
                    if (w == null) {
                        w = new Hdf5ChunkWriter(((Chunks) tensors.get(p.tensor())).dataset(), sources.get(p.tensor()), where);
                        open.put(p.tensor(), w);
                    }
                    w.write(p.chunk(), out);
                    if (w.done()) {
                        open.remove(p.tensor()).close();
                    }
                }
                pos = p.offset() + p.length();
            }
            out.write(skeleton, at, skeleton.length - at);
        } finally {
            for (Hdf5ChunkWriter w : open.values()) {
                w.close();
            }
        }
    }

    /** Where the tensors lie between the skeleton's bytes, when each is one range and none is swapped back; else empty. */
    Optional<TensorPlacement> placement() {
        long[] offsets = new long[tensors.size()];
        long[] lengths = new long[tensors.size()];
        for (int i = 0; i < offsets.length; i++) {
            if (!(tensors.get(i) instanceof Range r) || r.swapUnit() > 1) {
                return Optional.empty();
            }
            offsets[i] = r.offset();
            lengths[i] = r.length();
        }
        return Optional.of(new TensorPlacement(skeleton, offsets, lengths));
    }

    /** Fails unless {@code sources} are as many as the tensors and each holds its tensor's bytes. */
    void check(List<? extends TensorSource> sources, String where) throws BadInputException {
        if (sources.size() != tensors.size()) {
            throw new BadInputException(where + ": the file holds " + tensors.size() + " tensors but " + sources.size() + " were given");
        }
        for (int i = 0; i < tensors.size(); i++) {
            TensorSource t = sources.get(i);
            long bytes;
            int swapUnit;
            if (tensors.get(i) instanceof Range r) {
                bytes = r.length();
                swapUnit = r.swapUnit();
            } else {
                Hdf5Chunked c = ((Chunks) tensors.get(i)).dataset();
                bytes = c.elemSize();
                for (long d : c.dims()) {
                    bytes *= d;
                }
                swapUnit = c.bigEndian() ? c.elemSize() : 1;
                if (t.spec().dtype().elementBytes() != c.elemSize()) {
                    throw new BadInputException(where + ": tensor '" + t.name() + "' is " + t.spec().dtype() + ", but its chunked"
                            + " dataset holds elements of " + c.elemSize() + " bytes");
                }
            }
            if (t.spec().byteSize() != bytes) {
                throw new BadInputException(where + ": tensor " + i + " needs " + bytes
                        + " bytes but the tensor given ('" + t.name() + "') has " + t.spec().byteSize());
            }
            if (swapUnit > 1 && t.spec().dtype().swapUnitBytes() != swapUnit) {
                throw new BadInputException(where + ": tensor '" + t.name() + "' is " + t.spec().dtype()
                        + ", but its big-endian bytes in the file swap in units of " + swapUnit);
            }
        }
    }

    byte[] encode() {
        boolean chunked = tensors.stream().anyMatch(t -> t instanceof Chunks);
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(skeleton.length + 32 + tensors.size() * 18);
            DataOutputStream out = new DataOutputStream(bytes);
            out.write(MAGIC);
            out.writeByte(chunked ? VERSION_CHUNKED : VERSION_RANGES);
            out.writeLong(fileSize);
            out.writeInt(tensors.size());
            for (Stored s : tensors) {
                if (s instanceof Range r) {
                    if (chunked) {
                        out.writeByte(0);
                    }
                    out.writeLong(r.offset());
                    out.writeLong(r.length());
                    out.writeByte(r.swapUnit());
                } else {
                    out.writeByte(1);
                    ((Chunks) s).dataset().encode(out);
                }
            }
            if (chunked) {
                Hdf5Anew.writeMetadata(metadata, out);
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

    /** Checks the CRC32C (big-endian) that ends {@code info} against the bytes before it; else a corrupt object that {@code what} names. */
    static void checkCrc(byte[] info, String what) throws CorruptObjectException {
        CRC32C crc = new CRC32C();
        crc.update(info, 0, info.length - 4);
        int stored = ((info[info.length - 4] & 0xFF) << 24) | ((info[info.length - 3] & 0xFF) << 16)
                | ((info[info.length - 2] & 0xFF) << 8) | (info[info.length - 1] & 0xFF);
        if (stored != (int) crc.getValue()) {
            throw new CorruptObjectException(what + " fails its CRC32C check");
        }
    }

    /** Decodes restore info {@link #encode} wrote; anything else is a {@link CorruptObjectException} naming {@code where}. */
    static Hdf5Layout decode(byte[] info, String where) throws CorruptObjectException {
        if (info.length < MAGIC.length + 1 + 4 || !Arrays.equals(Arrays.copyOf(info, MAGIC.length), MAGIC)) {
            throw new CorruptObjectException(where + ": not HDF5 restore info (no CH5L magic)");
        }
        int version = info[MAGIC.length];
        if (version != VERSION_RANGES && version != VERSION_CHUNKED) {
            throw new CorruptObjectException(where + ": HDF5 restore info version " + version
                    + " is not one this Coral reads (" + VERSION_RANGES + ", " + VERSION_CHUNKED + ")");
        }
        checkCrc(info, where + ": HDF5 restore info");
        try {
            DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(info, MAGIC.length + 1,
                    info.length - MAGIC.length - 1 - 4));
            long fileSize = in.readLong();
            int n = in.readInt();
            if (n < 0 || n > info.length / 17) {
                throw new CorruptObjectException(where + ": HDF5 restore info lists " + n + " tensors in " + info.length + " bytes");
            }
            List<Stored> tensors = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int kind = version == VERSION_RANGES ? 0 : in.readUnsignedByte();
                if (kind == 0) {
                    Range r = new Range(in.readLong(), in.readLong(), in.readUnsignedByte());
                    if (r.length() < 0 || r.swapUnit() < 1) {
                        throw new CorruptObjectException(where + ": HDF5 restore info has tensor range " + i + " out of place: " + r);
                    }
                    tensors.add(r);
                } else if (kind == 1) {
                    tensors.add(new Chunks(Hdf5Chunked.decode(in, info.length, where)));
                } else {
                    throw new CorruptObjectException(where + ": HDF5 restore info has tensor " + i + " of unknown kind " + kind);
                }
            }
            Map<String, String> metadata = version == VERSION_RANGES ? Map.of() : Hdf5Anew.readMetadata(in, info.length, where);
            int skeletonLength = in.readInt();
            Hdf5Layout layout = new Hdf5Layout(fileSize, tensors, new byte[0]);
            long tensorBytes = 0;
            try {
                for (Piece p : layout.pieces()) {
                    tensorBytes += p.length();
                }
            } catch (IllegalArgumentException e) {
                throw new CorruptObjectException(where + ": HDF5 restore info has " + e.getMessage());
            }
            if (layout.openBandBytes() > MAX_OPEN_BAND_BYTES) {
                throw new CorruptObjectException(where + ": HDF5 restore info's chunked datasets interleave over "
                        + MAX_OPEN_BAND_BYTES + " bytes of bands");
            }
            if (skeletonLength != fileSize - tensorBytes || skeletonLength != in.available()) {
                throw new CorruptObjectException(where + ": HDF5 restore info's skeleton is " + skeletonLength + " bytes, "
                        + (fileSize - tensorBytes) + " expected");
            }
            byte[] skeleton = in.readNBytes(skeletonLength);
            return new Hdf5Layout(fileSize, tensors, skeleton, metadata);
        } catch (EOFException e) {
            throw new CorruptObjectException(where + ": HDF5 restore info is truncated");
        } catch (CorruptObjectException e) {
            throw e;
        } catch (IOException e) {
            throw new CorruptObjectException(where + ": HDF5 restore info unreadable: " + e.getMessage());
        }
    }
}
