package dev.coral.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import dev.coral.error.CorruptObjectException;
import dev.coral.tensor.DType;
import dev.coral.tensor.Shape;
import dev.coral.tensor.TensorSpec;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The HDF5 format: Coral's writer and reader round-trip any tensor of the dtypes HDF5 export
 * holds, bit-exact, and a file read restores byte for byte; h5py's files (testdata) keep what
 * they should in the skeleton; bad files are one clear error naming the file.
 */
class Hdf5FormatTest {
    private static final Hdf5Format H5 = new Hdf5Format();
    private static final List<DType> EXPORTED = List.of(DType.BOOL, DType.U8, DType.U16, DType.U32, DType.U64, DType.I8,
            DType.I16, DType.I32, DType.I64, DType.F16, DType.BF16, DType.F32, DType.F64);

    @TempDir
    Path dir;

    static Stream<Long> seeds() {
        return java.util.stream.LongStream.range(0, 60).boxed();
    }

    /** Random tensors under random group paths, every exported dtype (random bits: NaN payloads, -0.0, inf, subnormals). */
    static List<TestTensors.Mem> randomModel(Random r) {
        List<TestTensors.Mem> tensors = new ArrayList<>();
        int n = r.nextInt(8);
        String[] groups = {"", "a/", "a/b/", "layer.0/", "model_weights/dense/dense/", "é/"};
        for (int i = 0; i < n; i++) {
            DType t = EXPORTED.get(r.nextInt(EXPORTED.size()));
            TestTensors.Mem m = TestTensors.randomTensor(r, groups[r.nextInt(groups.length)] + "w" + i + (r.nextBoolean() ? ":0" : ""),
                    t, r.nextInt(4) == 0);
            if (t == DType.BOOL) { // HDF5's bool is an enum of 0 and 1
                byte[] d = m.data();
                for (int k = 0; k < d.length; k++) {
                    d[k] &= 1;
                }
            }
            tensors.add(m);
        }
        return tensors;
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void writtenTensorsReadBackBitExactAndTheFileRestoresByteForByte(long seed) throws Exception {
        Random r = new Random(seed);
        List<TestTensors.Mem> tensors = randomModel(r);
        Map<String, String> metadata = r.nextBoolean() ? Map.of() : Map.of("format", "pt", "note", "seed " + seed, "empty", "");
        byte[] file = write(tensors, metadata);
        Path p = dir.resolve("m" + seed + ".h5");
        Files.write(p, file);
        String at = "seed " + seed;
        try (ParsedWeightFile parsed = H5.read(p)) {
            // file order: by data offset, those without bytes after the others (in the walk's order: by name)
            List<TestTensors.Mem> expected = new ArrayList<>();
            tensors.stream().filter(m -> m.spec().byteSize() > 0).map(Hdf5FormatTest::cOrder).forEach(expected::add);
            int withBytes = expected.size();
            List<String> empties = parsed.tensors().subList(withBytes, parsed.tensors().size()).stream().map(TensorSource::name).toList();
            for (String name : empties) {
                tensors.stream().filter(m -> m.name().equals(name) && m.spec().byteSize() == 0).map(Hdf5FormatTest::cOrder)
                        .forEach(expected::add);
            }
            TestTensors.assertSameTensors(expected, parsed, at);
            assertEquals(new java.util.TreeMap<>(metadata), parsed.metadata(), at);
            assertArrayEquals(file, TestTensors.restore(H5, parsed), at + ": restore must give the file back byte for byte");
        }
    }

    /** The tensor as the export writes it: C order. */
    private static TestTensors.Mem cOrder(TestTensors.Mem m) {
        if (!FortranToC.needed(m.spec())) {
            return new TestTensors.Mem(m.name(), new TensorSpec(m.spec().dtype(), m.spec().shape(), false), m.data());
        }
        try (var in = FortranToC.openTransposed(m, "test")) {
            return new TestTensors.Mem(m.name(), new TensorSpec(m.spec().dtype(), m.spec().shape(), false), in.readAllBytes());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static byte[] write(List<? extends TensorSource> tensors, Map<String, String> metadata) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        H5.write(tensors, metadata, out);
        return out.toByteArray();
    }

    @Test
    void exportRefusesWhatHdf5CannotHoldNamingTheTensor() {
        for (DType t : DType.values()) {
            if (EXPORTED.contains(t) || !t.isByteAligned()) {
                continue;
            }
            TestTensors.Mem m = new TestTensors.Mem("odd", TensorSpec.of(t, 2), new byte[(int) TensorSpec.of(t, 2).byteSize()]);
            BadInputException e = assertThrows(BadInputException.class, () -> write(List.of(m), Map.of()), t.name());
            assertTrue(e.getMessage().contains("'odd'") && e.getMessage().contains(t.name()), e.getMessage());
        }
        TestTensors.Mem a = new TestTensors.Mem("a", TensorSpec.of(DType.F32, 1), new byte[4]);
        TestTensors.Mem ab = new TestTensors.Mem("a/b", TensorSpec.of(DType.F32, 1), new byte[4]);
        for (List<TestTensors.Mem> bad : List.of(List.of(a, ab), List.of(ab, a), List.of(a, a),
                List.of(new TestTensors.Mem("x//y", TensorSpec.of(DType.F32, 1), new byte[4])),
                List.of(new TestTensors.Mem("/x", TensorSpec.of(DType.F32, 1), new byte[4])),
                List.of(new TestTensors.Mem("x/", TensorSpec.of(DType.F32, 1), new byte[4])))) {
            BadInputException e = assertThrows(BadInputException.class, () -> write(bad, Map.of()), bad.toString());
            assertTrue(e.getMessage().startsWith("hdf5 export: tensor"), e.getMessage());
        }
        assertThrows(BadInputException.class, () -> write(List.of(a), Map.of("", "x")));
        assertThrows(BadInputException.class, () -> write(List.of(a), Map.of("big", "x".repeat(70_000))));
    }

    @Test
    void h5pyFilesKeepInTheirLayoutWhatIsNoPlainContiguousDatasetAndSaySo() throws Exception {
        Map<String, Object> expected = TestdataInteropTest.expected();
        for (Map.Entry<String, Object> e : expected.entrySet()) {
            Map<?, ?> file = (Map<?, ?>) e.getValue();
            if (!"hdf5".equals(file.get("format")) && !"keras".equals(file.get("format"))) {
                continue;
            }
            Path p = TestdataInteropTest.testdata().resolve(e.getKey());
            WeightFileFormat format = WeightFormats.forPath(p).orElseThrow();
            try (ParsedWeightFile parsed = format.read(p)) {
                assertEquals(file.get("kept"), parsed.keptAsBytes(), e.getKey());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h5_keras_like.h5", "h5_dtypes.h5", "h5_latest.h5", "h5_mixed_layouts.h5", "h5_chunked.h5", "h5_chunked_latest.h5"})
    void truncatedFilesAreRefusedNamingTheFile(String name) throws Exception {
        byte[] whole = Files.readAllBytes(TestdataInteropTest.testdata().resolve(name));
        Random r = new Random(name.hashCode());
        List<Integer> cuts = new ArrayList<>(List.of(0, 1, 8, 47, whole.length / 2, whole.length - 1));
        IntStream.range(0, 6).forEach(i -> cuts.add(r.nextInt(whole.length)));
        for (int cut : cuts) {
            Path p = dir.resolve("cut" + cut + "-" + name);
            Files.write(p, Arrays.copyOf(whole, cut));
            try (ParsedWeightFile parsed = H5.read(p)) {
                // jhdf need not notice every cut (free space at the end); then the file must still restore as it is
                assertArrayEquals(Arrays.copyOf(whole, cut), TestTensors.restore(H5, parsed), name + " cut at " + cut);
            } catch (BadInputException e) {
                assertTrue(e.getMessage().contains(p.getFileName().toString()) && !e.getMessage().contains("\n"), e.getMessage());
            }
        }
        Path empty = dir.resolve("empty.h5");
        Files.write(empty, new byte[0]);
        TestTensors.assertBad(H5, empty, "HDF5");
        Path text = dir.resolve("text.h5");
        Files.writeString(text, "not an HDF5 file at all\n".repeat(20));
        TestTensors.assertBad(H5, text, "not a readable HDF5 file");
    }

    /**
     * Any byte of an h5py file or of Coral's changed at random: reading either fails with one line
     * naming the file, or succeeds and gives the damaged file back byte for byte (whatever jhdf
     * misreads stays in the skeleton). No other exception, no hang.
     */
    @ParameterizedTest
    @ValueSource(strings = {"h5_keras_like.h5", "h5_dtypes.h5", "h5_latest.h5", "h5_mixed_layouts.h5", "h5_chunked.h5",
            "h5_chunked_latest.h5", "coral"})
    @org.junit.jupiter.api.Timeout(120)
    void aFileWithRandomBytesChangedIsRefusedOrRestoredAsItIs(String name) throws Exception {
        byte[] whole = name.equals("coral") ? write(randomModel(new Random(7)), Map.of("k", "v"))
                : Files.readAllBytes(TestdataInteropTest.testdata().resolve(name));
        int rounds = TestTensors.damageRounds(150);
        int refused = TestTensors.damagedCopiesRefusedOrRestored(H5, whole, name.hashCode(), rounds, dir.resolve("damaged.h5"));
        System.out.println(name + ": " + refused + " of " + rounds + " damaged files refused, the others restored as they were");
    }

    @Test
    void aDatasetClaimingBytesPastTheEndOrAnothersBytesIsRefused() throws Exception {
        TestTensors.Mem a = new TestTensors.Mem("a", TensorSpec.of(DType.F32, 16), new byte[64]);
        TestTensors.Mem b = new TestTensors.Mem("b", TensorSpec.of(DType.F32, 16), new byte[64]);
        Arrays.fill(a.data(), (byte) 1);
        Arrays.fill(b.data(), (byte) 2);
        byte[] file = write(List.of(a, b), Map.of());
        long aAt = file.length - 128;
        long bAt = file.length - 64;
        // the layout message holds each address once: move b's onto a's, then far past the end
        byte[] overlapping = replaceLong(file, bAt, aAt);
        Path p = dir.resolve("overlap.h5");
        Files.write(p, overlapping);
        TestTensors.assertBad(H5, p, "overlapping");
        Path q = dir.resolve("past.h5");
        Files.write(q, replaceLong(file, bAt, 1L << 40));
        TestTensors.assertBad(H5, q, "past the end");
    }

    /** {@code file} with the one 8-byte little-endian occurrence of {@code from} replaced by {@code to}, checksums made good again. */
    private static byte[] replaceLong(byte[] file, long from, long to) {
        byte[] out = file.clone();
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        int found = -1;
        for (int i = 48; i + 8 <= out.length - 128; i++) {
            if (b.getLong(i) == from) {
                assertEquals(-1, found, "address found twice");
                found = i;
            }
        }
        assertTrue(found > 0, "address not found");
        b.putLong(found, to);
        // the object header holding it ends in a Jenkins lookup3 checksum: find its OHDR and mend it
        int start = found;
        while (!(out[start] == 'O' && out[start + 1] == 'H' && out[start + 2] == 'D' && out[start + 3] == 'R')) {
            start--;
        }
        int length = (int) b.getLong(start + 6);
        int end = start + 14 + length;
        b.putInt(end, io.jhdf.checksum.JenkinsLookup3HashLittle.hash(Arrays.copyOfRange(out, start, end)));
        return out;
    }

    @Test
    void restoreInfoThatIsDamagedIsACorruptObject() throws Exception {
        Path p = TestdataInteropTest.testdata().resolve("h5_keras_like.h5");
        try (ParsedWeightFile parsed = H5.read(p)) {
            byte[] info = parsed.restoreInfo();
            for (int i : new int[] {0, 4, 10, info.length / 2, info.length - 1}) {
                byte[] bad = info.clone();
                bad[i] ^= 0x40;
                assertThrows(CorruptObjectException.class, () -> TestTensors.restore(H5, new Swapped(parsed, bad)), "byte " + i);
            }
            assertThrows(CorruptObjectException.class, () -> TestTensors.restore(H5, new Swapped(parsed, Arrays.copyOf(info, 20))));
            List<TensorSource> fewer = parsed.tensors().subList(1, parsed.tensors().size());
            assertThrows(BadInputException.class, () -> H5.restore(info, fewer, new ByteArrayOutputStream()));
        }
    }

    /** A parsed file with other restore info. */
    private record Swapped(ParsedWeightFile parsed, byte[] info) implements ParsedWeightFile {
        @Override
        public byte[] restoreInfo() {
            return info;
        }

        @Override
        public Map<String, String> metadata() {
            return parsed.metadata();
        }

        @Override
        public List<TensorSource> tensors() {
            return parsed.tensors();
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aTensorOfNoElementsAndAScalarRoundTrip() throws Exception {
        List<TestTensors.Mem> tensors = List.of(
                new TestTensors.Mem("empty", new TensorSpec(DType.F32, Shape.of(0, 3), false), new byte[0]),
                new TestTensors.Mem("scalar", new TensorSpec(DType.F64, Shape.scalar(), false), new byte[] {1, 2, 3, 4, 5, 6, 7, 8}),
                new TestTensors.Mem("g/one", TensorSpec.of(DType.I8, 1), new byte[] {-7}));
        Path p = dir.resolve("edge.h5");
        Files.write(p, write(tensors, new LinkedHashMap<>()));
        try (ParsedWeightFile parsed = H5.read(p)) {
            TestTensors.assertSameTensors(List.of(tensors.get(1), tensors.get(2), tensors.get(0)), parsed, "edge");
        }
    }
}
