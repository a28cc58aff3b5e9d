package dev.coral.format;

import dev.coral.error.CorruptObjectException;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * A chunked HDF5 dataset stored as a tensor: its elements lie in the file as chunks, each a block
 * of {@code chunkDims} elements at a multiple of them (those past the dataset's end, in the edge
 * chunks, are padding), in the file's byte order, run through the dataset's filters (h5py's
 * {@code shuffle=True}: the bytes of each element spread into byte planes; {@code
 * compression="gzip"}: a zlib stream, libhdf5's {@code compress2} at the level the dataset
 * declares; {@code fletcher32=True}: a Fletcher-32 checksum after the chunk's bytes). Coral stores the dataset's elements as one tensor in C order, like a contiguous
 * dataset's, so a checkpoint deduplicates and delta-encodes whatever its chunking; each chunk
 * is rebuilt from them at checkout: its elements gathered, swapped to the file's byte order, its
 * padding put back (recorded here when it is not zeros), and the filters applied again (deflate
 * at the level recorded, which {@link DeflateReplay} makes zlib's bytes); the chunk's bytes must
 * then have the length recorded, and the whole file is checked against the CRC32C taken at add.
 *
 * <p>A dataset is taken so only when every chunk was rebuilt exactly at add ({@link Hdf5ChunkedFinder}):
 * any other filter (scale-offset, n-bit, szip, LZF, ...), a checksum that fails, a chunk missing, a chunk a filter skipped in a way
 * not rebuilt, or another deflate implementation's bytes, and it stays in the skeleton as before.
 * Chunks are written in file order; where a dataset's come a band at a time (a band: the chunks of
 * one index along the first dimension, which libhdf5 writes in order), a checkout holds one band of
 * each dataset it is writing ({@link #MAX_BAND_BYTES}); where they do not (libhdf5 put a small
 * chunk in space an earlier object freed), the whole tensor is one band, up to the same size.
 *
 * @param dims the dataset's shape (rank at least 1)
 * @param chunkDims the chunks' shape, as many dimensions
 * @param elemSize bytes per element
 * @param bigEndian whether the file holds the elements big-endian (the tensor holds them little-endian)
 * @param filters the dataset's filter pipeline, in the order libhdf5 applies it when writing
 * @param chunks every chunk, in file order
 * @param banded whether the chunks come band after band in file order (computed: see the other constructor)
 */
record Hdf5Chunked(long[] dims, int[] chunkDims, int elemSize, boolean bigEndian, List<Filter> filters, List<Chunk> chunks,
                   boolean banded) {
    /** libhdf5's filter ids Coral rebuilds. */
    static final int DEFLATE = 1;
    static final int SHUFFLE = 2;
    static final int FLETCHER32 = 3;
    /** Largest band (chunks of one index along the first dimension, as tensor bytes) a checkout holds for one dataset. */
    static final long MAX_BAND_BYTES = 32L << 20;
    /** Largest chunk Coral rebuilds (libhdf5's limit is 4 GiB; h5py picks chunks of at most 1 MiB). */
    static final int MAX_CHUNK_BYTES = 32 << 20;
    /** Most dimensions (HDF5's own limit). */
    static final int MAX_RANK = 32;

    /** One filter of the pipeline: its id and its first parameter (deflate: the level declared; shuffle: the element size). */
    record Filter(int id, int param) {
    }

    /**
     * One chunk: its {@code storedLength} bytes at {@code offset} of the file, its first element's
     * coordinates, libhdf5's filter mask (bit k set: filter k skipped for this chunk), the level
     * its deflate was rebuilt at (0 when none), and its padding bytes in chunk order, in the
     * file's byte order (empty when it has none or they are all zero).
     */
    record Chunk(long offset, int storedLength, long[] origin, int mask, int level, byte[] padding) {
        Chunk shifted(long by) {
            return new Chunk(offset + by, storedLength, origin, mask, level, padding);
        }
    }

    Hdf5Chunked {
        filters = List.copyOf(filters);
        chunks = List.copyOf(chunks);
    }

    /** The dataset, {@link #banded} found from the chunks' order. */
    Hdf5Chunked(long[] dims, int[] chunkDims, int elemSize, boolean bigEndian, List<Filter> filters, List<Chunk> chunks) {
        this(dims, chunkDims, elemSize, bigEndian, filters, chunks, inBandOrder(chunks, chunkDims));
    }

    private static boolean inBandOrder(List<Chunk> chunks, int[] chunkDims) {
        long band = 0;
        for (Chunk c : chunks) {
            if (c.origin().length == 0 || chunkDims.length == 0 || chunkDims[0] < 1 || c.origin()[0] / chunkDims[0] < band) {
                return false;
            }
            band = c.origin()[0] / chunkDims[0];
        }
        return true;
    }

    /** The same dataset with every chunk {@code by} bytes further into the file. */
    Hdf5Chunked shifted(long by) {
        return new Hdf5Chunked(dims, chunkDims, elemSize, bigEndian, filters, chunks.stream().map(c -> c.shifted(by)).toList(), banded);
    }

    /** Elements of one chunk. */
    int chunkElements() {
        long n = 1;
        for (int c : chunkDims) {
            n *= c;
        }
        return (int) n;
    }

    int chunkBytes() {
        return chunkElements() * elemSize;
    }

    /** Bytes of one row along the first dimension (the product of the others, in elements, times the element size). */
    long rowBytes() {
        long n = elemSize;
        for (int i = 1; i < dims.length; i++) {
            n *= dims[i];
        }
        return n;
    }

    /** Rows along the first dimension a band holds (the last may hold fewer): a chunk's, or all when not {@link #banded}. */
    private long rowsPerBand() {
        return banded ? chunkDims[0] : dims[0];
    }

    long bands() {
        return (dims[0] + rowsPerBand() - 1) / rowsPerBand();
    }

    /** Rows of band {@code b} (the last may be short). */
    int bandRows(long b) {
        return (int) Math.min(rowsPerBand(), dims[0] - b * rowsPerBand());
    }

    long bandBytes() {
        return rowsPerBand() * rowBytes();
    }

    long band(Chunk c) {
        return c.origin()[0] / rowsPerBand();
    }

    /** The indexes (in {@link #chunks}, so in file order) of each band's chunks, band by band. */
    List<List<Integer>> chunksByBand() {
        List<List<Integer>> out = new ArrayList<>();
        for (long b = 0; b < bands(); b++) {
            out.add(new ArrayList<>());
        }
        for (int k = 0; k < chunks.size(); k++) {
            out.get((int) band(chunks.get(k))).add(k);
        }
        return out;
    }

    /** The chunks the dataset has: one per block of the grid. */
    long expectedChunks() {
        long n = 1;
        for (int i = 0; i < dims.length; i++) {
            n = Math.multiplyExact(n, (dims[i] + chunkDims[i] - 1) / chunkDims[i]);
        }
        return n;
    }

    /** Bytes the chunks take in the file. */
    long storedBytes() {
        long n = 0;
        for (Chunk c : chunks) {
            n += c.storedLength();
        }
        return n;
    }

    /**
     * Checks what a reader relies on: shapes, filters, the chunk grid complete and each chunk once,
     * chunks in file order (disjoint) and band after band. Throws {@code IllegalArgumentException}
     * saying what is wrong.
     */
    void check() {
        if (dims.length < 1 || dims.length > MAX_RANK || chunkDims.length != dims.length) {
            throw new IllegalArgumentException("rank " + dims.length + " with chunks of rank " + chunkDims.length);
        }
        long elements = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 1 || chunkDims[i] < 1) {
                throw new IllegalArgumentException("shape " + Arrays.toString(dims) + " in chunks of " + Arrays.toString(chunkDims));
            }
            elements = Math.multiplyExact(elements, chunkDims[i]);
        }
        if (elemSize < 1 || elemSize > 16 || elements * elemSize > MAX_CHUNK_BYTES) {
            throw new IllegalArgumentException("chunks of " + elements + " elements of " + elemSize + " bytes");
        }
        if (banded != inBandOrder(chunks, chunkDims)) {
            throw new IllegalArgumentException("chunks said " + (banded ? "" : "not ") + "to come band after band");
        }
        if (Math.multiplyExact(rowsPerBand(), rowBytes()) > MAX_BAND_BYTES) {
            throw new IllegalArgumentException("a band of chunks holds " + bandBytes() + " bytes, over " + MAX_BAND_BYTES);
        }
        if (filters.size() > 32) {
            throw new IllegalArgumentException(filters.size() + " filters");
        }
        for (Filter f : filters) {
            boolean known = f.id() == DEFLATE && f.param() >= 0 && f.param() <= 9 || f.id() == SHUFFLE && f.param() == elemSize
                    || f.id() == FLETCHER32 && f.param() == 0;
            if (!known) {
                throw new IllegalArgumentException("filter " + f.id() + " (" + f.param() + ")");
            }
        }
        if (chunks.size() != expectedChunks()) {
            throw new IllegalArgumentException(chunks.size() + " chunks, " + expectedChunks() + " expected");
        }
        java.util.Set<String> seen = new java.util.HashSet<>();
        long end = Long.MIN_VALUE;
        for (Chunk c : chunks) {
            if (c.origin().length != dims.length || !seen.add(Arrays.toString(c.origin()))) {
                throw new IllegalArgumentException("chunk at " + Arrays.toString(c.origin()) + " twice or of another rank");
            }
            for (int i = 0; i < dims.length; i++) {
                if (c.origin()[i] < 0 || c.origin()[i] >= dims[i] || c.origin()[i] % chunkDims[i] != 0) {
                    throw new IllegalArgumentException("chunk at " + Arrays.toString(c.origin()) + " outside the grid");
                }
            }
            if (c.offset() < end || c.storedLength() < 0 || c.offset() < 0) {
                throw new IllegalArgumentException("chunk at " + Arrays.toString(c.origin()) + " out of file order");
            }
            end = c.offset() + c.storedLength();
            if (c.mask() < 0 || c.mask() >= 1 << filters.size() && filters.size() < 32 || c.level() < 0 || c.level() > 9
                    || c.padding().length != 0 && c.padding().length != paddingBytes(c)) {
                throw new IllegalArgumentException("chunk at " + Arrays.toString(c.origin()) + ": mask " + c.mask() + ", level "
                        + c.level() + ", " + c.padding().length + " bytes of padding");
            }
        }
    }

    /** Checks that every chunk that went through deflate has the level it is rebuilt at. */
    void checkLevels() {
        for (Chunk c : chunks) {
            if (applies(c, DEFLATE) && c.level() == 0) {
                throw new IllegalArgumentException("chunk at " + Arrays.toString(c.origin()) + " deflated at no level");
            }
        }
    }

    /** Whether the chunk went through filter {@code id} (in the pipeline, not masked). */
    boolean applies(Chunk c, int id) {
        for (int k = 0; k < filters.size(); k++) {
            if (filters.get(k).id() == id && (c.mask() >>> k & 1) == 0) {
                return true;
            }
        }
        return false;
    }

    /** Bytes of the chunk past the dataset's end. */
    long paddingBytes(Chunk c) {
        long inside = 1;
        for (int i = 0; i < dims.length; i++) {
            inside *= Math.min(chunkDims[i], dims[i] - c.origin()[i]);
        }
        return (chunkElements() - inside) * elemSize;
    }

    // ---- the chunk's elements: band (tensor bytes, little-endian) <-> chunk (file order) ----

    /**
     * Visits the runs of the chunk along its last dimension: {@code run.at(chunkByte, bandByte,
     * bytes)} for each run inside the dataset (bandByte from the start of the band's bytes), and
     * {@code -1} as bandByte for padding.
     */
    private void runs(Chunk c, Run run) throws IOException {
        int rank = dims.length;
        int last = rank - 1;
        long[] extent = new long[rank];
        for (int i = 0; i < rank; i++) {
            extent[i] = Math.min(chunkDims[i], dims[i] - c.origin()[i]);
        }
        long[] stride = new long[rank]; // band strides in elements: the band's first dimension is its rows
        stride[last] = 1;
        for (int i = last - 1; i >= 0; i--) {
            stride[i] = stride[i + 1] * dims[i + 1];
        }
        int rowElems = chunkDims[last];
        long rows = chunkElements() / rowElems;
        long bandRow0 = band(c) * chunkDims[0];
        int[] j = new int[rank];
        for (long r = 0; r < rows; r++) {
            boolean inside = true;
            long at = 0;
            for (int i = 0; i < last; i++) {
                if (j[i] >= extent[i]) {
                    inside = false;
                    break;
                }
                long coord = c.origin()[i] + j[i] - (i == 0 ? bandRow0 : 0);
                at += coord * stride[i];
            }
            int chunkByte = (int) (r * rowElems * elemSize);
            if (inside) {
                at += c.origin()[last] - (last == 0 ? bandRow0 : 0);
                int in = (int) extent[last] * elemSize;
                run.at(chunkByte, at * elemSize, in);
                if (in < rowElems * elemSize) {
                    run.at(chunkByte + in, -1, rowElems * elemSize - in);
                }
            } else {
                run.at(chunkByte, -1, rowElems * elemSize);
            }
            for (int i = last - 1; i >= 0; i--) { // the next row of the chunk: odometer over the dimensions before the last
                if (++j[i] < chunkDims[i]) {
                    break;
                }
                j[i] = 0;
            }
        }
    }

    @FunctionalInterface
    private interface Run {
        void at(int chunkByte, long bandByte, int bytes) throws IOException;
    }

    /** The chunk's bytes before its filters, in the file's byte order, from its band's tensor bytes and its recorded padding. */
    byte[] gather(Chunk c, byte[] band) {
        byte[] out = new byte[chunkBytes()];
        int[] pad = {0};
        try {
            runs(c, (chunkByte, bandByte, n) -> {
                if (bandByte >= 0) {
                    System.arraycopy(band, (int) bandByte, out, chunkByte, n);
                    if (bigEndian) {
                        swap(out, chunkByte, n, elemSize);
                    }
                } else if (c.padding().length > 0) {
                    System.arraycopy(c.padding(), pad[0], out, chunkByte, n);
                    pad[0] += n;
                }
            });
        } catch (IOException e) {
            throw new IllegalStateException(e); // the visitor does no I/O
        }
        return out;
    }

    /** Puts the elements of {@code raw} (the chunk's bytes before its filters) into their band's tensor bytes. */
    void scatter(Chunk c, byte[] raw, byte[] band) {
        try {
            runs(c, (chunkByte, bandByte, n) -> {
                if (bandByte >= 0) {
                    System.arraycopy(raw, chunkByte, band, (int) bandByte, n);
                    if (bigEndian) {
                        swap(band, (int) bandByte, n, elemSize);
                    }
                }
            });
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reverses the bytes of each {@code size}-byte element of {@code b[from, from + n)}. */
    private static void swap(byte[] b, int from, int n, int size) {
        for (int e = from; e + size <= from + n; e += size) {
            for (int lo = e, hi = e + size - 1; lo < hi; lo++, hi--) {
                byte t = b[lo];
                b[lo] = b[hi];
                b[hi] = t;
            }
        }
    }

    /** The padding bytes of {@code raw} in chunk order; empty when there are none or all are zero. */
    byte[] paddingOf(Chunk c, byte[] raw) {
        ByteArrayOutputStream pad = new ByteArrayOutputStream();
        boolean[] nonZero = {false};
        try {
            runs(c, (chunkByte, bandByte, n) -> {
                if (bandByte < 0) {
                    pad.write(raw, chunkByte, n);
                    for (int k = chunkByte; k < chunkByte + n && !nonZero[0]; k++) {
                        nonZero[0] = raw[k] != 0;
                    }
                }
            });
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return nonZero[0] ? pad.toByteArray() : new byte[0];
    }

    // ---- filters ----

    /** The chunk's bytes in the file: {@code raw} through the filters not masked, in pipeline order. */
    byte[] applyFilters(Chunk c, byte[] raw) {
        byte[] b = raw;
        for (int k = 0; k < filters.size(); k++) {
            if ((c.mask() >>> k & 1) != 0) {
                continue;
            }
            Filter f = filters.get(k);
            b = switch (f.id()) {
                case SHUFFLE -> shuffle(b, elemSize);
                case FLETCHER32 -> withFletcher32(b);
                default -> deflate(b, c.level());
            };
        }
        return b;
    }

    /** The chunk's bytes before its filters, from its {@code stored} bytes; a filter's output of the wrong size is refused. */
    byte[] undoFilters(Chunk c, byte[] stored, String where) throws CorruptObjectException {
        byte[] b = stored;
        for (int k = filters.size() - 1; k >= 0; k--) {
            if ((c.mask() >>> k & 1) != 0) {
                continue;
            }
            b = switch (filters.get(k).id()) {
                case SHUFFLE -> unshuffle(b, elemSize);
                case FLETCHER32 -> withoutFletcher32(b, c, where);
                default -> inflate(b, chunkBytes(), where);
            };
        }
        if (b.length != chunkBytes()) {
            throw new CorruptObjectException(where + ": its chunk at " + Arrays.toString(c.origin()) + " holds " + b.length
                    + " bytes, not " + chunkBytes());
        }
        return b;
    }

    /** {@code in} and its Fletcher-32 checksum after it, little-endian, as libhdf5's fletcher32 filter writes a chunk. */
    static byte[] withFletcher32(byte[] in) {
        byte[] out = Arrays.copyOf(in, in.length + 4);
        int sum = fletcher32(in, in.length);
        for (int k = 0; k < 4; k++) {
            out[in.length + k] = (byte) (sum >>> 8 * k);
        }
        return out;
    }

    /** {@code in} without its last 4 bytes, which must be its Fletcher-32 checksum; else the chunk is refused. */
    private byte[] withoutFletcher32(byte[] in, Chunk c, String where) throws CorruptObjectException {
        int n = in.length - 4;
        if (n < 0 || !Arrays.equals(withFletcher32(Arrays.copyOf(in, n)), in)) {
            throw new CorruptObjectException(where + ": the chunk at " + Arrays.toString(c.origin()) + " fails its Fletcher-32 checksum");
        }
        return Arrays.copyOf(in, n);
    }

    /**
     * libhdf5's H5_checksum_fletcher32: the bytes as big-endian 16-bit words (an odd last byte the
     * high half of one), two sums folded to 16 bits every 360 words and at the end; sum2 high.
     */
    static int fletcher32(byte[] data, int length) {
        long sum1 = 0;
        long sum2 = 0;
        int words = length / 2;
        int at = 0;
        while (words > 0) {
            int t = Math.min(words, 360);
            words -= t;
            for (; t > 0; t--, at += 2) {
                sum1 += (data[at] & 0xFF) << 8 | (data[at + 1] & 0xFF);
                sum2 += sum1;
            }
            sum1 = (sum1 & 0xFFFF) + (sum1 >>> 16);
            sum2 = (sum2 & 0xFFFF) + (sum2 >>> 16);
        }
        if (length % 2 != 0) {
            sum1 += (data[at] & 0xFF) << 8;
            sum2 += sum1;
            sum1 = (sum1 & 0xFFFF) + (sum1 >>> 16);
            sum2 = (sum2 & 0xFFFF) + (sum2 >>> 16);
        }
        sum1 = (sum1 & 0xFFFF) + (sum1 >>> 16);
        sum2 = (sum2 & 0xFFFF) + (sum2 >>> 16);
        return (int) (sum2 << 16 | sum1);
    }

    /** libhdf5's shuffle: byte k of every element, for k = 0 .. size-1; bytes past the last whole element stay. */
    static byte[] shuffle(byte[] in, int size) {
        return transpose(in, size, true);
    }

    static byte[] unshuffle(byte[] in, int size) {
        return transpose(in, size, false);
    }

    /** Elements of {@code size} bytes to byte planes ({@code toPlanes}), or back. */
    private static byte[] transpose(byte[] in, int size, boolean toPlanes) {
        byte[] out = in.clone();
        int n = size <= 1 ? 0 : in.length / size;
        for (int k = 0; k < size && n > 0; k++) {
            for (int i = 0; i < n; i++) {
                if (toPlanes) {
                    out[k * n + i] = in[i * size + k];
                } else {
                    out[i * size + k] = in[k * n + i];
                }
            }
        }
        return out;
    }

    /** A zlib stream (header, deflate, Adler-32) of {@code in} at {@code level}, as libhdf5's deflate filter writes it. */
    static byte[] deflate(byte[] in, int level) {
        Deflater d = new Deflater(level, false);
        try {
            d.setInput(in);
            d.finish();
            // into a buffer of this thread's, as long as zlib's bound for the input (so one call does it), then copied once:
            // a growing ByteArrayOutputStream zeroed and copied its arrays, 12% of an 84 MB checkout's CPU
            int bound = in.length + (in.length >>> 12) + (in.length >>> 14) + (in.length >>> 25) + 64;
            byte[] buf = DEFLATE_BUFFER.get();
            if (buf.length < bound) {
                buf = new byte[bound];
                if (bound <= KEPT_BUFFER_BYTES) { // a pool thread keeps at most this much for good
                    DEFLATE_BUFFER.set(buf);
                }
            }
            int n = 0;
            while (!d.finished()) {
                if (n == buf.length) {
                    buf = Arrays.copyOf(buf, buf.length * 2);
                }
                n += d.deflate(buf, n, buf.length - n);
            }
            return Arrays.copyOf(buf, n);
        } finally {
            d.end();
        }
    }

    private static final ThreadLocal<byte[]> DEFLATE_BUFFER = ThreadLocal.withInitial(() -> new byte[0]);
    private static final int KEPT_BUFFER_BYTES = 4 << 20;

    /** The bytes of the zlib stream {@code in}, at most {@code expected}; a damaged or overlong stream is refused. */
    static byte[] inflate(byte[] in, int expected, String where) throws CorruptObjectException {
        Inflater inf = new Inflater(false);
        try {
            inf.setInput(in);
            byte[] out = new byte[expected];
            byte[] past = new byte[1]; // the stream's end and Adler-32 are read after its last byte: a byte more must not come
            int n = 0;
            while (!inf.finished()) {
                int got = n < expected ? inf.inflate(out, n, expected - n) : inf.inflate(past);
                if (got == 0 && (inf.needsInput() || inf.needsDictionary())) {
                    break;
                }
                n += got;
                if (n > expected) {
                    break;
                }
            }
            if (!inf.finished() || n != expected || inf.getRemaining() != 0) {
                throw new CorruptObjectException(where + ": a gzip-compressed chunk does not inflate to its " + expected + " bytes");
            }
            return out;
        } catch (DataFormatException e) {
            throw new CorruptObjectException(where + ": a gzip-compressed chunk is damaged: " + e.getMessage());
        } finally {
            inf.end();
        }
    }

    // ---- restore info ----

    void encode(DataOutputStream out) throws IOException {
        out.writeByte(dims.length);
        for (long d : dims) {
            out.writeLong(d);
        }
        for (int c : chunkDims) {
            out.writeInt(c);
        }
        out.writeByte(elemSize);
        out.writeBoolean(bigEndian);
        out.writeBoolean(banded);
        out.writeByte(filters.size());
        for (Filter f : filters) {
            out.writeShort(f.id());
            out.writeInt(f.param());
        }
        out.writeInt(chunks.size());
        for (Chunk c : chunks) {
            out.writeLong(c.offset());
            out.writeInt(c.storedLength());
            for (long o : c.origin()) {
                out.writeLong(o);
            }
            out.writeInt(c.mask());
            out.writeByte(c.level());
            out.writeInt(c.padding().length);
            out.write(c.padding());
        }
    }

    private static long[] readLongs(DataInputStream in, int n) throws IOException {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = in.readLong();
        }
        return out;
    }

    /** Reads what {@link #encode} wrote, checked ({@link #check}); {@code limit} bounds the counts read. */
    static Hdf5Chunked decode(DataInputStream in, int limit, String where) throws IOException {
        int rank = in.readUnsignedByte();
        if (rank < 1 || rank > MAX_RANK) {
            throw new CorruptObjectException(where + ": a chunked dataset of rank " + rank);
        }
        long[] dims = readLongs(in, rank);
        int[] chunkDims = new int[rank];
        for (int i = 0; i < rank; i++) {
            chunkDims[i] = in.readInt();
        }
        int elemSize = in.readUnsignedByte();
        boolean bigEndian = in.readBoolean();
        boolean banded = in.readBoolean();
        int nf = in.readUnsignedByte();
        List<Filter> filters = new ArrayList<>();
        for (int k = 0; k < nf; k++) {
            filters.add(new Filter(in.readUnsignedShort(), in.readInt()));
        }
        int n = in.readInt();
        if (n < 0 || n > limit) {
            throw new CorruptObjectException(where + ": a chunked dataset of " + n + " chunks in " + limit + " bytes");
        }
        List<Chunk> chunks = new ArrayList<>(Math.min(n, 1 << 16));
        for (int k = 0; k < n; k++) {
            long offset = in.readLong();
            int stored = in.readInt();
            long[] origin = readLongs(in, rank);
            int mask = in.readInt();
            int level = in.readUnsignedByte();
            int padLength = in.readInt();
            if (padLength < 0 || padLength > MAX_CHUNK_BYTES || padLength > in.available()) {
                throw new CorruptObjectException(where + ": a chunk's padding of " + padLength + " bytes");
            }
            chunks.add(new Chunk(offset, stored, origin, mask, level, in.readNBytes(padLength)));
        }
        Hdf5Chunked c = new Hdf5Chunked(dims, chunkDims, elemSize, bigEndian, filters, chunks, banded);
        try {
            c.check();
            c.checkLevels();
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new CorruptObjectException(where + ": a chunked dataset's description is not valid: " + e.getMessage());
        }
        return c;
    }
}
