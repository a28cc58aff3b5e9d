package dev.coral.format;

import dev.coral.error.BadInputException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * HDF5 ({@code .h5}, {@code .hdf5}: Keras and h5py checkpoints). Each numeric dataset, contiguous
 * or chunked with shuffle, gzip and Fletcher-32 only ({@link Hdf5Chunked}: its chunks rebuilt at checkout), is a
 * tensor named by its path ({@code model_weights/dense/dense/kernel:0}); every other byte of
 * the file (metadata, attributes, datasets kept in the file's layout) is the restore info's
 * skeleton ({@link Hdf5Layout}), so a checkout is byte-identical. Big-endian datasets are stored
 * little-endian (so they deduplicate and delta-encode with little-endian ones) and swapped back.
 * Reading needs jhdf only to find the datasets: a file it cannot parse is refused, and any object
 * it does not understand stays in the skeleton.
 */
public final class Hdf5Format implements WeightFileFormat {
    static final String RESTORE_WHERE = "HDF5 restore info";

    @Override
    public String name() {
        return "hdf5";
    }

    @Override
    public List<String> extensions() {
        return List.of("h5", "hdf5");
    }

    @Override
    public ParsedWeightFile read(Path file) throws IOException {
        String where = file.toString();
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            long fileSize = ch.size();
            return parse(ch, fileSize, 0, Hdf5Datasets.walk(ch, 0, fileSize, where), where);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * The tensors of {@code walk} (of HDF5 data starting at byte {@code h5Start} of the file read
     * through {@code ch}) and the file's other bytes, as a parsed file of {@link Hdf5Layout}
     * restore info. Shared with {@link KerasFormat}, whose HDF5 is a member of a zip.
     */
    static ParsedWeightFile parse(FileChannel ch, long fileSize, long h5Start, Hdf5Datasets.Walk walk, String where) throws IOException {
        List<TensorSource> tensors = new ArrayList<>();
        List<Hdf5Layout.Stored> stored = new ArrayList<>();
        long end = h5Start;
        for (Hdf5Datasets.Found f : walk.tensors()) {
            if (f.chunked() != null) {
                Hdf5Chunked chunked = f.chunked().shifted(h5Start);
                tensors.add(new Hdf5ChunkedSource(f.name(), f.spec(), ch, chunked, where));
                stored.add(new Hdf5Layout.Chunks(chunked));
                continue;
            }
            long size = f.spec().byteSize();
            long offset = size == 0 ? end : h5Start + f.fileOffset();
            tensors.add(new ChannelTensorSource(f.name(), f.spec(), ch, offset, f.bigEndian(), where));
            stored.add(new Hdf5Layout.Range(offset, size, f.bigEndian() ? f.spec().dtype().swapUnitBytes() : 1));
            end = offset + size;
        }
        if (ch.size() != fileSize) {
            throw new BadInputException(where + ": the file changed size while it was read");
        }
        Hdf5Layout layout = Hdf5Layout.cut(ch, fileSize, stored, walk.metadata(), where);
        return new ChannelParsedFile(ch, layout.encode(), walk.metadata(), tensors, walk.kept());
    }

    @Override
    public void restore(byte[] restoreInfo, List<? extends TensorSource> tensors, OutputStream out) throws IOException {
        if (Hdf5Anew.is(restoreInfo)) {
            new Hdf5Writer(RESTORE_WHERE).write(tensors, Hdf5Anew.decode(restoreInfo, RESTORE_WHERE), out);
            return;
        }
        Hdf5Layout layout = Hdf5Layout.decode(restoreInfo, RESTORE_WHERE);
        layout.check(tensors, RESTORE_WHERE);
        if (layout.deflates() && !DeflateReplay.rebuildsZlibStreams()) {
            throw new BadInputException(RESTORE_WHERE + ": the file's gzip-compressed chunks cannot be rebuilt byte for byte here:"
                    + " this machine's deflate is not zlib's; export its tensors instead (coral export REV:PATH -o OUT.safetensors)");
        }
        layout.write(tensors, out, RESTORE_WHERE);
    }

    /**
     * A file with gzip-compressed chunks is read again by deflating every chunk again (about 1 s of
     * both cores for 84 MB): a touched but unchanged one is better compared by its SHA-256.
     */
    @Override
    public boolean readsAgainSlowly(byte[] restoreInfo) {
        if (Hdf5Anew.is(restoreInfo)) {
            return false;
        }
        try {
            return Hdf5Layout.decode(restoreInfo, RESTORE_WHERE).deflates();
        } catch (java.io.IOException e) {
            return false; // read again, which says what is wrong
        }
    }

    /**
     * For a file whose chunks are gzip-compressed, a file of the same tensors written anew
     * ({@link Hdf5Anew}: other values compress to other lengths, which the file's B-trees do not
     * allow); else the restore info itself (every tensor's bytes keep their length).
     */
    @Override
    public byte[] forOtherValues(byte[] restoreInfo) throws IOException {
        if (Hdf5Anew.is(restoreInfo)) {
            return restoreInfo;
        }
        Hdf5Layout layout = Hdf5Layout.decode(restoreInfo, RESTORE_WHERE);
        return layout.deflates() ? Hdf5Anew.encode(layout.metadata()) : restoreInfo;
    }

    /**
     * The tensors at their places between the skeleton's bytes, when each lies in the file as one
     * range and none was stored big-endian (swapped back); else empty.
     */
    @Override
    public Optional<TensorPlacement> placement(byte[] restoreInfo, List<? extends TensorSource> tensors) throws IOException {
        if (Hdf5Anew.is(restoreInfo)) {
            return Optional.empty();
        }
        Hdf5Layout layout = Hdf5Layout.decode(restoreInfo, RESTORE_WHERE);
        layout.check(tensors, RESTORE_WHERE);
        return layout.placement();
    }

    /** Writes a new HDF5 file of {@code tensors} ({@link Hdf5Writer}); the metadata become string attributes of the root group. */
    @Override
    public void write(List<? extends TensorSource> tensors, Map<String, String> metadata, OutputStream out) throws IOException {
        new Hdf5Writer("hdf5 export").write(tensors, metadata, out);
    }
}
