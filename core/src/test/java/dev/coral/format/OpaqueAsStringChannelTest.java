package dev.coral.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The view jhdf reads HDF5 through: every byte as in the file but the class of a tagless
 * opaque datatype message (with its v1 message header) read whole, which reads as a string;
 * messages that only look alike (shared, tagged, of no size, another message type) untouched.
 */
class OpaqueAsStringChannelTest {
    @TempDir
    Path dir;

    /** A v1 message header (datatype, 8 bytes, flags) and an opaque datatype body (version, tag length, size). */
    private static byte[] message(int flags, int version, int tagLength, int size) {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) 3).putShort((short) 8).put((byte) flags).put(new byte[3]);
        b.put((byte) (version << 4 | 5)).put((byte) tagLength).put((byte) 0).put((byte) 0).putInt(size);
        return b.array();
    }

    @RepeatedTest(40)
    void everyReadGivesTheFilesBytesButThePatchedClassBytes(RepetitionInfo rep) throws IOException {
        long seed = 20261207L * 1000 + rep.getCurrentRepetition();
        Random r = new Random(seed);
        String msg = "seed " + seed;
        byte[] file = new byte[200 + r.nextInt(4000)];
        r.nextBytes(file);
        List<Integer> planted = new ArrayList<>();
        List<Integer> used = new ArrayList<>();
        for (int k = 0; k < 1 + r.nextInt(6); k++) {
            int at = r.nextInt(file.length - 16);
            if (used.stream().anyMatch(p -> Math.abs(p - at) < 16)) {
                continue;
            }
            used.add(at);
            boolean real = r.nextInt(3) > 0;
            byte[] m = real ? message(r.nextInt(2), 1 + r.nextInt(3), 0, 1 + r.nextInt(16))
                    : switch (r.nextInt(4)) {
                        case 0 -> message(2, 1, 0, 2); // shared: the body is a reference, not a datatype
                        case 1 -> message(1, 1, 8, 2); // tagged: jhdf reads it
                        case 2 -> message(1, 1, 0, 0); // no size
                        default -> message(1, 4, 0, 2); // no such version
                    };
            System.arraycopy(m, 0, file, at, 16);
            if (real) {
                planted.add(at);
            }
        }
        int start = r.nextInt(64);
        byte[] whole = new byte[start + file.length + r.nextInt(64)];
        r.nextBytes(whole);
        System.arraycopy(file, 0, whole, start, file.length);
        Path p = dir.resolve("f" + rep.getCurrentRepetition());
        Files.write(p, whole);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            OpaqueAsStringChannel view = new OpaqueAsStringChannel(ch, start, file.length);
            assertEquals(file.length, view.size(), msg);
            for (int read = 0; read < 50; read++) {
                int from = r.nextInt(file.length);
                ByteBuffer dst = ByteBuffer.allocate(1 + r.nextInt(600));
                int n = view.read(dst, from);
                assertEquals(Math.min(dst.capacity(), file.length - from), n, msg);
                byte[] expected = java.util.Arrays.copyOfRange(file, from, from + n);
                for (int at : planted) {
                    if (at >= from && at + 16 <= from + n) {
                        expected[at + 8 - from] = (byte) (expected[at + 8 - from] & 0xF0 | 3);
                    }
                }
                assertArrayEquals(expected, java.util.Arrays.copyOf(dst.array(), n), msg + ": read of " + dst.capacity() + " at " + from);
            }
            assertEquals(-1, view.read(ByteBuffer.allocate(8), file.length), msg);
            ByteBuffer all = ByteBuffer.allocate(file.length + 10);
            assertEquals(file.length, view.read(all), msg + ": a relative read stops at the view's end");
            assertEquals(file.length, view.position(), msg);
            assertArrayEquals(java.util.Arrays.copyOfRange(file, 10, 30),
                    bytes(view.map(FileChannel.MapMode.READ_ONLY, 10, 20)), msg + ": map is of the file's bytes");
            assertThrows(IOException.class, () -> view.map(FileChannel.MapMode.READ_ONLY, file.length - 4, 8), msg);
        }
    }

    @Test
    void patchedInFindsAPatchedMessageInTheFirstChunkOfTheHeaderAtAnAddressOnly() throws IOException {
        ByteBuffer f = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
        f.put(0, (byte) 1).putInt(8, 48); // a v1 object header at 0: messages [16, 64)
        f.put(16, message(1, 1, 0, 2));
        f.put(96, (byte) 1).putInt(104, 16); // another at 96: messages [112, 128); a patched message right after it
        f.put(128, message(0, 1, 0, 2));
        Path p = dir.resolve("h");
        Files.write(p, f.array());
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            OpaqueAsStringChannel view = new OpaqueAsStringChannel(ch, 0, 256);
            assertFalse(view.patchedIn(0), "nothing read yet, nothing patched");
            ByteBuffer all = ByteBuffer.allocate(256);
            view.read(all, 0);
            assertEquals(0x13, all.get(24), "the class nibble reads as a string");
            assertTrue(view.patchedIn(0));
            assertFalse(view.patchedIn(96), "the message past the header's first chunk is not the header's");
            assertFalse(view.patchedIn(250), "no header fits");
            assertThrows(NonWritableChannelException.class, () -> view.write(ByteBuffer.allocate(1), 0));
        }
        assertEquals(0x15, Files.readAllBytes(p)[24], "the file is not changed");
    }

    /** A v1 attribute message (header and body of version v) named "a", of a tagless opaque type of {@code size} bytes. */
    private static byte[] attribute(int version, int flags, int typeBytes) {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) 0x0C).putShort((short) 48).put((byte) 0).put(new byte[3]);
        b.put((byte) version).put((byte) flags).putShort((short) 2).putShort((short) typeBytes).putShort((short) 8);
        if (version == 3) {
            b.put((byte) 0); // name encoding
        }
        b.put(new byte[] {'a', 0});
        if (version == 1) {
            b.put(new byte[6]); // the name padded to 8 bytes
        }
        b.put((byte) 0x15).put(new byte[3]).putInt(2);
        return b.array();
    }

    @Test
    void anAttributeOfATaglessOpaqueTypeReadsAsAReferenceAndLookAlikesStay() throws IOException {
        int[][] cases = {{1, 0, 8, 16}, {2, 0, 8, 10}, {3, 0, 8, 11}, {2, 1, 8, -1}, {1, 0, 12, -1}, {4, 0, 8, -1}};
        for (int[] c : cases) { // version, flags, datatype size, where the datatype is (from the body) or -1: not patched
            byte[] m = attribute(c[0], c[1], c[2]);
            Path p = dir.resolve("a" + c[0] + c[1] + c[2]);
            Files.write(p, m);
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                ByteBuffer all = ByteBuffer.allocate(m.length);
                new OpaqueAsStringChannel(ch, 0, m.length).read(all, 0);
                byte[] expected = m.clone();
                if (c[3] >= 0) {
                    assertEquals(0x15, expected[8 + c[3]], java.util.Arrays.toString(c));
                    expected[8 + c[3]] = 0x17; // class 7: a reference, never metadata
                }
                assertArrayEquals(expected, all.array(), java.util.Arrays.toString(c));
            }
        }
    }

    /** A version-2 object header (as Hdf5Writer writes one: 8-byte chunk size) holding an opaque datatype message and a dataspace one. */
    private static byte[] v2Header(boolean creationOrder) {
        ByteBuffer m = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        m.put((byte) 1).putShort((short) 4).put((byte) 0);
        if (creationOrder) {
            m.putShort((short) 0);
        }
        m.put(new byte[] {2, 0, 0, 0}); // dataspace: scalar
        m.put((byte) 3).putShort((short) 8).put((byte) 1);
        if (creationOrder) {
            m.putShort((short) 1);
        }
        m.put((byte) 0x15).put(new byte[3]).putInt(2);
        int len = m.position();
        ByteBuffer b = ByteBuffer.allocate(6 + 8 + len + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {'O', 'H', 'D', 'R', 2, (byte) (0x03 | (creationOrder ? 0x04 : 0))}).putLong(len).put(m.array(), 0, len);
        b.putInt(io.jhdf.checksum.JenkinsLookup3HashLittle.hash(java.util.Arrays.copyOf(b.array(), b.capacity() - 4)));
        return b.array();
    }

    @Test
    void aVersion2HeaderReadWholeIsPatchedAndItsChecksumStaysRight() throws IOException {
        for (boolean order : new boolean[] {false, true}) {
            byte[] h = v2Header(order);
            Path p = dir.resolve("v2" + order);
            Files.write(p, h);
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                OpaqueAsStringChannel view = new OpaqueAsStringChannel(ch, 0, h.length);
                ByteBuffer all = ByteBuffer.allocate(h.length);
                view.read(all, 0);
                int type = h.length - 4 - 8;
                assertEquals(0x15, h[type]);
                assertEquals(0x13, all.get(type), "the opaque type reads as a string");
                all.flip();
                io.jhdf.checksum.ChecksumUtils.validateChecksum(all.order(ByteOrder.LITTLE_ENDIAN)); // throws when wrong
                assertTrue(view.patchedIn(0), "creation order " + order);
                ByteBuffer messages = ByteBuffer.allocate(h.length - 14 - 4); // the messages alone, as jhdf reads them first
                view.read(messages, 14);
                assertEquals(0x13, messages.get(type - 14));
                assertArrayEquals(java.util.Arrays.copyOfRange(h, 14, type), java.util.Arrays.copyOfRange(messages.array(), 0, type - 14));
            }
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
