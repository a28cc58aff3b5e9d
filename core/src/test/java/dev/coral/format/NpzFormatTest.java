package dev.coral.format;

import static dev.coral.format.TestTensors.assertBad;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import dev.coral.error.CorruptObjectException;
import dev.coral.error.UnsupportedVersionException;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpzFormatTest {
    private final NpzFormat format = new NpzFormat();

    @TempDir
    Path dir;

    /** A member for {@link #zip}: name, method, and its full content (npy header + data). */
    record Member(String name, int method, byte[] content) {
    }

    static byte[] zip(List<Member> members) throws IOException {
        return zip(members, null);
    }

    /** As {@link #zip(List)}, member i deflated at {@code levels[i]} (null: zlib's default for all). */
    static byte[] zip(List<Member> members, int[] levels) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bytes)) {
            for (int i = 0; i < members.size(); i++) {
                Member m = members.get(i);
                z.setLevel(levels == null ? java.util.zip.Deflater.DEFAULT_COMPRESSION : levels[i]);
                ZipEntry e = new ZipEntry(m.name());
                e.setMethod(m.method());
                if (m.method() == ZipEntry.STORED) {
                    CRC32 crc = new CRC32();
                    crc.update(m.content());
                    e.setCrc(crc.getValue());
                    e.setSize(m.content().length);
                    e.setCompressedSize(m.content().length);
                }
                z.putNextEntry(e);
                z.write(m.content());
                z.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    private Path put(String name, byte[] content) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, content);
        return p;
    }

    /**
     * Random members, mixed methods, deflate levels and byte orders, hand-built: read streams LE;
     * restore gives the same members, byte for byte unless a member is deflated at level 0 (whose
     * stored blocks Coral does not rebuild, though zlib at another level may write the same).
     */
    @RepeatedTest(25)
    void readAndRestoreRandomArchives(RepetitionInfo info) throws IOException {
        long seed = 31_000 + info.getCurrentRepetition();
        Random r = new Random(seed);
        List<DType> types = TestTensors.numpyTypes();
        List<TestTensors.Mem> tensors = new ArrayList<>();
        List<Member> members = new ArrayList<>();
        int n = r.nextInt(5);
        int[] levels = new int[n];
        for (int k = 0; k < n; k++) {
            levels[k] = r.nextInt(10);
            DType t = types.get(r.nextInt(types.size()));
            String name = (r.nextBoolean() ? "layer" + k + "/" : "") + "t" + k;
            TestTensors.Mem m = TestTensors.randomTensor(r, name, t, r.nextBoolean());
            tensors.add(m);
            boolean big = r.nextBoolean();
            String dict = "{'descr': '" + (big ? '>' : '<') + t.numpyCode().orElseThrow() + "', 'fortran_order': "
                    + (m.spec().fortranOrder() ? "True" : "False") + ", 'shape': " + NpyFormatTest.shapeTuple(m.spec().shape(), true) + ", }";
            byte[] data = big ? TestTensors.swap(m.data(), t.swapUnitBytes()) : m.data();
            members.add(new Member(name + ".npy", r.nextBoolean() ? ZipEntry.STORED : ZipEntry.DEFLATED,
                    NpyFormatTest.npy(dict, 1 + r.nextInt(3), data)));
        }
        Path p = put("a.npz", zip(members, levels));
        try (ParsedWeightFile parsed = format.read(p)) {
            TestTensors.assertSameTensors(tensors, parsed, "seed " + seed);
            byte[] restored = TestTensors.restore(format, parsed);
            boolean rebuilt = java.util.stream.IntStream.range(0, n).allMatch(k -> members.get(k).method() == ZipEntry.STORED || levels[k] > 0);
            if (rebuilt) {
                assertTrue(format.restoresBytes(parsed.restoreInfo()), "stored, or deflated at levels 1-9: byte for byte, seed " + seed);
            }
            if (format.restoresBytes(parsed.restoreInfo())) {
                assertArrayEquals(Files.readAllBytes(p), restored, "byte for byte, seed " + seed);
            }
            Path back = put("back.npz", restored);
            assertSameMembers(members, back, "seed " + seed);
            // and the restored archive reads the same again
            try (ParsedWeightFile again = format.read(back)) {
                TestTensors.assertSameTensors(tensors, again, "seed " + seed);
            }
        }
    }

    /** Names, methods and full member bytes (npy header + data) equal, in order. */
    static void assertSameMembers(List<Member> expected, Path zipFile, String msg) throws IOException {
        try (ZipFile z = new ZipFile(zipFile.toFile())) {
            List<? extends ZipEntry> entries = java.util.Collections.list(z.entries());
            assertEquals(expected.size(), entries.size(), msg);
            for (int i = 0; i < expected.size(); i++) {
                ZipEntry e = entries.get(i);
                assertEquals(expected.get(i).name(), e.getName(), msg);
                assertEquals(expected.get(i).method(), e.getMethod(), msg);
                assertArrayEquals(expected.get(i).content(), z.getInputStream(e).readAllBytes(), msg + " " + e.getName());
            }
        }
    }

    @RepeatedTest(20)
    void writeThenRead(RepetitionInfo info) throws IOException {
        long seed = 41_000 + info.getCurrentRepetition();
        Random r = new Random(seed);
        List<DType> types = TestTensors.numpyTypes();
        List<TestTensors.Mem> tensors = new ArrayList<>();
        int n = r.nextInt(5);
        for (int k = 0; k < n; k++) {
            tensors.add(TestTensors.normalized(TestTensors.randomTensor(r, "w" + k, types.get(r.nextInt(types.size())), r.nextBoolean())));
        }
        byte[] bytes = TestTensors.write(format, tensors);
        assertArrayEquals(bytes, TestTensors.write(format, tensors), "deterministic, seed " + seed);
        Path p = put("w.npz", bytes);
        try (ParsedWeightFile parsed = format.read(p)) {
            TestTensors.assertSameTensors(tensors, parsed, "seed " + seed);
        }
        try (ZipFile z = new ZipFile(p.toFile())) {
            z.stream().forEach(e -> assertEquals(ZipEntry.DEFLATED, e.getMethod()));
        }
    }

    /** Float members are written at deflate's level 0 (they barely deflate, at 30 MB/s); integer ones compressed. */
    @Test
    void exportStoresFloatsUncompressedAndCompressesIntegers() throws IOException {
        NpzFormat format = new NpzFormat();
        int n = 1 << 16;
        List<TestTensors.Mem> tensors = List.of(
                new TestTensors.Mem("weights", TensorSpec.of(DType.F32, n), new byte[4 * n]),
                new TestTensors.Mem("mask", TensorSpec.of(DType.I8, n), new byte[n]));
        Path p = put("levels.npz", TestTensors.write(format, tensors));
        try (ZipFile z = new ZipFile(p.toFile())) {
            ZipEntry w = z.getEntry("weights.npy");
            ZipEntry m = z.getEntry("mask.npy");
            assertEquals(ZipEntry.DEFLATED, w.getMethod());
            assertTrue(w.getCompressedSize() >= w.getSize(), "zeros at level 0 stay their size: " + w.getCompressedSize());
            assertTrue(m.getCompressedSize() * 50 < m.getSize(), "zeros at the default level shrink: " + m.getCompressedSize());
        }
        try (ParsedWeightFile parsed = format.read(p)) {
            TestTensors.assertSameTensors(tensors, parsed, "levels.npz");
        }
    }

    private static byte[] npyU8(int n) {
        return NpyFormatTest.npy("{'descr': '|u1', 'fortran_order': False, 'shape': (" + n + ",), }", 1, new byte[n]);
    }

    @Test
    void badMembers() throws IOException {
        assertBad(format, put("dotdot.npz", zip(List.of(new Member("../x.npy", ZipEntry.DEFLATED, npyU8(2))))), "'..'");
        assertBad(format, put("dotdot2.npz", zip(List.of(new Member("a/../../x.npy", ZipEntry.STORED, npyU8(2))))), "'..'");
        assertBad(format, put("abs.npz", zip(List.of(new Member("/abs.npy", ZipEntry.DEFLATED, npyU8(2))))), "absolute");
        assertBad(format, put("drive.npz", zip(List.of(new Member("C:/abs.npy", ZipEntry.DEFLATED, npyU8(2))))), "absolute");
        assertBad(format, put("bs.npz", zip(List.of(new Member("a\\b.npy", ZipEntry.DEFLATED, npyU8(2))))), "backslash");
        assertBad(format, put("txt.npz", zip(List.of(new Member("x.npy", ZipEntry.STORED, npyU8(2)),
                new Member("readme.txt", ZipEntry.DEFLATED, "hi".getBytes(StandardCharsets.UTF_8))))), "'readme.txt'");
        assertBad(format, put("dir.npz", zip(List.of(new Member("d/", ZipEntry.STORED, new byte[0])))), "not an .npy member");
        // duplicate: write a.npy and b.npy, then rename b to a in the raw bytes (CRCs cover data only)
        byte[] two = zip(List.of(new Member("a.npy", ZipEntry.STORED, npyU8(2)), new Member("b.npy", ZipEntry.STORED, npyU8(3))));
        String s = new String(two, StandardCharsets.ISO_8859_1).replace("b.npy", "a.npy");
        assertBad(format, put("dup.npz", s.getBytes(StandardCharsets.ISO_8859_1)), "twice");
        assertBad(format, put("notzip.npz", "not a zip at all".getBytes(StandardCharsets.UTF_8)), "zip");
        assertBad(format, put("badnpy.npz", zip(List.of(new Member("x.npy", ZipEntry.DEFLATED, "garbage".getBytes(StandardCharsets.UTF_8))))), "'x.npy'");
        byte[] shortData = java.util.Arrays.copyOf(npyU8(4), npyU8(4).length - 1);
        assertBad(format, put("short.npz", zip(List.of(new Member("x.npy", ZipEntry.DEFLATED, shortData)))), "needs");
        byte[] obj = NpyFormatTest.npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", 1, new byte[8]);
        assertBad(format, put("obj.npz", zip(List.of(new Member("o.npy", ZipEntry.STORED, obj)))), "object");
    }

    @Test
    void corruptStoredMemberFailsWhenStreamed() throws IOException {
        byte[] content = NpyFormatTest.npy("{'descr': '|u1', 'fortran_order': False, 'shape': (4,), }", 1,
                "ZZZZ".getBytes(StandardCharsets.US_ASCII));
        String raw = new String(zip(List.of(new Member("c.npy", ZipEntry.STORED, content))), StandardCharsets.ISO_8859_1);
        Path p = put("crc.npz", raw.replace("ZZZZ", "ZZZY").getBytes(StandardCharsets.ISO_8859_1));
        try (ParsedWeightFile parsed = format.read(p)) {
            IOException e = assertThrows(IOException.class, () -> TestTensors.readAll(parsed.tensors().get(0)));
            assertTrue(e.getMessage().contains("crc.npz") && e.getMessage().contains("CRC"), e.getMessage());
        }
    }

    /** Offset of the last occurrence of a little-endian zip record signature in {@code zip}. */
    private static int lastRecord(byte[] zip, int signature) {
        for (int i = zip.length - 4; i >= 0; i--) {
            if (java.nio.ByteBuffer.wrap(zip, i, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt() == signature) {
                return i;
            }
        }
        throw new AssertionError("no record " + Integer.toHexString(signature));
    }

    private static void putLe(byte[] b, int at, long v, int bytes) {
        for (int k = 0; k < bytes; k++) {
            b[at + k] = (byte) (v >>> 8 * k);
        }
    }

    private static final int LOCAL = 0x04034b50;
    private static final int CENTRAL = 0x02014b50;
    private static final int END = 0x06054b50;

    /** A member's bytes read through every tensor: must fail as bad input naming the file and the member, in one line. */
    private void assertStreamFails(Path file, String member, String part) throws IOException {
        try (ParsedWeightFile parsed = format.read(file)) {
            BadInputException e = assertThrows(BadInputException.class, () -> {
                for (TensorSource t : parsed.tensors()) {
                    TestTensors.readAll(t);
                }
            });
            String m = e.getMessage();
            assertTrue(m.contains(file.getFileName().toString()) && m.contains("'" + member + "'") && m.toLowerCase().contains(part)
                    && !m.contains("\n"), m);
        }
    }

    /**
     * Damage java.util.zip reports as EOFException or a bare ZipException ("coral: EOFException",
     * "coral: invalid distance too far back" before 2026-12-03, found by fuzzing): each is one line
     * naming the file, and the member where there is one.
     */
    @Test
    void damagedZipStructureIsBadInputNamingTheFile() throws IOException {
        byte[] good = zip(List.of(new Member("w.npy", ZipEntry.DEFLATED, npyU8(64))));
        byte[] comment = good.clone(); // the end record's comment length runs past the end of the file
        putLe(comment, lastRecord(comment, END) + 20, 0xFFFF, 2);
        assertBad(format, put("comment.npz", comment), "not a valid zip");
        byte[] offset = good.clone(); // the central directory sends the member's local header past the end
        putLe(offset, lastRecord(offset, CENTRAL) + 42, 0x7FFFFFF0L, 4);
        assertBad(format, put("offset.npz", offset), "'w.npy'");
        byte[] extra = good.clone(); // the local header's extra field runs over the member's data
        putLe(extra, lastRecord(extra, LOCAL) + 28, 0x40, 2);
        assertBad(format, put("extra.npz", extra), "'w.npy'");
    }

    /** A stored zip written byte by byte: each member's local header names {@code localNames[i]}, at {@code offsets[i]} (-1: next). */
    private static byte[] handZip(String[] names, String[] localNames, byte[][] contents, long[] offsets) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long[] at = new long[names.length];
        for (int i = 0; i < names.length; i++) {
            at[i] = out.size();
            byte[] name = localNames[i].getBytes(StandardCharsets.UTF_8);
            byte[] h = new byte[30];
            putLe(h, 0, LOCAL, 4);
            putLe(h, 4, 20, 2);
            putLe(h, 14, crc(contents[i]), 4);
            putLe(h, 18, contents[i].length, 4);
            putLe(h, 22, contents[i].length, 4);
            putLe(h, 26, name.length, 2);
            out.writeBytes(h);
            out.writeBytes(name);
            out.writeBytes(contents[i]);
        }
        int cdStart = out.size();
        for (int i = 0; i < names.length; i++) {
            byte[] name = names[i].getBytes(StandardCharsets.UTF_8);
            byte[] c = new byte[46];
            putLe(c, 0, CENTRAL, 4);
            putLe(c, 4, 20, 2);
            putLe(c, 6, 20, 2);
            putLe(c, 16, crc(contents[i]), 4);
            putLe(c, 20, contents[i].length, 4);
            putLe(c, 24, contents[i].length, 4);
            putLe(c, 28, name.length, 2);
            putLe(c, 42, offsets[i] < 0 ? at[i] : offsets[i], 4);
            out.writeBytes(c);
            out.writeBytes(name);
        }
        byte[] e = new byte[22];
        putLe(e, 0, END, 4);
        putLe(e, 8, names.length, 2);
        putLe(e, 10, names.length, 2);
        putLe(e, 12, out.size() - cdStart, 4);
        putLe(e, 16, cdStart, 4);
        out.writeBytes(e);
        return out.toByteArray();
    }

    private static long crc(byte[] b) {
        CRC32 c = new CRC32();
        c.update(b);
        return c.getValue();
    }

    /**
     * What java.util.zip does not check (found by fuzzing; numpy's zipfile refuses both): a local
     * header naming another member than the directory does ({@code ../../evil.npy} where a
     * streaming unzip looks), and members whose bytes overlap (forty directory entries reading one
     * deflated megabyte each: a bomb). Each is refused naming the file; the hand-built zip with
     * names that agree and no overlap reads.
     */
    @Test
    void membersMustAgreeWithTheirLocalHeadersAndNotOverlap() throws IOException {
        byte[] a = npyU8(16);
        byte[] b = npyU8(8);
        byte[] fine = handZip(new String[] {"a.npy", "b.npy"}, new String[] {"a.npy", "b.npy"}, new byte[][] {a, b}, new long[] {-1, -1});
        try (ParsedWeightFile p = format.read(put("fine.npz", fine))) {
            assertEquals(2, p.tensors().size());
        }
        byte[] evil = handZip(new String[] {"a.npy"}, new String[] {"../../evil.npy"}, new byte[][] {a}, new long[] {-1});
        assertBad(format, put("evil.npz", evil), "its local header names '../../evil.npy'");
        byte[] shared = handZip(new String[] {"a.npy", "b.npy"}, new String[] {"a.npy", "b.npy"}, new byte[][] {a, b}, new long[] {0, 0});
        assertBad(format, put("shared.npz", shared), "member 'b.npy': its local header names 'a.npy'");
        // b's whole member (header, name, data) inside a's data: names agree, bytes overlap
        byte[] inner = handZip(new String[] {"b.npy"}, new String[] {"b.npy"}, new byte[][] {b}, new long[] {-1});
        int innerMember = 30 + 5 + b.length;
        byte[] outer = new byte[a.length + innerMember];
        System.arraycopy(a, 0, outer, 0, a.length);
        System.arraycopy(inner, 0, outer, a.length, innerMember);
        byte[] nested = handZip(new String[] {"a.npy", "b.npy"}, new String[] {"a.npy", "b.npy"}, new byte[][] {outer, b},
                new long[] {-1, 30 + 5 + a.length});
        assertBad(format, put("nested.npz", nested), "members 'a.npy' and 'b.npy' overlap");
    }

    /**
     * A member name without the UTF-8 flag is CP437, the zip default, as Python's zipfile and so
     * numpy read it: byte 0x81 is 'ü' (the file was refused as not a valid zip; found by fuzzing).
     */
    @Test
    void aNameWithoutTheUtf8FlagIsCp437() throws IOException {
        byte[] z = handZip(new String[] {"X.npy"}, new String[] {"X.npy"}, new byte[][] {npyU8(4)}, new long[] {-1});
        for (int i = 0; i + 5 <= z.length; i++) {
            if (new String(z, i, 5, StandardCharsets.ISO_8859_1).equals("X.npy")) {
                z[i] = (byte) 0x81;
            }
        }
        try (ParsedWeightFile p = format.read(put("cp437.npz", z))) {
            assertEquals("\u00fc", p.tensors().get(0).name());
        }
    }

    /** Flipped bytes in a deflated member's data, past its npy header: bad input naming file and member, never accepted. */
    @RepeatedTest(12)
    void corruptDeflatedDataIsBadInputNamingTheMember(RepetitionInfo info) throws IOException {
        long seed = 4242 + info.getCurrentRepetition();
        Random r = new Random(seed);
        byte[] data = new byte[200_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (r.nextGaussian() * 20); // compressible, as weights quantized to bytes are
        }
        byte[] content = NpyFormatTest.npy("{'descr': '|i1', 'fortran_order': False, 'shape': (" + data.length + ",), }", 1, data);
        byte[] zip = zip(List.of(new Member("w.npy", ZipEntry.DEFLATED, content)));
        int from = lastRecord(zip, LOCAL) + 30 + "w.npy".length() + 200; // past the deflated npy header
        int to = lastRecord(zip, CENTRAL);
        for (int k = 0; k < 3; k++) {
            zip[from + r.nextInt(to - from)] ^= (byte) (1 + r.nextInt(255));
        }
        Path p = put("flip" + seed + ".npz", zip);
        try (ParsedWeightFile parsed = format.read(p)) {
            BadInputException e = assertThrows(BadInputException.class, () -> TestTensors.readAll(parsed.tensors().get(0)), "seed " + seed);
            assertTrue(e.getMessage().contains(p.getFileName().toString()) && e.getMessage().contains("'w.npy'"), "seed " + seed + ": "
                    + e.getMessage());
        } catch (BadInputException e) { // damage that reaches the npy header fails as the file is opened
            assertTrue(e.getMessage().contains(p.getFileName().toString()), "seed " + seed + ": " + e.getMessage());
        }
    }

    /** A deflated member whose compressed size was cut short: its data ends early, named, not "Unexpected end of ZLIB input stream". */
    @Test
    void aCompressedSizeCutShortIsBadInputNamingTheMember() throws IOException {
        byte[] data = new byte[100_000];
        new Random(3).nextBytes(data);
        byte[] content = NpyFormatTest.npy("{'descr': '|u1', 'fortran_order': False, 'shape': (" + data.length + ",), }", 1, data);
        byte[] zip = zip(List.of(new Member("w.npy", ZipEntry.DEFLATED, content)));
        putLe(zip, lastRecord(zip, CENTRAL) + 20, 300, 4); // ZipFile reads the central directory's sizes
        assertStreamFails(put("cut.npz", zip), "w.npy", "cannot be read");
    }

    /**
     * A member holding no data (shape (0,)) is CRC-checked too: its damaged header was accepted
     * before 2026-12-03 (the check ran after the last data byte, and there was none).
     */
    @Test
    void anEmptyMembersCrcIsChecked() throws IOException {
        byte[] content = NpyFormatTest.npy("{'descr': '<i4', 'fortran_order': False, 'shape': (0,), }", 1, new byte[0]);
        byte[] good = zip(List.of(new Member("e.npy", ZipEntry.STORED, content)));
        try (ParsedWeightFile parsed = format.read(put("empty.npz", good))) {
            assertEquals(0, TestTensors.readAll(parsed.tensors().get(0)).length);
        }
        String raw = new String(good, StandardCharsets.ISO_8859_1);
        Path lying = put("lying.npz", raw.replace("'<i4'", "'<i8'").getBytes(StandardCharsets.ISO_8859_1)); // CRC left as it was
        assertStreamFails(lying, "e.npy", "crc mismatch");
        byte[] crc = good.clone();
        putLe(crc, lastRecord(crc, LOCAL) + 14, 0x12345678L, 4);
        putLe(crc, lastRecord(crc, CENTRAL) + 16, 0x12345678L, 4);
        assertStreamFails(put("crc0.npz", crc), "e.npy", "crc mismatch");
    }

    @Test
    void exportRejectsBadNamesAndTypes() {
        for (String name : List.of("../x", "/abs", "a\\b")) {
            TestTensors.Mem m = new TestTensors.Mem(name, TensorSpec.of(DType.U8, 1), new byte[1]);
            assertThrows(BadInputException.class, () -> TestTensors.write(format, List.of(m)), name);
        }
        TestTensors.Mem bf = new TestTensors.Mem("bf", TensorSpec.of(DType.BF16, 1), new byte[2]);
        BadInputException e = assertThrows(BadInputException.class, () -> TestTensors.write(format, List.of(bf)));
        assertTrue(e.getMessage().contains("'bf'") && e.getMessage().contains("safetensors"), e.getMessage());
        TestTensors.Mem a = new TestTensors.Mem("a", TensorSpec.of(DType.U8, 1), new byte[1]);
        assertThrows(BadInputException.class, () -> TestTensors.write(format, List.of(a, a)));
    }

    @Test
    void restoreInfoEncoding() throws IOException {
        List<NpzRestoreInfo.Member> ms = List.of(
                new NpzRestoreInfo.Member("a/\u00e9.npy", ZipEntry.STORED, npyU8(1)),
                new NpzRestoreInfo.Member("b.npy", ZipEntry.DEFLATED, new byte[0]));
        byte[] enc = NpzRestoreInfo.encode(ms);
        assertEquals(NpzRestoreInfo.VERSION, enc[0]);
        List<NpzRestoreInfo.Member> back = NpzRestoreInfo.decode(enc);
        assertEquals(2, back.size());
        assertEquals("a/\u00e9.npy", back.get(0).name());
        assertEquals(ZipEntry.DEFLATED, back.get(1).method());
        assertArrayEquals(npyU8(1), back.get(0).npyHeader());
        byte[] v9 = enc.clone();
        v9[0] = 9;
        assertThrows(UnsupportedVersionException.class, () -> NpzRestoreInfo.decode(v9));
        assertThrows(CorruptObjectException.class, () -> NpzRestoreInfo.decode(java.util.Arrays.copyOf(enc, enc.length - 1)));
        assertThrows(CorruptObjectException.class, () -> NpzRestoreInfo.decode(TestTensors.concat(enc, new byte[1])));
        assertThrows(BadInputException.class, () -> format.restore(enc, List.of(), new ByteArrayOutputStream()));
    }

    @Test
    void metadataIsEmpty() throws IOException {
        Path p = put("m.npz", TestTensors.write(format, List.of()));
        try (ParsedWeightFile parsed = format.read(p)) {
            assertEquals(Map.of(), parsed.metadata());
            assertTrue(parsed.tensors().isEmpty());
        }
    }
}
