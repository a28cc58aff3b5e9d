package dev.coral.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.CorruptObjectException;
import dev.coral.tensor.DType;
import dev.coral.tensor.Shape;
import dev.coral.tensor.TensorSpec;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Chunked HDF5 datasets as tensors ({@link Hdf5Chunked}): seeded random datasets of any rank,
 * element size, byte order, chunk shape (edge chunks in every dimension, chunks larger than the
 * dataset), filter pipeline and per-chunk filter mask, with zero or other padding, written as
 * libhdf5 would and read back (the tensor's bytes), rebuilt (the file byte for byte, also through
 * encoded restore info) and their restore info damaged; then h5py's own random files, every chunked
 * dataset a tensor of h5py's values, restored byte for byte.
 */
class Hdf5ChunkedTest {
    @TempDir
    Path dir;

    static LongStream seeds() {
        return LongStream.range(0, 60).map(i -> 20261206L + i);
    }

    /** A random dataset and its tensor's bytes, laid out in a file of random gaps. */
    private record Case(Hdf5Layout layout, List<TestTensors.Mem> tensors, byte[] file) {
    }

    private static Case randomCase(Random r) throws Exception {
        int rank = 1 + r.nextInt(4);
        long[] dims = new long[rank];
        int[] chunkDims = new int[rank];
        for (int i = 0; i < rank; i++) {
            dims[i] = 1 + r.nextInt(rank == 1 ? 300 : rank == 2 ? 40 : 9);
            chunkDims[i] = 1 + r.nextInt((int) dims[i] + (r.nextInt(4) == 0 ? 3 : 0)); // now and then larger than the dataset
        }
        int elemSize = new int[] {1, 2, 4, 8}[r.nextInt(4)];
        boolean bigEndian = elemSize > 1 && r.nextBoolean();
        List<Hdf5Chunked.Filter> filters = new ArrayList<>();
        switch (r.nextInt(5)) {
            case 0 -> { }
            case 1 -> filters.add(new Hdf5Chunked.Filter(Hdf5Chunked.SHUFFLE, elemSize));
            case 2 -> filters.add(new Hdf5Chunked.Filter(Hdf5Chunked.DEFLATE, 1 + r.nextInt(9)));
            default -> {
                filters.add(new Hdf5Chunked.Filter(Hdf5Chunked.SHUFFLE, elemSize));
                filters.add(new Hdf5Chunked.Filter(Hdf5Chunked.DEFLATE, 1 + r.nextInt(9)));
            }
        }
        if (r.nextInt(4) == 0) {
            filters.add(new Hdf5Chunked.Filter(Hdf5Chunked.FLETCHER32, 0)); // libhdf5 puts it last: it checks the stored bytes
        }
        long elements = Arrays.stream(dims).reduce(1, (a, b) -> a * b);
        DType dtype = switch (elemSize) {
            case 1 -> DType.U8;
            case 2 -> r.nextBoolean() ? DType.F16 : DType.I16;
            case 4 -> r.nextBoolean() ? DType.F32 : DType.U32;
            default -> r.nextBoolean() ? DType.F64 : DType.I64;
        };
        byte[] data = new byte[(int) (elements * elemSize)];
        if (r.nextBoolean()) {
            r.nextBytes(data); // incompressible
        } else {
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (i % elemSize == elemSize - 1 ? 0x3C : r.nextInt(4)); // compressible
            }
        }
        long[] grid = new long[rank];
        long gridCount = 1;
        for (int i = 0; i < rank; i++) {
            grid[i] = (dims[i] + chunkDims[i] - 1) / chunkDims[i];
            gridCount *= grid[i];
        }
        // the chunks in grid order, with padding and masks as a writer may leave them
        Hdf5Chunked shape = new Hdf5Chunked(dims, chunkDims, elemSize, bigEndian, filters, List.of());
        List<Hdf5Chunked.Chunk> placeholders = new ArrayList<>();
        for (long k = 0; k < gridCount; k++) {
            long[] origin = new long[rank];
            long rest = k;
            for (int i = rank - 1; i >= 0; i--) {
                origin[i] = rest % grid[i] * chunkDims[i];
                rest /= grid[i];
            }
            int mask = filters.isEmpty() || r.nextInt(6) != 0 ? 0 : r.nextInt(1 << filters.size());
            placeholders.add(new Hdf5Chunked.Chunk(0, 0, origin, mask, 0, new byte[0]));
        }
        boolean shuffled = r.nextInt(4) == 0 && gridCount > 1; // chunks not band after band: the whole tensor one band
        if (shuffled) {
            java.util.Collections.shuffle(placeholders, r);
        }
        TestTensors.Mem tensor = new TestTensors.Mem("t", new TensorSpec(dtype, Shape.of(dims), false), data);
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        byte[] gap = new byte[64];
        List<Hdf5Chunked.Chunk> chunks = new ArrayList<>();
        Hdf5Chunked whole = new Hdf5Chunked(dims, chunkDims, elemSize, bigEndian, filters, placeholders);
        byte[] band = data; // gather reads the tensor through band-relative offsets: one band = all of it
        Hdf5Chunked oneBand = new Hdf5Chunked(dims, chunkDims, elemSize, bigEndian, filters, placeholders, false);
        for (Hdf5Chunked.Chunk p : placeholders) {
            Hdf5Chunked.Chunk withPadding = p;
            long padBytes = oneBand.paddingBytes(p);
            if (padBytes > 0 && r.nextBoolean()) {
                byte[] pad = new byte[(int) padBytes];
                r.nextBytes(pad);
                withPadding = new Hdf5Chunked.Chunk(0, 0, p.origin(), p.mask(), 0, pad);
            }
            int level = filters.stream().filter(f -> f.id() == Hdf5Chunked.DEFLATE).mapToInt(Hdf5Chunked.Filter::param).findFirst().orElse(0);
            Hdf5Chunked.Chunk leveled = new Hdf5Chunked.Chunk(0, 0, p.origin(), p.mask(), oneBand.applies(p, Hdf5Chunked.DEFLATE) ? level : 0,
                    withPadding.padding());
            byte[] stored = oneBand.applyFilters(leveled, oneBand.gather(leveled, band));
            r.nextBytes(gap);
            file.write(gap, 0, r.nextInt(gap.length));
            chunks.add(new Hdf5Chunked.Chunk(file.size(), stored.length, p.origin(), leveled.mask(), leveled.level(), leveled.padding()));
            file.write(stored);
        }
        r.nextBytes(gap);
        file.write(gap, 0, r.nextInt(gap.length));
        Hdf5Chunked dataset = new Hdf5Chunked(dims, chunkDims, elemSize, bigEndian, filters, chunks);
        assertEquals(whole.banded(), dataset.banded());
        assertTrue(shuffled || dataset.banded(), "grid order is band after band");
        dataset.check();
        dataset.checkLevels();
        byte[] bytes = file.toByteArray();
        Hdf5Layout cut = Hdf5Layout.cut(channelOf(bytes), bytes.length, List.of(new Hdf5Layout.Chunks(dataset)), "case");
        return new Case(cut, List.of(tensor), bytes);
    }

    private static FileChannel channelOf(byte[] bytes) throws Exception {
        Path p = Files.createTempFile("coral-chunked", ".bin");
        Files.write(p, bytes);
        p.toFile().deleteOnExit();
        return FileChannel.open(p);
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void randomChunkedDatasetsReadAsTheirTensorAndRebuildTheFileByteForByte(long seed) throws Exception {
        Case c = randomCase(new Random(seed));
        String at = "seed " + seed;
        Hdf5Chunked dataset = ((Hdf5Layout.Chunks) c.layout().tensors().get(0)).dataset();
        try (FileChannel ch = channelOf(c.file())) {
            Hdf5ChunkedSource source = new Hdf5ChunkedSource("t", c.tensors().get(0).spec(), ch, dataset, "case");
            try (InputStream in = source.openStream()) {
                assertArrayEquals(c.tensors().get(0).data(), in.readAllBytes(), at + ": the tensor read from the chunks");
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        c.layout().write(c.tensors(), out, "case");
        assertArrayEquals(c.file(), out.toByteArray(), at + ": the file rebuilt");
        Hdf5Layout again = Hdf5Layout.decode(c.layout().encode(), "case");
        ByteArrayOutputStream out2 = new ByteArrayOutputStream();
        again.write(c.tensors(), out2, "case");
        assertArrayEquals(c.file(), out2.toByteArray(), at + ": the file rebuilt from encoded restore info");
        assertEquals(Optional.empty(), c.layout().placement(), at + ": chunks are at no one place");
    }

    @Test
    void damagedChunkedRestoreInfoIsRefusedAsCorrupt() throws Exception {
        Random r = new Random(5);
        Case c;
        do {
            c = randomCase(r);
        } while (((Hdf5Layout.Chunks) c.layout().tensors().get(0)).dataset().chunks().size() < 3);
        byte[] info = c.layout().encode();
        for (int cut = 0; cut < info.length; cut++) {
            int n = cut;
            assertThrows(CorruptObjectException.class, () -> Hdf5Layout.decode(Arrays.copyOf(info, n), "info"), "cut at " + cut);
        }
        for (int k = 0; k < 300; k++) {
            byte[] bad = info.clone();
            bad[r.nextInt(bad.length)] ^= (byte) (1 + r.nextInt(255));
            assertThrows(CorruptObjectException.class, () -> Hdf5Layout.decode(bad, "info"), "damaged copy " + k);
        }
        // well checksummed, but describing what no writer makes: each refused by the checks decode runs
        Hdf5Chunked d = ((Hdf5Layout.Chunks) c.layout().tensors().get(0)).dataset();
        List<Hdf5Chunked.Chunk> chunks = d.chunks();
        List<Hdf5Chunked> lies = new ArrayList<>();
        lies.add(new Hdf5Chunked(d.dims(), d.chunkDims(), d.elemSize(), d.bigEndian(), d.filters(), chunks.subList(1, chunks.size())));
        List<Hdf5Chunked.Chunk> twice = new ArrayList<>(chunks);
        twice.set(1, chunks.get(0));
        lies.add(new Hdf5Chunked(d.dims(), d.chunkDims(), d.elemSize(), d.bigEndian(), d.filters(), twice, d.banded()));
        lies.add(new Hdf5Chunked(d.dims(), d.chunkDims(), d.elemSize(), d.bigEndian(),
                List.of(new Hdf5Chunked.Filter(4, 0)), chunks)); // szip: not rebuilt
        lies.add(new Hdf5Chunked(d.dims(), d.chunkDims(), d.elemSize(), d.bigEndian(),
                List.of(new Hdf5Chunked.Filter(Hdf5Chunked.DEFLATE, 10)), chunks));
        lies.add(new Hdf5Chunked(d.dims(), d.chunkDims(), d.elemSize(), d.bigEndian(), d.filters(), chunks, !d.banded()));
        long[] huge = d.dims().clone();
        huge[0] = 1L << 40;
        lies.add(new Hdf5Chunked(huge, d.chunkDims(), d.elemSize(), d.bigEndian(), d.filters(), chunks));
        for (Hdf5Chunked lie : lies) {
            Hdf5Layout layout = new Hdf5Layout(c.layout().fileSize(), List.of(new Hdf5Layout.Chunks(lie)), c.layout().skeleton());
            CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> Hdf5Layout.decode(layout.encode(), "info"));
            assertTrue(e.getMessage().startsWith("info: ") && !e.getMessage().contains("\n"), e.getMessage());
        }
    }

    @Test
    void aChunkThatDoesNotRebuildToItsLengthFailsTheRestoreNamingIt() throws Exception {
        Case c = randomCase(new Random(11));
        Hdf5Chunked d = ((Hdf5Layout.Chunks) c.layout().tensors().get(0)).dataset();
        List<Hdf5Chunked.Chunk> longer = new ArrayList<>();
        for (Hdf5Chunked.Chunk k : d.chunks()) {
            longer.add(new Hdf5Chunked.Chunk(k.offset(), k.storedLength(), k.origin(), k.mask(), k.level(), k.padding()));
        }
        Hdf5Chunked.Chunk first = longer.get(0);
        longer.set(0, new Hdf5Chunked.Chunk(first.offset(), first.storedLength() - 1, first.origin(), first.mask(), first.level(),
                first.padding()));
        Hdf5Layout layout = new Hdf5Layout(c.layout().fileSize(), List.of(new Hdf5Layout.Chunks(new Hdf5Chunked(d.dims(), d.chunkDims(),
                d.elemSize(), d.bigEndian(), d.filters(), longer, d.banded()))), new byte[(int) (c.layout().skeleton().length + 1)]);
        CorruptObjectException e = assertThrows(CorruptObjectException.class,
                () -> layout.write(c.tensors(), new ByteArrayOutputStream(), "HDF5 restore info"));
        assertTrue(e.getMessage().contains("rebuilds to") && e.getMessage().contains(Arrays.toString(first.origin())), e.getMessage());
    }

    @Test
    void otherValuesOfAGzipChunkedFileAreWrittenAnewWithItsMetadata() throws Exception {
        Hdf5Format h5 = new Hdf5Format();
        Path gz = TestdataInteropTest.testdata().resolve("h5_chunked.h5");
        try (ParsedWeightFile parsed = h5.read(gz)) {
            byte[] other = h5.forOtherValues(parsed.restoreInfo());
            assertTrue(Hdf5Anew.is(other), "gzip-compressed chunks take other values only in a file written anew");
            assertArrayEquals(other, h5.forOtherValues(other));
            Map<String, String> metadata = Map.of("keras_version", "2.15.0", "note", "ünïcode");
            byte[] anew = Hdf5Anew.encode(metadata);
            assertEquals(metadata, Hdf5Anew.decode(anew, "info"));
            for (int cut = 0; cut < anew.length; cut++) {
                int n = cut;
                assertThrows(CorruptObjectException.class, () -> Hdf5Anew.decode(Arrays.copyOf(anew, n), "info"), "cut at " + cut);
            }
            Random r = new Random(9);
            for (int k = 0; k < 200; k++) {
                byte[] bad = anew.clone();
                bad[4 + r.nextInt(bad.length - 4)] ^= (byte) (1 + r.nextInt(255));
                assertThrows(CorruptObjectException.class, () -> Hdf5Anew.decode(bad, "info"), "damaged copy " + k);
            }
            Path written = dir.resolve("anew.h5");
            try (java.io.OutputStream out = Files.newOutputStream(written)) {
                h5.restore(other, parsed.tensors(), out);
            }
            try (ParsedWeightFile again = h5.read(written)) {
                TestTensors.assertSameTensors(parsed.tensors(), again, "written anew");
                assertEquals(List.of(), again.keptAsBytes());
            }
        }
        try (ParsedWeightFile plain = h5.read(TestdataInteropTest.testdata().resolve("h5_keras_like.h5"))) {
            assertArrayEquals(plain.restoreInfo(), h5.forOtherValues(plain.restoreInfo()), "contiguous: the same layout takes other values");
        }
    }

    @Test
    void aKerasZipOfAChunkedHdf5ReadsItsTensorsAtTheirPlacesAndRestoresByteForByte() throws Exception {
        byte[] h5File = Files.readAllBytes(TestdataInteropTest.testdata().resolve("h5_chunked_latest.h5"));
        Path keras = dir.resolve("m.keras");
        Files.write(keras, KerasFormatTest.kerasFile(h5File, new Random(4)));
        Path alone = dir.resolve("m.h5");
        Files.write(alone, h5File);
        KerasFormat format = new KerasFormat();
        try (ParsedWeightFile inZip = format.read(keras); ParsedWeightFile asFile = new Hdf5Format().read(alone)) {
            assertEquals(asFile.keptAsBytes(), inZip.keptAsBytes());
            TestTensors.assertSameTensors(asFile.tensors(), inZip, "the weights member's chunked datasets");
            assertArrayEquals(Files.readAllBytes(keras), TestTensors.restore(format, inZip), "the .keras zip byte for byte");
        }
    }

    /**
     * h5py's dataset of shape (7, 5, 11) in chunks of (5, 4, 11), the second dimension unlimited:
     * libhdf5 numbers the 2 x 2 chunks with that dimension first, so its chunk 1 is at (0, 4, 0),
     * where jhdf, numbering in plain C order, puts it at (5, 0, 0).
     */
    @Test
    void jhdfsPlainOrderOfASwizzledExtensibleArrayIsUndone() {
        long[] dims = {7, 5, 11};
        int[] chunks = {5, 4, 11};
        assertArrayEquals(new long[] {0, 4, 0}, Hdf5ChunkedFinder.unswizzled(new long[] {5, 0, 0}, chunks, dims, 1));
        assertArrayEquals(new long[] {5, 0, 0}, Hdf5ChunkedFinder.unswizzled(new long[] {0, 4, 0}, chunks, dims, 1));
        assertArrayEquals(new long[] {0, 0, 0}, Hdf5ChunkedFinder.unswizzled(new long[] {0, 0, 0}, chunks, dims, 1));
        assertArrayEquals(new long[] {5, 4, 0}, Hdf5ChunkedFinder.unswizzled(new long[] {5, 4, 0}, chunks, dims, 1));
        assertEquals(null, Hdf5ChunkedFinder.unswizzled(new long[] {3, 0, 0}, chunks, dims, 1), "off the grid");
        // every chunk once, whatever the unlimited dimension
        long[] d4 = {3, 4, 5, 6};
        int[] c4 = {2, 3, 2, 4};
        for (int u = 1; u < 4; u++) {
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (long a = 0; a < 3; a += 2) {
                for (long b = 0; b < 4; b += 3) {
                    for (long c = 0; c < 5; c += 2) {
                        for (long e = 0; e < 6; e += 4) {
                            seen.add(Arrays.toString(Hdf5ChunkedFinder.unswizzled(new long[] {a, b, c, e}, c4, d4, u)));
                        }
                    }
                }
            }
            assertEquals(2 * 2 * 3 * 2, seen.size(), "unlimited dimension " + u);
        }
    }

    @Test
    void shuffleIsLibhdf5sByteTransposeAndUndoesItself() {
        byte[] in = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}; // two 4-byte elements and 3 bytes past them
        byte[] out = Hdf5Chunked.shuffle(in, 4);
        assertArrayEquals(new byte[] {1, 5, 2, 6, 3, 7, 4, 8, 9, 10, 11}, out);
        assertArrayEquals(in, Hdf5Chunked.unshuffle(out, 4));
        Random r = new Random(3);
        for (int k = 0; k < 200; k++) {
            byte[] b = new byte[r.nextInt(100)];
            r.nextBytes(b);
            int size = 1 + r.nextInt(8);
            assertArrayEquals(b, Hdf5Chunked.unshuffle(Hdf5Chunked.shuffle(b, size), size), "case " + k);
        }
    }

    private static final String H5PY_RANDOM = String.join("\n",
            "import sys, json, hashlib",
            "import h5py, numpy as np",
            "rng = np.random.default_rng(int(sys.argv[1]))",
            "out = {}",
            "codes = ['f2', 'f4', 'f8', 'i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4', 'u8', 'b1']",
            "for n in range(int(sys.argv[2])):",
            "    path = sys.argv[3] + '/r%d.h5' % n",
            "    rows = {}",
            "    with h5py.File(path, 'w', libver=['earliest', 'latest'][n % 2]) as f:",
            "        for k in range(1 + int(rng.integers(6))):",
            "            rank = 1 + int(rng.integers(3))",
            "            shape = tuple(int(x) for x in rng.integers(1, [400, 60, 12][rank - 1], rank))",
            "            chunks = tuple(int(rng.integers(1, s + 1)) for s in shape)",
            "            code = codes[int(rng.integers(len(codes)))]",
            "            order = '>' if rng.integers(3) == 0 and code not in ('i1', 'u1', 'b1') else '<'",
            "            if code == 'b1':",
            "                a = rng.integers(0, 2, shape).astype(bool)",
            "            elif code[0] == 'f':",
            "                a = (rng.standard_normal(shape) * 0.05).astype(order + code)",
            "            else:",
            "                a = rng.integers(0, 100, shape).astype(order + code)",
            "            kw = dict(chunks=chunks, track_times=False, shuffle=bool(rng.integers(2)), fletcher32=bool(rng.integers(4) == 0))",
            "            if rng.integers(4) != 0:",
            "                kw.update(compression='gzip', compression_opts=int(rng.integers(1, 10)))",
            "            if rng.integers(3) == 0:",
            "                kw.update(maxshape=tuple(None if rng.integers(2) else s for s in shape))",
            "            if rng.integers(4) == 0 and code not in ('b1',):",
            "                kw.update(fillvalue=np.array(3, dtype=a.dtype))",
            "            name = 'g%d/d%d' % (k % 2, k)",
            "            f.create_dataset(name, data=a, **kw)",
            "            le = a.astype(a.dtype.newbyteorder('<'), copy=False)",
            "            unlimited = [i for i, m in enumerate(kw.get('maxshape', ())) if m is None]",
            "            # an extensible array index (libver latest, one unlimited dimension) not on the first: libhdf5 numbers",
            "            # its chunks swizzled, which Coral undoes for jhdf (counted to show the case is made)",
            "            swizzled = n % 2 == 1 and len(unlimited) == 1 and unlimited[0] != 0",
            "            rows[name] = [list(a.shape), hashlib.sha256(le.tobytes()).hexdigest(), swizzled]",
            "    out[path] = rows",
            "print(json.dumps(out))");

    @Test
    @SuppressWarnings("unchecked")
    void h5pysRandomChunkedDatasetsAreTensorsOfItsValuesAndComeBackByteForByte() throws Exception {
        String python = dev.coral.testutil.Python.require("h5py, numpy", "chunked HDF5 interop",
                "Debian: apt-get install python3-h5py; .ci/run installs it");
        long seed = Long.getLong("coral.h5Seed", 20261206); // a longer run: -Dcoral.h5Seed=S -Dcoral.h5Files=N through coral.test.argLine
        int files = Integer.getInteger("coral.h5Files", 16);
        Map<String, Object> written = (Map<String, Object>) Json.parse(dev.coral.testutil.Python.output(
                List.of(python, "-c", H5PY_RANDOM, String.valueOf(seed), String.valueOf(files), dir.toString())));
        assertEquals(files, written.size());
        int datasets = 0;
        long swizzled = 0;
        Hdf5Format h5 = new Hdf5Format();
        for (Map.Entry<String, Object> e : written.entrySet()) {
            Path p = Path.of(e.getKey());
            Map<String, Object> rows = (Map<String, Object>) e.getValue();
            String at = p.getFileName() + " seed " + seed;
            try (ParsedWeightFile parsed = h5.read(p)) {
                assertEquals(List.of(), parsed.keptAsBytes(), at + ": every chunked dataset is a tensor");
                assertEquals(rows.size(), parsed.tensors().size(), at);
                swizzled += rows.values().stream().filter(r -> (Boolean) ((List<Object>) r).get(2)).count();
                for (TensorSource t : parsed.tensors()) {
                    List<Object> row = (List<Object>) rows.get(t.name());
                    long[] shape = ((List<Object>) row.get(0)).stream().mapToLong(x -> ((Number) x).longValue()).toArray();
                    assertArrayEquals(shape, t.spec().shape().dims(), at + " " + t.name() + " shape");
                    try (InputStream in = t.openStream()) {
                        assertEquals(row.get(1), TestTensors.sha256(in.readAllBytes()), at + " " + t.name() + ": h5py's values");
                    }
                    datasets++;
                }
                assertArrayEquals(Files.readAllBytes(p), TestTensors.restore(h5, parsed), at + ": restored byte for byte");
            }
        }
        System.out.println(files + " h5py files, seed " + seed + ": " + datasets + " chunked datasets read as h5py reads them, "
                + swizzled + " of them indexed by an extensible array on another than the first dimension");
        assertTrue(datasets >= 40 && swizzled >= 1, "datasets: " + datasets + ", swizzled: " + swizzled);
    }
}
