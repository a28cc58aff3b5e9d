package dev.coral.format;

import dev.coral.error.BadInputException;
import dev.coral.tensor.DType;
import dev.coral.tensor.Shape;
import dev.coral.tensor.TensorSpec;
import io.jhdf.HdfFile;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import io.jhdf.api.dataset.ContiguousDataset;
import io.jhdf.dataset.chunked.ChunkedDatasetBase;
import io.jhdf.object.datatype.DataType;
import io.jhdf.object.datatype.EnumDataType;
import io.jhdf.object.datatype.FixedPoint;
import io.jhdf.object.datatype.FloatingPoint;
import io.jhdf.object.datatype.StringData;
import io.jhdf.object.message.DataLayout;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Finds, with jhdf, the datasets of an HDF5 file that Coral stores as tensors: datasets of a plain
 * numeric type, or of Keras 3's bfloat16 (an opaque 2-byte type marked {@code dtype="bfloat16"}),
 * either contiguous (their elements lie in the file as one run of bytes) or chunked with no
 * filters but shuffle, gzip and Fletcher-32, every chunk of which rebuilds exactly ({@link Hdf5ChunkedFinder}).
 * Every other dataset (compact, strings, compound, references, other opaque types, other
 * filters, unallocated) is "kept": its bytes stay in the file's skeleton, restored exactly
 * but neither deduplicated nor delta-encoded.
 *
 * <p>The walk is depth-first with each group's links in byte order of their names (libhdf5's name
 * index, so h5py's {@code visititems} order); a dataset reachable under several names (hard links)
 * is taken once, under the first; soft and external links are not followed. Correctness does not
 * rest on jhdf understanding every object: whatever it does not find stays in the skeleton.
 */
final class Hdf5Datasets {
    /**
     * A dataset stored as a tensor: its name (path without the leading '/'), what its bytes mean,
     * where they are (a chunked dataset's: its first chunk; {@code chunked} then says where each
     * chunk is, else null).
     */
    record Found(String name, TensorSpec spec, long fileOffset, boolean bigEndian, Hdf5Chunked chunked) {
    }

    private final List<Found> found = new ArrayList<>();
    private final List<String> kept = new ArrayList<>();
    private final Set<Long> visited = new HashSet<>();

    private final OpaqueAsStringChannel view;
    private final FileChannel file;
    private final long start;

    private Hdf5Datasets(OpaqueAsStringChannel view, FileChannel file, long start) {
        this.view = view;
        this.file = file;
        this.start = start;
    }

    /**
     * The tensors of {@code file} in file order (those of no bytes last), the names of the datasets
     * kept in the skeleton, and the root group's scalar string attributes (Keras' {@code keras_version},
     * {@code backend}, {@code model_config}) as the file's metadata, by name.
     */
    record Walk(List<Found> tensors, List<String> kept, Map<String, String> metadata) {
    }

    /**
     * The walk of the HDF5 data of {@code size} bytes from byte {@code start} of the file read
     * through {@code file} (a whole .h5 file, or a member of a {@code .keras} zip): offsets are from
     * the data's first byte. jhdf reads it through an {@link OpaqueAsStringChannel}, so a group
     * holding Keras' bfloat16 variables is read; {@code file} stays open.
     */
    static Walk walk(FileChannel file, long start, long size, String where) throws BadInputException {
        OpaqueAsStringChannel view = new OpaqueAsStringChannel(file, start, size);
        Hdf5Datasets w = new Hdf5Datasets(view, file, start);
        Map<String, String> metadata;
        try {
            // not closed: HdfFile.close() closes the view (which leaves the file open) and then names the file it was opened
            // from, which one opened from a channel has not (it throws); no external file is opened (links not followed)
            HdfFile hdf = new HdfFile(view); // jhdf's constructors signal a malformed file with runtime exceptions
            long base = hdf.getUserBlockSize();
            w.visit(hdf, base, size, where);
            metadata = stringAttributes(hdf);
        } catch (BadInputException e) {
            throw e;
        } catch (IOException | RuntimeException | StackOverflowError | OutOfMemoryError e) {
            // jhdf signals a malformed file with HdfException and, on lying sizes, with whatever the JDK throws
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new BadInputException(where + ": not a readable HDF5 file: " + why, e);
        } catch (InternalError e) { // the JVM's word for a mapped page that is gone: the file was cut while it was read
            throw new BadInputException(where + ": the file changed while it was read (" + e.getMessage() + ")");
        }
        List<Found> ordered = new ArrayList<>(w.found);
        ordered.sort(Comparator.comparing((Found f) -> f.spec().byteSize() == 0).thenComparingLong(Found::fileOffset));
        List<String> kept = new ArrayList<>(w.kept);
        if (openBandBytes(ordered, size) > Hdf5Layout.MAX_OPEN_BAND_BYTES) { // chunked datasets interleaved in the file: kept, as before
            ordered.removeIf(f -> f.chunked() != null && kept.add(f.name()));
        }
        checkDisjoint(ordered, size, where);
        return new Walk(List.copyOf(ordered), List.copyOf(kept), metadata);
    }

    private static Map<String, String> stringAttributes(Group root) {
        Map<String, String> out = new java.util.TreeMap<>();
        for (Map.Entry<String, io.jhdf.api.Attribute> e : root.getAttributes().entrySet()) {
            try {
                io.jhdf.api.Attribute a = e.getValue();
                if (a.isScalar() && a.getJavaType() == String.class && a.getData() instanceof String value) {
                    out.put(e.getKey(), value);
                }
            } catch (io.jhdf.exceptions.HdfException ignored) {
                // an attribute jhdf cannot decode is not metadata; its bytes stay in the skeleton
            }
        }
        return out;
    }

    private void visit(Group group, long base, long fileSize, String where) throws IOException {
        if (!visited.add(group.getAddress())) {
            return;
        }
        Map<String, Node> all;
        try {
            all = group.getChildren();
        } catch (io.jhdf.exceptions.HdfException e) {
            // a group jhdf cannot read (before OpaqueAsStringChannel, one holding an opaque dataset with no tag, h5py's for a
            // numpy 'V' dtype and so Keras' bfloat16 variables, refused the whole file): its datasets stay in the skeleton,
            // restored exactly: named 'group/*'
            String path = group.getPath().replaceAll("^/+|/+$", "");
            kept.add(path.isEmpty() ? "*" : path + "/*");
            return;
        }
        List<Map.Entry<String, Node>> children = new ArrayList<>(all.entrySet());
        children.sort(Map.Entry.comparingByKey(Hdf5Datasets::compareUtf8));
        for (Map.Entry<String, Node> child : children) {
            Node node = child.getValue();
            if (node.isLink()) {
                continue; // soft or external: the object it names, if any, is found under its own name
            }
            if (node instanceof Group g) {
                visit(g, base, fileSize, where);
            } else if (node instanceof Dataset d && visited.add(d.getAddress())) {
                classify(d, base, fileSize, where);
            }
        }
    }

    private void classify(Dataset d, long base, long fileSize, String where) throws IOException {
        String name = d.getPath().startsWith("/") ? d.getPath().substring(1) : d.getPath();
        Optional<Found> f;
        try {
            f = asTensor(d, name, base);
        } catch (io.jhdf.exceptions.HdfException e) {
            f = Optional.empty(); // a dataset jhdf cannot describe stays in the skeleton, restored as it is
        }
        if (f.isEmpty()) {
            kept.add(name);
            return;
        }
        Found t = f.get();
        long size = t.chunked() != null ? 0 : t.spec().byteSize();
        if (size > 0 && (t.fileOffset() < 0 || t.fileOffset() > fileSize - size)) {
            throw new BadInputException(where + ": dataset '" + name + "' claims " + size + " bytes at offset " + t.fileOffset()
                    + ", past the end of the " + fileSize + "-byte file");
        }
        found.add(t);
    }

    private Optional<Found> asTensor(Dataset d, String name, long base) throws IOException {
        boolean contiguous = d instanceof ContiguousDataset && d.getDataLayout() == DataLayout.CONTIGUOUS;
        boolean chunked = d instanceof ChunkedDatasetBase && d.getDataLayout() == DataLayout.CHUNKED;
        if (!contiguous && !chunked || d.isCompound() || d.isVariableLength()) {
            return Optional.empty();
        }
        DataType type = d.getDataType();
        Optional<DType> dtype = type instanceof StringData && view.patchedIn(base + d.getAddress()) ? bfloat16(d) : dtypeOf(type);
        if (dtype.isEmpty()) {
            return Optional.empty();
        }
        long[] dims = Arrays.stream(d.getDimensions()).asLongStream().toArray();
        if (d.isEmpty() && (dims.length == 0 || Arrays.stream(dims).allMatch(n -> n > 0))) {
            return Optional.empty(); // a null dataspace (H5S_NULL): no elements and no shape, kept as it is
        }
        Shape shape;
        try {
            shape = d.isScalar() ? Shape.scalar() : Shape.of(dims);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(name + ": shape " + Arrays.toString(dims) + " is not a valid tensor shape: " + e.getMessage());
        }
        TensorSpec spec = new TensorSpec(dtype.get(), shape, false);
        boolean bigEndian = type instanceof FixedPoint fx ? fx.getByteOrder() == ByteOrder.BIG_ENDIAN
                : type instanceof FloatingPoint fp && fp.getByteOrder() == ByteOrder.BIG_ENDIAN;
        bigEndian = bigEndian && dtype.get().swapUnitBytes() > 1;
        if (chunked) {
            if (spec.byteSize() == 0 || d.isScalar()) {
                return Optional.empty();
            }
            Optional<Hdf5Chunked> layout = Hdf5ChunkedFinder.find((ChunkedDatasetBase) d, dims, dtype.get().elementBytes(), bigEndian,
                    file, start + base, name);
            return layout.map(l -> new Found(name, spec, base + l.chunks().get(0).offset(), l.bigEndian(), l.shifted(base)));
        }
        long address = ((ContiguousDataset) d).getDataAddress();
        if (spec.byteSize() == 0) {
            return Optional.of(new Found(name, spec, Long.MAX_VALUE, false, null));
        }
        if (address == io.jhdf.Constants.UNDEFINED_ADDRESS) {
            return Optional.empty(); // never written: reads give the fill value, and the file holds no bytes of it
        }
        return Optional.of(new Found(name, spec, base + address, bigEndian, null));
    }

    /**
     * BF16 for an opaque dataset ({@link OpaqueAsStringChannel} reads its type as a string) of 2-byte
     * elements marked as Keras marks its bfloat16 variables (saving_lib's H5IOStore: a string
     * attribute {@code dtype = "bfloat16"}; ml_dtypes' bfloat16 is little-endian); any other opaque
     * dataset is kept in the skeleton.
     */
    private static Optional<DType> bfloat16(Dataset d) {
        if (d.getDataType().getSize() != 2 || !d.getAttributes().containsKey("dtype")) {
            return Optional.empty();
        }
        io.jhdf.api.Attribute marker = d.getAttribute("dtype");
        return marker.isScalar() && marker.getJavaType() == String.class && "bfloat16".equals(marker.getData())
                ? Optional.of(DType.BF16) : Optional.empty();
    }

    /**
     * The Coral dtype of an HDF5 type whose bytes are plain elements: IEEE half/single/double
     * (and bfloat16's layout), integers of 1-8 bytes using every bit, and h5py's bool (an enum
     * of one byte, FALSE = 0 and TRUE = 1). Anything else (padding bits, other float layouts,
     * strings, references) is kept in the skeleton.
     */
    static Optional<DType> dtypeOf(DataType type) {
        if (type instanceof FloatingPoint f) {
            int bits = f.getSize() * 8;
            if (f.getBitOffset() != 0 || f.getBitPrecision() != bits || f.getSignLocation() != bits - 1
                    || f.getMantissaLocation() != 0 || f.getExponentLocation() != f.getMantissaSize()
                    || f.getMantissaNormalization() != 2) {
                return Optional.empty();
            }
            int e = f.getExponentSize();
            int m = f.getMantissaSize();
            int bias = f.getExponentBias();
            if (bits == 16 && e == 5 && m == 10 && bias == 15) {
                return Optional.of(DType.F16);
            }
            if (bits == 16 && e == 8 && m == 7 && bias == 127) {
                return Optional.of(DType.BF16);
            }
            if (bits == 32 && e == 8 && m == 23 && bias == 127) {
                return Optional.of(DType.F32);
            }
            if (bits == 64 && e == 11 && m == 52 && bias == 1023) {
                return Optional.of(DType.F64);
            }
            return Optional.empty();
        }
        if (type instanceof FixedPoint x) {
            int bytes = x.getSize();
            if (x.getBitOffset() != 0 || x.getBitPrecision() != bytes * 8) {
                return Optional.empty();
            }
            return switch (bytes) {
                case 1 -> Optional.of(x.isSigned() ? DType.I8 : DType.U8);
                case 2 -> Optional.of(x.isSigned() ? DType.I16 : DType.U16);
                case 4 -> Optional.of(x.isSigned() ? DType.I32 : DType.U32);
                case 8 -> Optional.of(x.isSigned() ? DType.I64 : DType.U64);
                default -> Optional.empty();
            };
        }
        if (type instanceof EnumDataType en && en.getSize() == 1 && en.getBaseType() instanceof FixedPoint
                && Map.of(0, "FALSE", 1, "TRUE").equals(en.getEnumMapping())) {
            return Optional.of(DType.BOOL);
        }
        return Optional.empty();
    }

    /** The layout of the tensors found, offsets from the data's first byte: a range each, or the chunks of a chunked dataset. */
    private static Hdf5Layout layoutOf(List<Found> ordered, long size) {
        List<Hdf5Layout.Stored> stored = new ArrayList<>();
        for (Found f : ordered) {
            stored.add(f.chunked() != null ? new Hdf5Layout.Chunks(f.chunked())
                    : new Hdf5Layout.Range(f.spec().byteSize() == 0 ? 0 : f.fileOffset(), f.spec().byteSize(), 1));
        }
        return new Hdf5Layout(size, stored, new byte[0]);
    }

    private static long openBandBytes(List<Found> ordered, long size) {
        return layoutOf(ordered, size).openBandBytes();
    }

    /** Refuses, naming the datasets, bytes two of them claim or bytes past the end of the data. */
    private static void checkDisjoint(List<Found> ordered, long size, String where) throws BadInputException {
        Hdf5Layout.Piece previous = null;
        for (Hdf5Layout.Piece p : layoutOf(ordered, size).unchecked()) {
            if (p.length() == 0) {
                continue; // an empty tensor's place claims no bytes
            }
            String name = ordered.get(p.tensor()).name();
            if (p.offset() < 0 || p.offset() > size - p.length()) {
                throw new BadInputException(where + ": dataset '" + name + "' claims " + p.length() + " bytes at offset " + p.offset()
                        + ", past the end of the " + size + "-byte file");
            }
            if (previous != null && p.offset() < previous.offset() + previous.length()) {
                throw new BadInputException(where + ": datasets '" + ordered.get(previous.tensor()).name() + "' and '" + name
                        + "' claim overlapping bytes (at offset " + p.offset() + "): not a valid HDF5 file");
            }
            previous = p;
        }
    }

    private static int compareUtf8(String a, String b) {
        return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }
}
