package dev.coral.format;

import static dev.coral.format.TestTensors.assertBad;
import static dev.coral.format.TestTensors.assertSameTensors;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import dev.coral.tensor.DType;
import dev.coral.tensor.Shape;
import dev.coral.tensor.TensorSpec;
import java.io.ByteArrayOutputStream;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SafetensorsFormatTest {
    private final SafetensorsFormat format = new SafetensorsFormat();

    @TempDir
    Path dir;

    static List<DType> safetensorsTypes() {
        return TestTensors.safetensorsTypes();
    }

    /** A file: 8-byte length, the header text (not padded), then data. */
    static byte[] file(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return b.array();
    }

    private Path put(String name, byte[] content) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, content);
        return p;
    }

    @ParameterizedTest
    @MethodSource("safetensorsTypes")
    void writeReadRestoreEveryDtype(DType t) throws IOException {
        for (int i = 0; i < 20; i++) {
            long seed = t.ordinal() * 1000L + i;
            Random r = new Random(seed);
            List<TestTensors.Mem> tensors = new ArrayList<>();
            int n = r.nextInt(4);
            for (int k = 0; k < n; k++) {
                tensors.add(TestTensors.randomTensor(r, "t" + k + (r.nextBoolean() ? ".w\u00e9\"" : ""), t, false));
            }
            Map<String, String> meta = r.nextBoolean() ? Map.of() : Map.of("format", "pt", "k\n", "v\\\"");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            format.write(tensors, meta, out);
            byte[] bytes = out.toByteArray();
            long n8 = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertEquals(0, (8 + n8) % 8, "data aligned to 8, seed " + seed);
            Path p = put("f" + i + ".safetensors", bytes);
            try (ParsedWeightFile parsed = format.read(p)) {
                assertSameTensors(tensors, parsed, "seed " + seed);
                assertEquals(meta, parsed.metadata(), "seed " + seed);
                assertArrayEquals(bytes, TestTensors.restore(format, parsed), "restore, seed " + seed);
            }
        }
    }

    /** Files as other writers lay them out: header order differs from data order, extra padding. */
    @RepeatedTest(40)
    void readShuffledHeaderAndRestoreByteIdentical(RepetitionInfo info) throws IOException {
        long seed = 77_000 + info.getCurrentRepetition();
        Random r = new Random(seed);
        List<DType> types = TestTensors.safetensorsTypes();
        List<TestTensors.Mem> tensors = new ArrayList<>();
        int n = 1 + r.nextInt(6);
        for (int k = 0; k < n; k++) {
            tensors.add(TestTensors.randomTensor(r, "n" + k, types.get(r.nextInt(types.size())), false));
        }
        // data order = list order; header order shuffled
        List<String> entries = new ArrayList<>();
        long off = 0;
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (TestTensors.Mem t : tensors) {
            entries.add("\"" + t.name() + "\": {\"shape\": " + t.spec().shape().toString().replace(",", ", ")
                    + ", \"data_offsets\": [" + off + ", " + (off + t.data().length) + "], \"dtype\": \""
                    + t.spec().dtype().safetensorsName().orElseThrow() + "\"}");
            off += t.data().length;
            data.writeBytes(t.data());
        }
        Collections.shuffle(entries, r);
        if (r.nextBoolean()) {
            entries.add(r.nextInt(entries.size() + 1), "\"__metadata__\": {\"a\": \"b\"}");
        }
        String header = "{" + String.join(",\n ", entries) + "}" + " ".repeat(r.nextInt(9));
        byte[] bytes = file(header, data.toByteArray());
        Path p = put("s.safetensors", bytes);
        try (ParsedWeightFile parsed = format.read(p)) {
            // zero-size tensors at the same offset may come in any order; compare after a stable sort
            List<TensorSource> got = parsed.tensors();
            assertEquals(n, got.size(), "seed " + seed);
            Map<String, TensorSource> byName = new LinkedHashMap<>();
            got.forEach(t -> byName.put(t.name(), t));
            for (TestTensors.Mem t : tensors) {
                assertEquals(t.spec(), byName.get(t.name()).spec(), "seed " + seed);
                assertArrayEquals(t.data(), TestTensors.readAll(byName.get(t.name())), "seed " + seed);
            }
            assertArrayEquals(bytes, TestTensors.restore(format, parsed), "restore, seed " + seed);
        }
    }

    @Test
    void subByteTypes() throws IOException {
        // F6: 4 elements = 24 bits = 3 bytes
        Path ok = put("f6.safetensors", file("{\"a\":{\"dtype\":\"F6_E2M3\",\"shape\":[4],\"data_offsets\":[0,3]},"
                + "\"b\":{\"dtype\":\"F4\",\"shape\":[2,3],\"data_offsets\":[3,6]}}", new byte[] {1, 2, 3, 4, 5, 6}));
        try (ParsedWeightFile p = format.read(ok)) {
            assertEquals(3, p.tensors().get(0).spec().byteSize());
            assertEquals(3, p.tensors().get(1).spec().byteSize());
            assertArrayEquals(new byte[] {4, 5, 6}, TestTensors.readAll(p.tensors().get(1)));
        }
        assertBad(format, put("f4odd.safetensors",
                file("{\"a\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", new byte[2])), "whole bytes");
        assertBad(format, put("f6odd.safetensors",
                file("{\"a\":{\"dtype\":\"F6_E3M2\",\"shape\":[3],\"data_offsets\":[0,3]}}", new byte[3])), "whole bytes");
    }

    @Test
    void zeroSizeAndEmptyFiles() throws IOException {
        Path p = put("z.safetensors", file("{\"e\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[4,4]},"
                + "\"a\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[0,4]},"
                + "\"f\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", new byte[] {1, 0, 0, 0}));
        try (ParsedWeightFile parsed = format.read(p)) {
            assertEquals(List.of("f", "a", "e"), parsed.tensors().stream().map(TensorSource::name).toList());
            assertArrayEquals(Files.readAllBytes(p), TestTensors.restore(format, parsed));
        }
        Path empty = put("empty.safetensors", file("{}", new byte[0]));
        try (ParsedWeightFile parsed = format.read(empty)) {
            assertTrue(parsed.tensors().isEmpty());
        }
        assertArrayEquals(file("{}      ", new byte[0]), TestTensors.write(format, List.of()));
    }

    private static final String W = "\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}";

    @Test
    void badInputs() throws IOException {
        assertBad(format, put("short.safetensors", new byte[] {1, 0, 0}), "too short");
        ByteBuffer lie = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN).putLong(1000);
        assertBad(format, put("lie.safetensors", lie.array()), "past the end");
        ByteBuffer huge = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN).putLong(100_000_001L);
        assertBad(format, put("huge.safetensors", huge.array()), "exceeds the limit");
        ByteBuffer neg = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN).putLong(-5);
        assertBad(format, put("neg.safetensors", neg.array()), "exceeds the limit");
        assertBad(format, put("json.safetensors", file("{\"w\":{\"dtype\":\"F32\",}}", new byte[0])), "not valid JSON");
        assertBad(format, put("space.safetensors", file(" {}", new byte[0])), "start with '{'");
        // a long array is refused as it is read, not built (50 million zeros took 4.5 GB; found by fuzzing)
        String zeros = "0,".repeat(SafetensorsHeader.MAX_ARRAY_ITEMS) + "0";
        assertBad(format, put("longarray.safetensors", file("{\"x\":[" + zeros + "]}", new byte[0])), "an array of more than 4096 items");
        String rank = "1,".repeat(SafetensorsHeader.MAX_ARRAY_ITEMS - 1) + "1"; // the longest shape a header may hold reads
        try (ParsedWeightFile p = format.read(put("rank.safetensors",
                file("{\"w\":{\"dtype\":\"U8\",\"shape\":[" + rank + "],\"data_offsets\":[0,1]}}", new byte[1])))) {
            assertEquals(SafetensorsHeader.MAX_ARRAY_ITEMS, p.tensors().get(0).spec().shape().rank());
        }
        assertBad(format, put("array.safetensors", file("[1]", new byte[0])), "start with '{'");
        assertBad(format, put("notobj.safetensors", file("{\"w\": 3}", new byte[0])), "not a JSON object");
        assertBad(format, put("utf8.safetensors", TestTensors.concat(
                ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(4).array(), new byte[] {'{', (byte) 0xff, '}', ' '})), "UTF-8");
        assertBad(format, put("dup.safetensors", file("{" + W + "," + W + "}", new byte[16])), "duplicate key");
        assertBad(format, put("range.safetensors",
                file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[4,20]}}", new byte[16])), "hole");
        assertBad(format, put("beyond.safetensors", file("{" + W + "}", new byte[8])), "beyond");
        assertBad(format, put("mismatch.safetensors",
                file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}", new byte[12])), "do not match dtype F32 and shape [2,2] (16 bytes)");
        assertBad(format, put("overlap.safetensors", file("{" + W
                + ",\"v\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[12,16]}}", new byte[16])), "overlaps");
        assertBad(format, put("hole.safetensors", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}"
                + ",\"v\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[20,24]}}", new byte[24])), "hole");
        assertBad(format, put("trailing.safetensors", file("{" + W + "}", new byte[17])), "trailing");
        assertBad(format, put("dtype.safetensors",
                file("{\"w\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4])), "unknown dtype \"F33\"");
        assertBad(format, put("overflow.safetensors", file("{\"w\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296],"
                + "\"data_offsets\":[0,0]}}", new byte[0])), "fit in a long");
        assertBad(format, put("overflow2.safetensors", file("{\"w\":{\"dtype\":\"F64\",\"shape\":[4611686018427387904],"
                + "\"data_offsets\":[0,0]}}", new byte[0])), "'w'");
        assertBad(format, put("negdim.safetensors",
                file("{\"w\":{\"dtype\":\"U8\",\"shape\":[-1],\"data_offsets\":[0,0]}}", new byte[0])), "negative");
        assertBad(format, put("float.safetensors",
                file("{\"w\":{\"dtype\":\"U8\",\"shape\":[1.0],\"data_offsets\":[0,1]}}", new byte[1])), "not an integer");
        assertBad(format, put("big.safetensors",
                file("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,99999999999999999999999]}}", new byte[1])), "too large");
        assertBad(format, put("noshape.safetensors",
                file("{\"w\":{\"dtype\":\"U8\",\"data_offsets\":[0,1]}}", new byte[1])), "shape");
        assertBad(format, put("meta.safetensors", file("{\"__metadata__\":{\"a\":1}}", new byte[0])), "not a string");
        assertBad(format, put("offs3.safetensors",
                file("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1,2]}}", new byte[1])), "2 entries");
    }

    /** A 3 GiB tensor in a sparse file: sizes are longs, streaming works, no 3 GiB heap or disk. */
    @Test
    void tensorBeyondTwoGiBInSparseFile() throws IOException {
        long size = 3L << 30;
        String h = "{\"big\":{\"dtype\":\"U8\",\"shape\":[" + size + "],\"data_offsets\":[0," + size + "]}}";
        Path p = dir.resolve("big.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.write(file(h, new byte[] {42, 43}));
            raf.setLength(8 + h.length() + size);
            raf.seek(8 + h.length() + size - 1);
            raf.write(7);
        }
        try (ParsedWeightFile parsed = format.read(p)) {
            TensorSource t = parsed.tensors().get(0);
            assertEquals(size, t.spec().byteSize());
            assertEquals(Shape.of(size), t.spec().shape());
            try (InputStream in = t.openStream()) {
                assertArrayEquals(new byte[] {42, 43, 0, 0}, in.readNBytes(4));
                in.skipNBytes(size - 4 - 2);
                assertArrayEquals(new byte[] {0, 7}, in.readAllBytes());
            }
        }
    }

    @Test
    void exportTransposesFortranOrder() throws IOException {
        // 2x3 matrix [[1,2,3],[4,5,6]] as I16 in Fortran order: 1,4,2,5,3,6
        byte[] f = new byte[12];
        short[] vals = {1, 4, 2, 5, 3, 6};
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().put(vals);
        TestTensors.Mem t = new TestTensors.Mem("m", new TensorSpec(DType.I16, Shape.of(2, 3), true), f);
        Path p = put("t.safetensors", TestTensors.write(format, List.of(t)));
        try (ParsedWeightFile parsed = format.read(p)) {
            TensorSource got = parsed.tensors().get(0);
            assertEquals(TensorSpec.of(DType.I16, 2, 3), got.spec());
            short[] c = new short[6];
            ByteBuffer.wrap(TestTensors.readAll(got)).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(c);
            assertArrayEquals(new short[] {1, 2, 3, 4, 5, 6}, c);
        }
    }

    @RepeatedTest(30)
    void transposeMatchesIndexFormula(RepetitionInfo info) {
        long seed = 5_000 + info.getCurrentRepetition();
        Random r = new Random(seed);
        int rank = 1 + r.nextInt(4);
        long[] dims = new long[rank];
        int n = 1;
        for (int i = 0; i < rank; i++) {
            dims[i] = 1 + r.nextInt(4);
            n *= dims[i];
        }
        int e = new int[] {1, 2, 4, 8}[r.nextInt(4)];
        byte[] in = new byte[n * e];
        r.nextBytes(in);
        byte[] out = FortranToC.transpose(in, dims, e);
        // element at C index i has multi-index idx; its Fortran offset is sum idx[a] * prod(dims[<a])
        for (int i = 0; i < n; i++) {
            long rest = i;
            long[] idx = new long[rank];
            for (int a = rank - 1; a >= 0; a--) {
                idx[a] = rest % dims[a];
                rest /= dims[a];
            }
            long fOff = 0;
            long stride = 1;
            for (int a = 0; a < rank; a++) {
                fOff += idx[a] * stride;
                stride *= dims[a];
            }
            for (int k = 0; k < e; k++) {
                assertEquals(in[(int) fOff * e + k], out[i * e + k], "seed " + seed);
            }
        }
    }

    @Test
    void exportRejectsWhatSafetensorsCannotHold() {
        TestTensors.Mem f128 = new TestTensors.Mem("ld", TensorSpec.of(DType.F128, 1), new byte[16]);
        BadInputException e = assertThrows(BadInputException.class, () -> TestTensors.write(format, List.of(f128)));
        assertTrue(e.getMessage().contains("'ld'") && e.getMessage().contains("F128"), e.getMessage());
        TestTensors.Mem a = new TestTensors.Mem("a", TensorSpec.of(DType.U8, 1), new byte[1]);
        assertThrows(BadInputException.class, () -> TestTensors.write(format, List.of(a, a)));
        // a huge Fortran tensor is refused before anything is read
        TensorSource huge = new TensorSource() {
            public String name() {
                return "huge";
            }

            public TensorSpec spec() {
                return new TensorSpec(DType.F32, Shape.of(1L << 16, 1L << 13), true);
            }

            public InputStream openStream() {
                throw new AssertionError("must not be opened");
            }
        };
        e = assertThrows(BadInputException.class, () -> TestTensors.write(format, List.of(huge)));
        assertTrue(e.getMessage().contains("'huge'") && e.getMessage().contains("Fortran"), e.getMessage());
    }

    @Test
    void restoreChecksTensorsGiven() throws IOException {
        Path p = put("r.safetensors", file("{" + W + "}", new byte[16]));
        try (ParsedWeightFile parsed = format.read(p)) {
            byte[] info = parsed.restoreInfo();
            assertThrows(BadInputException.class, () -> format.restore(info, List.of(), new ByteArrayOutputStream()));
            TestTensors.Mem wrong = new TestTensors.Mem("w", TensorSpec.of(DType.F32, 3), new byte[12]);
            assertThrows(BadInputException.class, () -> format.restore(info, List.of(wrong), new ByteArrayOutputStream()));
            TestTensors.Mem lying = new TestTensors.Mem("w", TensorSpec.of(DType.F32, 2, 2), new byte[15]);
            assertThrows(BadInputException.class, () -> format.restore(info, List.of(lying), new ByteArrayOutputStream()));
        }
    }
}
