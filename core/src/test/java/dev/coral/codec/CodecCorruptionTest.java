package dev.coral.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.coral.codec.ChunkCodec.EncodedChunk;
import dev.coral.codec.CodecTestData.Base;
import dev.coral.codec.CodecTestData.Content;
import dev.coral.codec.CodecTestData.Pair;
import dev.coral.error.CorruptObjectException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Damaged payloads raise {@link CorruptObjectException}: flipped bytes, truncation, unknown
 * codec id, wrong width, bad plane table, bad zstd frames, missing base. Cases are seeded; the
 * seed is in every failure message.
 */
class CodecCorruptionTest {
    private static final CodecWorkspace WS = new CodecWorkspace();

    @AfterAll
    static void closeWorkspace() {
        WS.close();
    }

    /** A payload with its input, for damaging. */
    record Sample(String what, byte[] payload, byte[] raw, byte[] base, int w) {
    }

    static Stream<Arguments> seeds() {
        List<Arguments> out = new ArrayList<>();
        Random r = new Random(20260503);
        for (int i = 0; i < 60; i++) {
            out.add(Arguments.of(r.nextLong()));
        }
        return out.stream();
    }

    /** A random codec, width, length, content and base from the seed, encoded. */
    static Sample sample(long seed) {
        Random r = new Random(seed);
        int w = new int[] {1, 2, 4, 8, 16}[r.nextInt(5)];
        int elements = new int[] {0, 1, 5, 77, 3001, 9000}[r.nextInt(6)];
        Content content = Content.values()[r.nextInt(Content.values().length)];
        ChunkCodec codec = ChunkCodec.values()[r.nextInt(ChunkCodec.values().length)];
        Base baseKind = codec.needsBase() ? Base.NEARLY_EQUAL : Base.NONE;
        Pair p = CodecTestData.generate(content, baseKind, w, elements, seed);
        EncodedChunk enc = ChunkEncoder.encode(codec, p.raw(), 0, p.raw().length, w, p.base(), 0, 1, WS);
        String what = codec + " w=" + w + " elements=" + elements + " " + content + " seed=" + seed;
        return new Sample(what, enc.data(), p.raw(), p.base(), w);
    }

    private static void decode(Sample s, byte[] payload, int len) throws CorruptObjectException {
        byte[] dst = new byte[s.raw().length];
        ChunkDecoder.decode(payload, 0, len, s.base(), 0, dst, 0, s.raw().length, s.w(), WS);
        // reaching here is only allowed when the damage did not change a thing the payload depends on
        fail(s.what() + ": damaged payload decoded without error");
    }

    private static void expectCorrupt(Sample s, byte[] payload, int len, String damage) {
        try {
            decode(s, payload, len);
        } catch (CorruptObjectException expected) {
            return;
        } catch (RuntimeException | Error e) {
            if (e instanceof AssertionError && e.getMessage() != null && e.getMessage().contains("decoded without error")) {
                throw e;
            }
            fail(s.what() + ", " + damage + ": " + e + " instead of CorruptObjectException", e);
        }
    }

    /** Recomputes the CRC so the damage reaches the structural checks behind it. */
    static byte[] reseal(byte[] p) {
        if (p.length >= ChunkFormat.HEADER_BYTES) {
            ChunkFormat.seal(p, p.length);
        }
        return p;
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void everySingleFlippedByteIsDetected(long seed) throws Exception {
        Sample s = sample(seed);
        Random r = new Random(seed ^ 1);
        byte[] dst = new byte[s.raw().length];
        ChunkDecoder.decode(s.payload(), 0, s.payload().length, s.base(), 0, dst, 0, dst.length, s.w(), WS);
        assertArrayEquals(s.raw(), dst, s.what() + ": undamaged payload");
        int n = s.payload().length;
        int tries = Math.min(n, 400);
        for (int t = 0; t < tries; t++) {
            int at = n <= 400 ? t : r.nextInt(n);
            byte[] p = s.payload().clone();
            p[at] ^= (byte) (1 + r.nextInt(255));
            expectCorrupt(s, p, n, "byte " + at + " flipped");
        }
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void truncationIsDetected(long seed) {
        Sample s = sample(seed);
        Random r = new Random(seed ^ 2);
        int n = s.payload().length;
        for (int t = 0; t < Math.min(n, 200); t++) {
            int len = n <= 200 ? t : r.nextInt(n);
            byte[] p = java.util.Arrays.copyOf(s.payload(), len);
            expectCorrupt(s, p, len, "truncated to " + len);
            expectCorrupt(s, reseal(p.clone()), len, "truncated to " + len + " and resealed");
        }
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void unknownCodecIdsAndWidthsAreRejected(long seed) {
        Sample s = sample(seed);
        for (int id = 6; id < 256; id += 7) {
            byte[] p = s.payload().clone();
            p[0] = (byte) id;
            expectCorrupt(s, reseal(p), p.length, "codec id " + id);
        }
        for (int w : new int[] {0, 3, 5, 6, 7, 9, 12, 15, 17, 32, 64, 128, 255}) {
            byte[] p = s.payload().clone();
            p[1] = (byte) w;
            expectCorrupt(s, reseal(p), p.length, "width " + w);
        }
        // a valid width that is not the one the caller's dtype has
        for (int w : new int[] {1, 2, 4, 8, 16}) {
            if (w == s.w()) {
                continue;
            }
            byte[] p = s.payload().clone();
            p[1] = (byte) w;
            expectCorrupt(s, reseal(p), p.length, "width " + w + " for a " + s.w() + "-byte dtype");
        }
        byte[] p = s.payload().clone();
        p[2] = 1;
        expectCorrupt(s, reseal(p), p.length, "flags 1");
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void damagedPlaneTablesAndBodiesNeverCrash(long seed) {
        Sample s = sample(seed);
        Random r = new Random(seed ^ 3);
        byte[] orig = s.payload();
        int planes = orig[3] & 0xFF;
        for (int t = 0; t < 60; t++) {
            byte[] p = orig.clone();
            int kind = r.nextInt(4);
            if (kind == 0 && planes > 0) {
                int k = r.nextInt(planes);
                p[ChunkFormat.HEADER_BYTES + ChunkFormat.PLANE_ENTRY_BYTES * k] = (byte) r.nextInt(256);
            } else if (kind == 1 && planes > 0) {
                int k = r.nextInt(planes);
                ChunkFormat.putInt(p, ChunkFormat.HEADER_BYTES + ChunkFormat.PLANE_ENTRY_BYTES * k + 1, r.nextInt());
            } else if (kind == 2) {
                ChunkFormat.putInt(p, 4, r.nextInt());
            } else if (p.length > ChunkFormat.HEADER_BYTES + 5 * planes) {
                int from = ChunkFormat.HEADER_BYTES + 5 * planes;
                p[from + r.nextInt(p.length - from)] ^= (byte) (1 + r.nextInt(255));
            }
            reseal(p);
            // with a recomputed CRC the damage may be undetectable (a raw plane byte): only
            // CorruptObjectException or a normal return are allowed, never another failure
            try {
                byte[] dst = new byte[s.raw().length];
                ChunkDecoder.decode(p, 0, p.length, s.base(), 0, dst, 0, dst.length, s.w(), WS);
            } catch (CorruptObjectException expected) {
                // fine
            } catch (RuntimeException | Error e) {
                fail(s.what() + ", damage kind " + kind + " try " + t + ": " + e, e);
            }
        }
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void wrongRawLengthOrMissingBaseIsRejected(long seed) {
        Sample s = sample(seed);
        int len = s.raw().length;
        for (int claimed : new int[] {len + s.w(), len + 1, Math.max(0, len - s.w())}) {
            if (claimed == len) {
                continue;
            }
            byte[] dst = new byte[claimed];
            assertThrows(CorruptObjectException.class,
                    () -> ChunkDecoder.decode(s.payload(), 0, s.payload().length, s.base(), 0, dst, 0, claimed, WS),
                    s.what() + ": raw length " + claimed);
        }
        if ((s.payload()[0] & 0xFF) >= ChunkCodec.XOR_PLANES.id()) {
            assertThrows(CorruptObjectException.class, () -> ChunkDecoder.decode(s.payload(), null, len), s.what() + ": no base");
        }
    }

    @Test
    void garbageZstdFrameInAPlaneIsCorrupt() throws Exception {
        Random r = new Random(7);
        byte[] raw = new byte[4 * 5000];
        for (int i = 0; i < raw.length; i += 4) {
            raw[i + 3] = (byte) (0x3C + ((i / 400) & 1)); // long runs in the top plane: zstd beats Huffman
            raw[i] = (byte) r.nextInt(256);
        }
        garbageInPlaneZeroIsCorrupt(raw, PlaneMode.ZSTD, r);
    }

    @Test
    void garbageHuffmanStreamInAPlaneIsCorrupt() throws Exception {
        Random r = new Random(8);
        byte[] raw = new byte[4 * 5000];
        for (int i = 0; i < raw.length; i += 4) {
            raw[i + 3] = (byte) (0x3C + (r.nextInt(8) == 0 ? r.nextInt(6) : 0)); // skewed, no runs: Huffman
            raw[i] = (byte) r.nextInt(256);
        }
        garbageInPlaneZeroIsCorrupt(raw, PlaneMode.HUFFMAN, r);
    }

    private static void garbageInPlaneZeroIsCorrupt(byte[] raw, PlaneMode expectedMode, Random r) throws Exception {
        EncodedChunk enc = ChunkEncoder.encode(ChunkCodec.PLANES, raw, 0, raw.length, 4, null, 0, 1, WS);
        ChunkFormat.PayloadInfo info = ChunkFormat.describe(enc.data(), 0, enc.length());
        assertEquals(expectedMode, info.planeModes().get(0), "top plane's mode");
        int body = ChunkFormat.HEADER_BYTES + 5 * 4;
        for (int t = 0; t < 50; t++) {
            byte[] p = enc.data().clone();
            for (int i = 0; i < info.planeLengths().get(0); i++) {
                p[body + i] = (byte) r.nextInt(256);
            }
            reseal(p);
            byte[] dst = new byte[raw.length];
            try {
                ChunkDecoder.decode(p, 0, p.length, null, 0, dst, 0, raw.length, WS);
                fail("random bytes decoded as a " + expectedMode + " plane of the right size");
            } catch (CorruptObjectException expected) {
                assertTrue(expected.getMessage().contains("plane 0"), expected.getMessage());
            }
        }
    }

    @Test
    void legacyEnumKnowsTheNewIds() throws Exception {
        assertEquals(ChunkCodec.PLANES, ChunkCodec.byId(2));
        assertEquals(ChunkCodec.XOR_PLANES, ChunkCodec.byId(3));
        assertEquals(ChunkCodec.SUB_PLANES, ChunkCodec.byId(4));
        assertEquals(ChunkCodec.ZIGZAG_PLANES, ChunkCodec.byId(5));
        CorruptObjectException unknown = assertThrows(CorruptObjectException.class, () -> ChunkCodec.byId(6));
        assertTrue(unknown.getMessage().contains("newer Coral"), unknown.getMessage());
        assertTrue(ChunkCodec.XOR_PLANES.needsBase() && ChunkCodec.SUB_PLANES.needsBase() && ChunkCodec.ZIGZAG_PLANES.needsBase());
        assertTrue(!ChunkCodec.PLANES.needsBase() && !ChunkCodec.ZSTD.needsBase() && !ChunkCodec.RAW.needsBase());
        byte[] raw = new byte[4000];
        new Random(3).nextBytes(raw);
        EncodedChunk enc = ChunkEncoder.encode(ChunkCodec.PLANES, raw, 0, raw.length, 4, null, 1);
        byte[] dst = new byte[raw.length];
        ChunkCodec.PLANES.decode(enc.data(), enc.length(), dst, raw.length, "chunk x");
        assertArrayEquals(raw, dst);
        assertThrows(CorruptObjectException.class, () -> ChunkCodec.XOR_PLANES.decode(enc.data(), enc.length(), dst, raw.length, "x"));
    }

    @Test
    void encoderRejectsBadArguments() {
        byte[] raw = new byte[12];
        assertThrows(IllegalArgumentException.class, () -> ChunkEncoder.encode(ChunkCodec.PLANES, raw, 0, 12, 3, null, 1));
        assertThrows(IllegalArgumentException.class, () -> ChunkEncoder.encode(ChunkCodec.PLANES, raw, 0, 10, 4, null, 1));
        assertThrows(IllegalArgumentException.class, () -> ChunkEncoder.encode(ChunkCodec.XOR_PLANES, raw, 0, 12, 4, null, 1));
        assertThrows(IllegalArgumentException.class, () -> ChunkEncoder.encode(ChunkCodec.XOR_PLANES, raw, 0, 12, 4, new byte[8], 1));
        assertThrows(IllegalArgumentException.class, () -> ChunkEncoder.encode(ChunkCodec.RAW, raw, 4, 12, 4, null, 1));
    }

    @Test
    void planeWidthsOfEveryDType() {
        for (dev.coral.tensor.DType t : dev.coral.tensor.DType.values()) {
            int w = ChunkEncoder.planeWidth(t);
            assertTrue(ChunkFormat.isValidWidth(w), t + " -> " + w);
            if (t.isByteAligned()) {
                assertEquals(0, t.elementBytes() % w, t + ": chunks cut on elements are whole planes");
            }
        }
        assertEquals(4, ChunkEncoder.planeWidth(dev.coral.tensor.DType.C64));
        assertEquals(2, ChunkEncoder.planeWidth(dev.coral.tensor.DType.BF16));
        assertEquals(1, ChunkEncoder.planeWidth(dev.coral.tensor.DType.F4));
        assertEquals(16, ChunkEncoder.planeWidth(dev.coral.tensor.DType.F128));
    }
}
