package dev.coral.format;

import dev.coral.error.CorruptObjectException;
import io.jhdf.dataset.chunked.Chunk;
import io.jhdf.dataset.chunked.ChunkedDatasetBase;
import io.jhdf.object.message.DataLayoutMessage;
import io.jhdf.object.message.FilterPipelineMessage;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Decides whether a chunked HDF5 dataset can be stored as a tensor ({@link Hdf5Chunked}): its
 * filters are shuffle, gzip and Fletcher-32 only, every chunk is there, and every chunk, read, its filters
 * undone and applied again (gzip at the level the dataset declares, else at the one that gives
 * the file's bytes), is the file's bytes exactly. Anything else and the dataset stays in the
 * file's skeleton, as before: this never refuses a file. A chunk whose gzip stream is damaged is
 * kept too; h5py would fail to read it, and Coral gives it back as it was.
 *
 * <p>The chunks' places come from jhdf's chunk index (B-tree, fixed or extensible array, single
 * chunk: every layout libhdf5 writes), which jhdf keeps behind a protected method: read by
 * reflection, and where that is refused the dataset is kept. Reading each chunk twice (here, and
 * when its tensor is stored) and deflating it once again costs about what np.savez_compressed's
 * files cost: one deflate of the data.
 */
final class Hdf5ChunkedFinder {
    /** Levels tried when the declared one does not give the file's bytes, most likely first (as {@link DeflateReplay}). */
    private static final int[] LEVELS = {6, 4, 1, 9, 2, 3, 5, 7, 8};
    private static final Method CHUNK_LOOKUP = chunkLookup();
    /** The chunk index of a data layout message version 4 for one unlimited dimension. */
    private static final int EXTENSIBLE_ARRAY = 4;

    private Hdf5ChunkedFinder() {
    }

    private static Method chunkLookup() {
        try {
            Method m = ChunkedDatasetBase.class.getDeclaredMethod("getChunkLookup");
            m.setAccessible(true);
            return m;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null; // another jhdf: chunked datasets are kept
        }
    }

    /**
     * The dataset {@code d} (of {@code dims}, elements of {@code elemSize} bytes) as chunks
     * rebuilt exactly, offsets from {@code base}, which is byte {@code fileBase} of {@code file};
     * or empty.
     */
    static Optional<Hdf5Chunked> find(ChunkedDatasetBase d, long[] dims, int elemSize, boolean bigEndian, FileChannel file,
                                      long fileBase, String name) throws IOException {
        if (CHUNK_LOOKUP == null) {
            return Optional.empty();
        }
        Optional<List<Hdf5Chunked.Filter>> filters = filters(d, elemSize);
        if (filters.isEmpty()
                || filters.get().stream().anyMatch(f -> f.id() == Hdf5Chunked.DEFLATE) && !DeflateReplay.rebuildsZlibStreams()) {
            return Optional.empty();
        }
        int unlimited = swizzledDimension(d);
        if (unlimited < 0) {
            return Optional.empty();
        }
        int[] chunkDims = d.getChunkDimensions();
        Map<?, ?> lookup;
        try {
            lookup = (Map<?, ?>) CHUNK_LOOKUP.invoke(d);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return Optional.empty(); // an index jhdf cannot read: the dataset's bytes stay as they are
        }
        List<Hdf5Chunked.Chunk> chunks = new ArrayList<>(lookup.size());
        for (Object o : lookup.values()) {
            Chunk c = (Chunk) o;
            BitSet mask = c.getFilterMask();
            if (mask.length() > 31) {
                return Optional.empty();
            }
            int m = mask.isEmpty() ? 0 : (int) mask.toLongArray()[0];
            long[] origin = Arrays.stream(c.getChunkOffset()).asLongStream().toArray();
            if (unlimited > 0) {
                origin = unswizzled(origin, chunkDims, dims, unlimited);
                if (origin == null) {
                    return Optional.empty();
                }
            }
            chunks.add(new Hdf5Chunked.Chunk(c.getAddress(), c.getSize(), origin, m, 0, new byte[0]));
        }
        chunks.sort(Comparator.comparingLong(Hdf5Chunked.Chunk::offset));
        Hdf5Chunked shape = new Hdf5Chunked(dims, chunkDims, elemSize, bigEndian, filters.get(), chunks);
        try {
            shape.check();
        } catch (IllegalArgumentException | ArithmeticException e) {
            return Optional.empty(); // missing chunks, chunks out of band order, too large: kept
        }
        int declared = filters.get().stream().filter(f -> f.id() == Hdf5Chunked.DEFLATE).mapToInt(Hdf5Chunked.Filter::param)
                .findFirst().orElse(-1);
        // each chunk read, its filters undone and applied again, side by side on the common pool (one deflate each: most of an add)
        Hdf5Chunked.Chunk[] rebuilt = new Hdf5Chunked.Chunk[chunks.size()];
        boolean all;
        try {
            all = java.util.stream.IntStream.range(0, chunks.size()).parallel().allMatch(k -> {
                try {
                    Optional<Hdf5Chunked.Chunk> exact = rebuildFromFile(shape, chunks.get(k), file, fileBase, declared, name);
                    exact.ifPresent(c -> rebuilt[k] = c);
                    return exact.isPresent();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
        if (!all) {
            return Optional.empty();
        }
        return Optional.of(new Hdf5Chunked(dims, chunkDims, elemSize, bigEndian, filters.get(), List.of(rebuilt)));
    }

    /** Chunk {@code c} as read from the file, with the level and padding that rebuild it exactly; or empty. */
    private static Optional<Hdf5Chunked.Chunk> rebuildFromFile(Hdf5Chunked shape, Hdf5Chunked.Chunk c, FileChannel file, long fileBase,
                                                               int declared, String name) throws IOException {
        if (c.storedLength() > 2L * shape.chunkBytes() + 1024) {
            return Optional.empty(); // no filter of these grows a chunk so
        }
        byte[] stored = read(file, fileBase + c.offset(), c.storedLength());
        if (stored == null) {
            return Optional.empty(); // past the end: the walk refuses the file
        }
        byte[] raw;
        try {
            raw = shape.undoFilters(c, stored, name);
        } catch (CorruptObjectException e) {
            return Optional.empty();
        }
        return rebuild(shape, c, raw, stored, declared);
    }

    /** The chunk with the level and padding that rebuild {@code stored} from {@code raw}, or empty. */
    private static Optional<Hdf5Chunked.Chunk> rebuild(Hdf5Chunked shape, Hdf5Chunked.Chunk c, byte[] raw, byte[] stored, int declared) {
        byte[] padding = shape.paddingOf(c, raw);
        if (!shape.applies(c, Hdf5Chunked.DEFLATE)) {
            Hdf5Chunked.Chunk k = new Hdf5Chunked.Chunk(c.offset(), c.storedLength(), c.origin(), c.mask(), 0, padding);
            return Arrays.equals(shape.applyFilters(k, raw), stored) ? Optional.of(k) : Optional.empty();
        }
        List<Integer> levels = new ArrayList<>();
        if (declared >= 1) {
            levels.add(declared);
        }
        for (int l : LEVELS) {
            if (l != declared) {
                levels.add(l);
            }
        }
        for (int level : levels) {
            Hdf5Chunked.Chunk k = new Hdf5Chunked.Chunk(c.offset(), c.storedLength(), c.origin(), c.mask(), level, padding);
            if (Arrays.equals(shape.applyFilters(k, raw), stored)) {
                return Optional.of(k);
            }
            if (level == declared && stored.length > 1 && (stored[1] & 0xC0) == levelBits(level)) {
                return Optional.empty(); // the declared level's own header, yet other bytes: not zlib's deflate, no level will do
            }
        }
        return Optional.empty();
    }

    /**
     * For a dataset whose chunks an extensible array indexes (one unlimited dimension), that
     * dimension when it is not the first; 0 for any other dataset; -1 when the index cannot be
     * read right. libhdf5 numbers such chunks in C order with the unlimited dimension moved first
     * (H5VM_swizzle_coords), which jhdf 0.10.0 does not undo: it gives chunk number i the
     * coordinates of number i in plain C order, another chunk's (found by h5py's files in
     * Hdf5ChunkedTest, 2026-12-06: the file rebuilt byte for byte, its values in the wrong places).
     */
    private static int swizzledDimension(ChunkedDatasetBase d) {
        if (!d.getHeader().hasMessageOfType(DataLayoutMessage.class)
                || !(d.getHeader().getMessageOfType(DataLayoutMessage.class) instanceof DataLayoutMessage.ChunkedDataLayoutMessageV4 v4)) {
            return 0; // version 3: B-tree records name each chunk's coordinates
        }
        if (v4.getIndexingType() != EXTENSIBLE_ARRAY) {
            return 0;
        }
        long[] max = d.getMaxSize();
        int unlimited = -1;
        for (int i = 0; i < max.length; i++) {
            if (max[i] < 0) { // H5S_UNLIMITED
                if (unlimited >= 0) {
                    return -1; // an extensible array serves one unlimited dimension
                }
                unlimited = i;
            }
        }
        return unlimited;
    }

    /**
     * The true origin of the chunk jhdf placed at {@code origin}: its number in jhdf's plain C
     * order over the chunk grid, taken as libhdf5 numbers it, the grid in C order with dimension
     * {@code unlimited} moved first. Null when {@code origin} is not on the grid.
     */
    static long[] unswizzled(long[] origin, int[] chunkDims, long[] dims, int unlimited) {
        int rank = dims.length;
        if (origin.length != rank || chunkDims.length != rank) {
            return null;
        }
        long[] grid = new long[rank];
        long number = 0;
        for (int i = 0; i < rank; i++) {
            grid[i] = (dims[i] + chunkDims[i] - 1) / chunkDims[i];
            long g = origin[i] / chunkDims[i];
            if (origin[i] < 0 || origin[i] % chunkDims[i] != 0 || g >= grid[i]) {
                return null;
            }
            number = number * grid[i] + g;
        }
        int[] order = new int[rank]; // the swizzled order: the unlimited dimension, then the others as they were
        order[0] = unlimited;
        for (int i = 0, k = 1; i < rank; i++) {
            if (i != unlimited) {
                order[k++] = i;
            }
        }
        long[] out = new long[rank];
        for (int k = rank - 1; k >= 0; k--) {
            int dim = order[k];
            out[dim] = number % grid[dim] * chunkDims[dim];
            number /= grid[dim];
        }
        return out;
    }

    /** The FLEVEL bits zlib puts in a stream's second byte for {@code level}. */
    private static int levelBits(int level) {
        return level < 2 ? 0x00 : level < 6 ? 0x40 : level == 6 ? 0x80 : 0xC0;
    }

    /** The pipeline when every filter is one Coral rebuilds (gzip with a level, shuffle of this element size); else empty. */
    private static Optional<List<Hdf5Chunked.Filter>> filters(ChunkedDatasetBase d, int elemSize) {
        if (!d.getHeader().hasMessageOfType(FilterPipelineMessage.class)) {
            return Optional.of(List.of());
        }
        List<Hdf5Chunked.Filter> out = new ArrayList<>();
        for (FilterPipelineMessage.FilterInfo f : d.getHeader().getMessageOfType(FilterPipelineMessage.class).getFilters()) {
            int[] data = f.getData();
            if (f.getId() == Hdf5Chunked.DEFLATE && data != null && data.length == 1 && data[0] >= 0 && data[0] <= 9) {
                out.add(new Hdf5Chunked.Filter(Hdf5Chunked.DEFLATE, data[0]));
            } else if (f.getId() == Hdf5Chunked.SHUFFLE && data != null && data.length == 1 && data[0] == elemSize) {
                out.add(new Hdf5Chunked.Filter(Hdf5Chunked.SHUFFLE, elemSize));
            } else if (f.getId() == Hdf5Chunked.FLETCHER32 && (data == null || data.length == 0)) {
                out.add(new Hdf5Chunked.Filter(Hdf5Chunked.FLETCHER32, 0));
            } else {
                return Optional.empty();
            }
        }
        return Optional.of(out);
    }

    private static byte[] read(FileChannel file, long at, int n) throws IOException {
        byte[] out = new byte[n];
        ByteBuffer buf = ByteBuffer.wrap(out);
        while (buf.hasRemaining()) {
            if (file.read(buf, at + buf.position()) < 0) {
                return null;
            }
        }
        return out;
    }
}
