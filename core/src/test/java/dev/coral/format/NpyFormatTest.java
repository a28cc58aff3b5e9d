package dev.coral.format;

import static dev.coral.format.TestTensors.assertBad;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import dev.coral.tensor.DType;
import dev.coral.tensor.Shape;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class NpyFormatTest {
    private final NpyFormat format = new NpyFormat();

    @TempDir
    Path dir;

    static List<DType> numpyTypes() {
        return TestTensors.numpyTypes();
    }

    private Path put(String name, byte[] content) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, content);
        return p;
    }

    /**
     * An npy file written by hand (so variants numpy would not produce are covered): given dict
     * text, header version, and the data bytes as they go in the file. Pads to 64 like numpy.
     */
    static byte[] npy(String dict, int major, byte[] fileData) {
        byte[] text = dict.getBytes(major >= 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        int prefix = major == 1 ? 10 : 12;
        int total = text.length + 1;
        total += (64 - (prefix + total) % 64) % 64;
        ByteBuffer b = ByteBuffer.allocate(prefix + total + fileData.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(NpyHeader.MAGIC).put((byte) major).put((byte) 0);
        if (major == 1) {
            b.putShort((short) total);
        } else {
            b.putInt(total);
        }
        b.put(text);
        while (b.position() < prefix + total - 1) {
            b.put((byte) ' ');
        }
        b.put((byte) '\n').put(fileData);
        return b.array();
    }

    static String shapeTuple(Shape s, boolean spaces) {
        long[] d = s.dims();
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < d.length; i++) {
            sb.append(i == 0 ? "" : spaces ? ", " : ",").append(d[i]);
        }
        return sb.append(d.length == 1 ? ",)" : ")").toString();
    }

    @ParameterizedTest
    @MethodSource("numpyTypes")
    void writeReadRestoreEveryDtype(DType t) throws IOException {
        for (int i = 0; i < 12; i++) {
            long seed = t.ordinal() * 1000L + i;
            Random r = new Random(seed);
            TestTensors.Mem m = TestTensors.normalized(TestTensors.randomTensor(r, NpyFormat.TENSOR_NAME, t, r.nextBoolean()));
            byte[] bytes = TestTensors.write(format, List.of(m));
            int hlen = bytes.length - m.data().length;
            assertEquals(0, hlen % 64, "data aligned to 64, seed " + seed);
            String header = new String(bytes, 10, hlen - 10, StandardCharsets.ISO_8859_1);
            assertTrue(header.startsWith("{'descr': '" + (t.bits() == 8 ? '|' : '<') + t.numpyCode().orElseThrow()
                    + "', 'fortran_order': " + (m.spec().fortranOrder() ? "True" : "False") + ", 'shape': "
                    + shapeTuple(m.spec().shape(), true) + ", }"), header);
            Path p = put("a" + i + ".npy", bytes);
            try (ParsedWeightFile parsed = format.read(p)) {
                TestTensors.assertSameTensors(List.of(m), parsed, "seed " + seed);
                assertArrayEquals(bytes, TestTensors.restore(format, parsed), "restore, seed " + seed);
            }
        }
    }

    static Stream<Arguments> variants() {
        List<Arguments> out = new ArrayList<>();
        for (DType t : TestTensors.numpyTypes()) {
            for (char order : new char[] {'<', '>', '|', '='}) {
                for (int major = 1; major <= 3; major++) {
                    out.add(Arguments.of(t, order, major));
                }
            }
        }
        return out.stream();
    }

    /** Hand-written files in every byte order and header version: stream little-endian, restore byte-identical. */
    @ParameterizedTest
    @MethodSource("variants")
    void handWrittenVariantsRoundTrip(DType t, char order, int major) throws IOException {
        for (int i = 0; i < 2; i++) {
            long seed = t.ordinal() * 100_000L + order * 100L + major * 10L + i;
            Random r = new Random(seed);
            boolean fortran = r.nextBoolean();
            TestTensors.Mem m = TestTensors.randomTensor(r, NpyFormat.TENSOR_NAME, t, fortran);
            List<String> items = new ArrayList<>(List.of(
                    "'descr': '" + order + t.numpyCode().orElseThrow() + "'",
                    "\"fortran_order\" : " + (fortran ? "True" : "False"),
                    "'shape': " + shapeTuple(m.spec().shape(), r.nextBoolean())));
            Collections.shuffle(items, r);
            String dict = "{" + String.join(r.nextBoolean() ? ", " : ",", items) + (r.nextBoolean() ? ", }" : "}");
            byte[] fileData = order == '>' ? TestTensors.swap(m.data(), t.swapUnitBytes()) : m.data();
            byte[] bytes = npy(dict, major, fileData);
            Path p = put("v" + i + ".npy", bytes);
            try (ParsedWeightFile parsed = format.read(p)) {
                TestTensors.assertSameTensors(List.of(m), parsed, "seed " + seed + " " + dict);
                assertArrayEquals(bytes, Files.readAllBytes(p));
                assertArrayEquals(bytes, TestTensors.restore(format, parsed), "restore, seed " + seed);
                assertArrayEquals(NpyHeader.parse(parsed.restoreInfo(), "x").bytes(), parsed.restoreInfo());
            }
        }
    }

    /**
     * descr spellings numpy.dtype() reads but np.save never writes (no byte-order mark, a kind's
     * one-character code, a type's name) read as numpy reads them, little-endian on this machine,
     * and restore byte-identical (they were refused; found by fuzzing).
     */
    @Test
    void descrSpellingsNumpyReadsAreRead() throws IOException {
        Map<String, DType> spellings = Map.of("f4", DType.F32, "<f", DType.F32, "float32", DType.F32, "=d", DType.F64, "i", DType.I32,
                "|?", DType.BOOL, "uint16", DType.U16, "<e", DType.F16, "int64", DType.I64, "complex64", DType.C64);
        for (Map.Entry<String, DType> e : spellings.entrySet()) {
            byte[] bytes = npy("{'descr': '" + e.getKey() + "', 'fortran_order': False, 'shape': (3,), }", 1,
                    new byte[3 * e.getValue().bits() / 8]);
            try (ParsedWeightFile parsed = format.read(put("alias.npy", bytes))) {
                assertEquals(TensorSpec.of(e.getValue(), 3), parsed.tensors().get(0).spec(), e.getKey());
                assertArrayEquals(bytes, TestTensors.restore(format, parsed), e.getKey());
            }
        }
    }

    @Test
    void versionThreeHeaderIsUtf8() throws IOException {
        // numpy would only write 3.0 for non-latin-1 text; a UTF-8 character in a (harmless) spot
        byte[] bytes = npy("{'descr': '<u2', 'fortran_order': False, 'shape': (2,), }", 3, new byte[] {1, 0, 2, 0});
        try (ParsedWeightFile parsed = format.read(put("v3.npy", bytes))) {
            assertEquals(TensorSpec.of(DType.U16, 2), parsed.tensors().get(0).spec());
        }
        String dict = "{'descr': '<u2', 'fortran_order': False, 'shape': (2,), }";
        byte[] badUtf8 = npy(dict, 3, new byte[] {1, 0, 2, 0});
        badUtf8[12 + dict.length() + 1] = (byte) 0xff; // inside the padding
        assertBad(format, put("v3bad.npy", badUtf8), "UTF-8");
    }

    private static final String F4 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";

    @Test
    void badInputs() throws IOException {
        byte[] good = npy(F4, 1, new byte[24]);
        byte[] magic = good.clone();
        magic[1] = 'X';
        assertBad(format, put("magic.npy", magic), "bad magic");
        assertBad(format, put("tiny.npy", new byte[] {(byte) 0x93, 'N'}), "bad magic");
        byte[] v4 = good.clone();
        v4[6] = 4;
        assertBad(format, put("v4.npy", v4), "unsupported npy format version 4.0");
        byte[] v11 = good.clone();
        v11[7] = 1;
        assertBad(format, put("v11.npy", v11), "version 1.1");
        assertBad(format, put("cut.npy", java.util.Arrays.copyOf(good, 40)), "ends inside the npy header");
        assertBad(format, put("trunc.npy", java.util.Arrays.copyOf(good, good.length - 1)), "truncated");
        assertBad(format, put("trail.npy", TestTensors.concat(good, new byte[1])), "trailing");
        assertBad(format, put("object.npy", npy("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", 1, new byte[16])), "object");
        assertBad(format, put("struct.npy", npy("{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (2,), }", 1, new byte[16])), "structured");
        assertBad(format, put("str.npy", npy("{'descr': '<U5', 'fortran_order': False, 'shape': (2,), }", 1, new byte[40])), "string");
        assertBad(format, put("bytes.npy", npy("{'descr': '|S5', 'fortran_order': False, 'shape': (2,), }", 1, new byte[10])), "string");
        assertBad(format, put("date.npy", npy("{'descr': '<M8[ns]', 'fortran_order': False, 'shape': (2,), }", 1, new byte[16])), "datetime");
        assertBad(format, put("nested.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': ((2, 3),), }", 1, new byte[24])),
                "npy shape entry (2, 3) is not an integer");
        assertBad(format, put("char.npy", npy("{'descr': '<c', 'fortran_order': False, 'shape': (2,), }", 1, new byte[2])), "unsupported");
        assertBad(format, put("nokey.npy", npy("{'descr': '<f4', 'shape': (2,), }", 1, new byte[8])), "keys");
        assertBad(format, put("extrakey.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", 1, new byte[8])), "keys");
        assertBad(format, put("dupkey.npy", npy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", 1, new byte[8])), "duplicate");
        assertBad(format, put("list.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': [2], }", 1, new byte[8])), "not a tuple");
        assertBad(format, put("paren.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", 1, new byte[8])), "not a tuple");
        assertBad(format, put("neg.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", 1, new byte[0])), "negative");
        assertBad(format, put("ovf.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", 1, new byte[0])), "long");
        assertBad(format, put("ovf2.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904,), }", 1, new byte[0])), "long");
        assertBad(format, put("fo.npy", npy("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", 1, new byte[8])), "fortran_order");
        assertBad(format, put("syntax.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), ", 1, new byte[8])), "dict literal");
        assertBad(format, put("float.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2.0,), }", 1, new byte[8])), "dict literal");
        assertBad(format, put("call.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } ; os.system('x')", 1, new byte[8])), "dict literal");
    }

    @Test
    void exportRejectsTypesNumpyLacks() {
        for (DType t : List.of(DType.BF16, DType.F8_E4M3, DType.F4, DType.F6_E2M3)) {
            TestTensors.Mem m = new TestTensors.Mem("w", TensorSpec.of(t, 4), new byte[(int) t.byteSize(4)]);
            BadInputException e = assertThrows(BadInputException.class, () -> TestTensors.write(format, List.of(m)));
            assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("safetensors"), e.getMessage());
        }
        TestTensors.Mem a = new TestTensors.Mem("a", TensorSpec.of(DType.U8, 1), new byte[1]);
        assertThrows(BadInputException.class, () -> TestTensors.write(format, List.of(a, a)));
        // zero-size shapes numpy cannot make (checked against numpy 2: np.empty((0, 2**61), np.float32) is "array is too big")
        for (long[] dims : List.of(new long[] {0, 1L << 61}, new long[] {3, 0, 1L << 60}, new long[] {0, Long.MAX_VALUE})) {
            TestTensors.Mem z = new TestTensors.Mem("z", TensorSpec.of(DType.F32, dims), new byte[0]);
            BadInputException e = assertThrows(BadInputException.class, () -> TestTensors.write(format, List.of(z)));
            assertTrue(e.getMessage().contains("'z'") && e.getMessage().contains("larger than numpy can hold"), e.getMessage());
        }
        for (TensorSpec fits : List.of(TensorSpec.of(DType.F32, 0, (1L << 61) - 1), TensorSpec.of(DType.U8, 0, Long.MAX_VALUE))) {
            assertDoesNotThrow(() -> TestTensors.write(format, List.of(new TestTensors.Mem("z", fits, new byte[0]))), fits.toString());
        }
        assertThrows(BadInputException.class, () -> TestTensors.write(format, List.of()));
    }

    @Test
    void headerNeedingVersionTwo() throws IOException {
        // numpy 2 allows up to 64 dims; a long header forces 2.0 only past 65535 bytes, so check the 1.0 edge by size
        TestTensors.Mem m = new TestTensors.Mem("x", TensorSpec.of(DType.F32, 1, 1, 1), new byte[4]);
        byte[] bytes = TestTensors.write(format, List.of(m));
        assertEquals(1, bytes[6]);
        try (ParsedWeightFile p = format.read(put("small.npy", bytes))) {
            assertEquals(TensorSpec.of(DType.F32, 1, 1, 1), p.tensors().get(0).spec());
        }
    }

    /** A 3 GiB npy in a sparse file: sizes are longs and the end of the data can be reached. */
    @Test
    void tensorBeyondTwoGiBInSparseFile() throws IOException {
        long n = (3L << 30) / 2;
        byte[] header = npy("{'descr': '>i2', 'fortran_order': False, 'shape': (" + n + ",), }", 1, new byte[] {1, 2});
        Path p = dir.resolve("big.npy");
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.write(header);
            raf.setLength(header.length - 2 + 2 * n);
            raf.seek(raf.length() - 2);
            raf.write(new byte[] {3, 4});
        }
        try (ParsedWeightFile parsed = format.read(p)) {
            TensorSource t = parsed.tensors().get(0);
            assertEquals(3L << 30, t.spec().byteSize());
            try (InputStream in = t.openStream()) {
                assertArrayEquals(new byte[] {2, 1, 0, 0}, in.readNBytes(4)); // swapped to little-endian
            }
        }
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(raf.length() - 1);
        }
        assertBad(format, p, "truncated");
    }

    @Test
    void restoreRejectsBadInfo() {
        assertThrows(dev.coral.error.CorruptObjectException.class,
                () -> format.restore(new byte[] {1, 2, 3}, List.of(), new java.io.ByteArrayOutputStream()));
        byte[] info = npy(F4, 1, new byte[0]);
        assertThrows(BadInputException.class, () -> format.restore(info, List.of(), new java.io.ByteArrayOutputStream()));
    }
}
