package dev.coral.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.CorruptObjectException;
import dev.coral.tensor.DType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An npz whose members are all stored comes back byte for byte, whatever its zip holds around
 * the data: bytes before the first member, extra fields, data descriptors, gaps, local headers in
 * another order than the directory, an archive comment. Zips are built by hand here, since
 * java.util.zip writes none of that.
 */
class NpzVerbatimTest {
    private final NpzFormat format = new NpzFormat();

    @TempDir
    Path dir;

    /** A member: its name, npy header + data, and the tensor it holds. */
    private record Member(String name, byte[] content, TestTensors.Mem tensor) {
    }

    @RepeatedTest(40)
    void storedMembersRestoreByteForByteWhateverTheZipHolds(RepetitionInfo info) throws IOException {
        long seed = 77_000 + info.getCurrentRepetition();
        Random r = new Random(seed);
        String msg = "seed " + seed;
        List<Member> members = randomMembers(r);
        byte[] zip = rawZip(r, members);
        Path p = dir.resolve("a.npz");
        Files.write(p, zip);
        try (ParsedWeightFile parsed = format.read(p)) {
            TestTensors.assertSameTensors(members.stream().map(Member::tensor).toList(), parsed, msg);
            assertTrue(format.restoresBytes(parsed.restoreInfo()), msg);
            assertArrayEquals(zip, TestTensors.restore(format, parsed), msg);
            // from the values alone (a lossy commit's restore info), a valid zip of the same members
            byte[] values = format.forOtherValues(parsed.restoreInfo());
            assertFalse(format.restoresBytes(values), msg);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            format.restore(values, parsed.tensors(), out);
            Path back = dir.resolve("values.npz");
            Files.write(back, out.toByteArray());
            try (ParsedWeightFile again = format.read(back)) {
                TestTensors.assertSameTensors(members.stream().map(Member::tensor).toList(), again, msg);
                assertTrue(format.restoresBytes(again.restoreInfo()), "Coral's own zip stores its members: " + msg);
            }
        }
    }

    @Test
    void aMemberDeflatedAtLevel0MakesTheNpzValueIdentical() throws IOException {
        Random r = new Random(5);
        TestTensors.Mem m = TestTensors.randomTensor(r, "w", DType.F32, false);
        List<NpzFormatTest.Member> ms = List.of(
                new NpzFormatTest.Member("a.npy", ZipEntry.STORED, npy(m)),
                new NpzFormatTest.Member("b.npy", ZipEntry.DEFLATED, npy(m)));
        Path p = dir.resolve("d.npz");
        Files.write(p, NpzFormatTest.zip(ms, new int[] {0, 0}));
        try (ParsedWeightFile parsed = format.read(p)) {
            assertFalse(format.restoresBytes(parsed.restoreInfo()));
            assertArrayEquals(parsed.restoreInfo(), format.forOtherValues(parsed.restoreInfo()));
        }
        Files.write(p, NpzFormatTest.zip(List.of(ms.get(0))));
        try (ParsedWeightFile parsed = format.read(p)) {
            assertTrue(format.restoresBytes(parsed.restoreInfo()));
            assertArrayEquals(Files.readAllBytes(p), TestTensors.restore(format, parsed));
        }
    }

    /** Past {@link NpzFormat#MAX_SKELETON_BYTES} of bytes around the data (here zeros before the member), value-identical. */
    @Test
    void aSkeletonPastTheLimitIsValueIdentical() throws IOException {
        TestTensors.Mem m = TestTensors.randomTensor(new Random(6), "w", DType.F32, false);
        byte[] content = npy(m);
        long at = NpzFormat.MAX_SKELETON_BYTES + 1;
        byte[] name = "w.npy".getBytes(StandardCharsets.UTF_8);
        CRC32 crc = new CRC32();
        crc.update(content);
        ByteBuffer b = ByteBuffer.allocate(200 + 2 * name.length + content.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x04034b50).putShort((short) 20).putShort((short) 0).putShort((short) 0).putInt(0).putInt((int) crc.getValue())
                .putInt(content.length).putInt(content.length).putShort((short) name.length).putShort((short) 0).put(name).put(content);
        int cd = b.position();
        b.putInt(0x02014b50).putShort((short) 20).putShort((short) 20).putShort((short) 0).putShort((short) 0).putInt(0)
                .putInt((int) crc.getValue()).putInt(content.length).putInt(content.length).putShort((short) name.length)
                .putShort((short) 0).putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(0).putInt((int) at).put(name);
        int cdSize = b.position() - cd;
        b.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) 1).putShort((short) 1).putInt(cdSize)
                .putInt((int) (at + cd)).putShort((short) 0);
        b.flip();
        Path p = dir.resolve("far.npz");
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(p, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(b, at); // zeros before it (a sparse file)
        }
        try (ParsedWeightFile parsed = format.read(p)) {
            assertFalse(format.restoresBytes(parsed.restoreInfo()));
            Path back = dir.resolve("back.npz");
            Files.write(back, TestTensors.restore(format, parsed));
            try (ParsedWeightFile again = format.read(back)) {
                TestTensors.assertSameTensors(List.of(m), again, "restored");
            }
        }
    }

    /** A local header of stored {@code content} named {@code name}. */
    private static byte[] local(byte[] name, byte[] content) {
        CRC32 crc = new CRC32();
        crc.update(content);
        return ByteBuffer.allocate(30 + name.length + content.length).order(ByteOrder.LITTLE_ENDIAN).putInt(0x04034b50).putShort((short) 20)
                .putShort((short) 0).putShort((short) 0).putInt(0).putInt((int) crc.getValue()).putInt(content.length).putInt(content.length)
                .putShort((short) name.length).putShort((short) 0).put(name).put(content).array();
    }

    /** A central directory entry of stored {@code content} named {@code name}, its local header at {@code offset}. */
    private static byte[] central(byte[] name, byte[] content, int offset) {
        CRC32 crc = new CRC32();
        crc.update(content);
        return ByteBuffer.allocate(46 + name.length).order(ByteOrder.LITTLE_ENDIAN).putInt(0x02014b50).putShort((short) 20).putShort((short) 20)
                .putShort((short) 0).putShort((short) 0).putInt(0).putInt((int) crc.getValue()).putInt(content.length).putInt(content.length)
                .putShort((short) name.length).putShort((short) 0).putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(0)
                .putInt(offset).put(name).array();
    }

    private static byte[] end(int cdSize, int cdOffset, int commentLength) {
        return ByteBuffer.allocate(22).order(ByteOrder.LITTLE_ENDIAN).putInt(0x06054b50).putShort((short) 0).putShort((short) 0)
                .putShort((short) 1).putShort((short) 1).putInt(cdSize).putInt(cdOffset).putShort((short) commentLength).array();
    }

    private static TestTensors.Mem f32(String name, int from) {
        ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 8; i++) {
            b.putFloat(from + i);
        }
        return new TestTensors.Mem(name, dev.coral.tensor.TensorSpec.of(DType.F32, 8), b.array());
    }

    /**
     * Two end records, the first one's comment ending the file, the last one's directory sound:
     * ZipFile takes the last (found by review: this took the first, read another directory, cut
     * the data where ZipFile did not read it, and the file added could not be checked out).
     */
    @Test
    void theEndRecordIsTheOneZipFileTakes() throws IOException {
        byte[] name = "a.npy".getBytes(StandardCharsets.UTF_8);
        TestTensors.Mem x = f32("a", 1);
        TestTensors.Mem y = f32("a", 100);
        byte[] lx = local(name, npy(x));
        byte[] ly = local(name, npy(y));
        byte[] cenA = central(name, npy(x), 0);
        int cA = lx.length + ly.length;
        int cB = cA + cenA.length + 22;
        byte[] tail = TestTensors.concat(TestTensors.concat(central(name, npy(y), lx.length), end(cenA.length, cB, 0)), new byte[] {(byte) 0x80, (byte) 0x80});
        byte[] zip = TestTensors.concat(TestTensors.concat(TestTensors.concat(lx, ly), cenA), TestTensors.concat(end(cenA.length, cA, tail.length), tail));
        Path p = dir.resolve("two-ends.npz");
        Files.write(p, zip);
        try (ParsedWeightFile parsed = format.read(p)) {
            TestTensors.assertSameTensors(List.of(y), parsed, "ZipFile's directory, the last end record's");
            assertTrue(format.restoresBytes(parsed.restoreInfo()));
            assertArrayEquals(zip, TestTensors.restore(format, parsed));
        }
    }

    /**
     * An end record whose directory offset is not where the directory ends before it: ZipFile
     * reads the directory right before the end record and shifts every offset by the difference
     * (bytes before the zip), so the two would read other data. Refused, as numpy's np.load
     * refuses a file that does not start as a zip.
     */
    @Test
    void aDirectoryNotRightBeforeItsEndRecordIsRefused() throws IOException {
        byte[] name = "a.npy".getBytes(StandardCharsets.UTF_8);
        byte[] x = npy(f32("a", 1));
        byte[] y = npy(f32("a", 100));
        byte[] lx = local(name, x);
        byte[] ly = local(name, y);
        byte[] cenA = central(name, x, 0);
        byte[] cenB = central(name, y, lx.length + ly.length - cenA.length);
        byte[] zip = TestTensors.concat(TestTensors.concat(TestTensors.concat(lx, ly), TestTensors.concat(cenA, cenB)),
                end(cenA.length, lx.length + ly.length, 0));
        Path p = dir.resolve("two-directories.npz");
        Files.write(p, zip);
        dev.coral.error.BadInputException e = assertThrows(dev.coral.error.BadInputException.class, () -> format.read(p).close());
        assertTrue(e.getMessage().startsWith(p + ": not a valid zip (npz) file: its central directory"), e.getMessage());
        Files.write(p, TestTensors.concat("#!/bin/sh\n".getBytes(StandardCharsets.US_ASCII), NpzFormatTest.zip(
                List.of(new NpzFormatTest.Member("a.npy", ZipEntry.STORED, x)))));
        e = assertThrows(dev.coral.error.BadInputException.class, () -> format.read(p).close());
        assertTrue(e.getMessage().contains("bytes before the zip"), e.getMessage());
    }

    @Test
    void damagedVerbatimRestoreInfoIsCorrupt() throws IOException {
        byte[] skeleton = new byte[40];
        byte[] good = NpzRestoreInfo.encodeVerbatim(List.of("a.npy", "b.npy"), new int[] {10, 10}, new long[] {10, 30}, skeleton);
        assertEquals(2, NpzRestoreInfo.decodeVerbatim(good).members().size());
        assertEquals(ZipEntry.STORED, NpzRestoreInfo.decode(good).get(1).method());
        List<byte[]> bad = List.of(
                NpzRestoreInfo.encodeVerbatim(List.of("a.npy"), new int[] {10}, new long[] {41}, skeleton), // past the end
                NpzRestoreInfo.encodeVerbatim(List.of("a.npy"), new int[] {10}, new long[] {9}, skeleton), // header before 0
                NpzRestoreInfo.encodeVerbatim(List.of("a.npy"), new int[] {-1}, new long[] {9}, skeleton),
                NpzRestoreInfo.encodeVerbatim(List.of("a.npy", "b.npy"), new int[] {10, 10}, new long[] {30, 25}, skeleton), // overlap
                java.util.Arrays.copyOf(good, good.length - 1),
                TestTensors.concat(good, new byte[1]));
        for (byte[] b : bad) {
            assertThrows(CorruptObjectException.class, () -> NpzRestoreInfo.decodeVerbatim(b));
            assertThrows(CorruptObjectException.class, () -> format.restore(b, List.of(), new ByteArrayOutputStream()));
        }
    }

    private static List<Member> randomMembers(Random r) {
        List<DType> types = TestTensors.numpyTypes();
        List<Member> members = new ArrayList<>();
        int n = r.nextInt(6);
        for (int k = 0; k < n; k++) {
            DType t = types.get(r.nextInt(types.size()));
            TestTensors.Mem m = TestTensors.randomTensor(r, "t" + k, t, r.nextBoolean());
            boolean big = r.nextBoolean();
            String dict = "{'descr': '" + (big ? '>' : '<') + t.numpyCode().orElseThrow() + "', 'fortran_order': "
                    + (m.spec().fortranOrder() ? "True" : "False") + ", 'shape': " + NpyFormatTest.shapeTuple(m.spec().shape(), true) + ", }";
            byte[] data = big ? TestTensors.swap(m.data(), t.swapUnitBytes()) : m.data();
            members.add(new Member(m.name() + ".npy", NpyFormatTest.npy(dict, 1 + r.nextInt(3), data), m));
        }
        return members;
    }

    private static byte[] npy(TestTensors.Mem m) {
        return NpyFormatTest.npy("{'descr': '<f4', 'fortran_order': False, 'shape': " + NpyFormatTest.shapeTuple(m.spec().shape(), true)
                + ", }", 1, m.data());
    }

    /**
     * A zip of stored {@code members}, laid out at random: junk before the first member and
     * between members, extra fields (local and central differ), data descriptors with or without
     * their signature, local headers in shuffled order, an archive comment.
     */
    private static byte[] rawZip(Random r, List<Member> members) {
        ByteBuffer out = ByteBuffer.allocate(1 << 22).order(ByteOrder.LITTLE_ENDIAN);
        out.put(junk(r, r.nextBoolean() ? 0 : r.nextInt(40)));
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < members.size(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, r);
        long[] offsets = new long[members.size()];
        long[] crcs = new long[members.size()];
        boolean[] descriptor = new boolean[members.size()];
        for (int i : order) {
            Member m = members.get(i);
            CRC32 crc = new CRC32();
            crc.update(m.content());
            crcs[i] = crc.getValue();
            descriptor[i] = r.nextInt(4) == 0;
            offsets[i] = out.position();
            byte[] name = m.name().getBytes(StandardCharsets.UTF_8);
            byte[] extra = extra(r);
            out.putInt(0x04034b50).putShort((short) 20).putShort((short) (descriptor[i] ? 8 : 0)).putShort((short) 0)
                    .putShort((short) r.nextInt(1 << 16)).putShort((short) 0x5821)
                    .putInt(descriptor[i] ? 0 : (int) crcs[i]).putInt(descriptor[i] ? 0 : m.content().length)
                    .putInt(descriptor[i] ? 0 : m.content().length).putShort((short) name.length).putShort((short) extra.length)
                    .put(name).put(extra).put(m.content());
            if (descriptor[i]) {
                if (r.nextBoolean()) {
                    out.putInt(0x08074b50);
                }
                out.putInt((int) crcs[i]).putInt(m.content().length).putInt(m.content().length);
            }
            out.put(junk(r, r.nextInt(3) == 0 ? r.nextInt(20) : 0));
        }
        int cdStart = out.position();
        for (int i = 0; i < members.size(); i++) {
            Member m = members.get(i);
            byte[] name = m.name().getBytes(StandardCharsets.UTF_8);
            byte[] extra = extra(r);
            out.putInt(0x02014b50).putShort((short) 0x031e).putShort((short) 20).putShort((short) (descriptor[i] ? 8 : 0))
                    .putShort((short) 0).putShort((short) 0).putShort((short) 0x5821).putInt((int) crcs[i])
                    .putInt(m.content().length).putInt(m.content().length).putShort((short) name.length).putShort((short) extra.length)
                    .putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(0x81a40000).putInt((int) offsets[i])
                    .put(name).put(extra);
        }
        int cdSize = out.position() - cdStart;
        byte[] comment = r.nextBoolean() ? new byte[0] : ("comment " + r.nextInt()).getBytes(StandardCharsets.US_ASCII);
        out.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) members.size())
                .putShort((short) members.size()).putInt(cdSize).putInt(cdStart).putShort((short) comment.length).put(comment);
        return java.util.Arrays.copyOf(out.array(), out.position());
    }

    /** An extra field of made-up id 0xCAFE, or none. */
    private static byte[] extra(Random r) {
        if (r.nextBoolean()) {
            return new byte[0];
        }
        byte[] data = junk(r, r.nextInt(12));
        return ByteBuffer.allocate(4 + data.length).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0xCAFE)
                .putShort((short) data.length).put(data).array();
    }

    /** Bytes that hold no zip signature (their high bit is set). */
    private static byte[] junk(Random r, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (0x80 | r.nextInt(128));
        }
        return b;
    }
}
