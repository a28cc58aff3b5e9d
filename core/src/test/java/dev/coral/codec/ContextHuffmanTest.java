package dev.coral.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.coral.codec.ChunkCodec.EncodedChunk;
import dev.coral.error.CorruptObjectException;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ContextHuffman} on its own (any plane, any contexts, round trip, exact estimate, every
 * damage named) and inside delta payloads: an Adam step picks it, and it decodes alike from a raw
 * base and in plane space along a chain.
 */
class ContextHuffmanTest {
    private static final CodecWorkspace WS = new CodecWorkspace();
    private static final int[] SIZES = {0, 1, 2, 3, 1023, 1024, 2049, 4095, 4096, 20011, 1 << 18};

    @AfterAll
    static void closeWorkspace() {
        WS.close();
    }

    static LongStream seeds() {
        return LongStream.range(0, 60).map(i -> CodecRoundTripTest.mix((int) i, 0xC0));
    }

    /** A plane and its contexts: several kinds of each, the plane's bytes often tied to their context. */
    record Case(byte[] plane, byte[] ctx, String what) {
    }

    static Case generate(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = SIZES[r.nextInt(SIZES.length)];
        byte[] ctx = new byte[n];
        int ctxKind = r.nextInt(4);
        for (int i = 0; i < n; i++) {
            ctx[i] = (byte) switch (ctxKind) {
                case 0 -> 0x7E; // one context
                case 1 -> r.nextInt(256); // any
                case 2 -> 110 + (int) Math.round(r.nextGaussian() * 4); // exponents of like weights
                default -> r.nextInt(10) == 0 ? 255 : r.nextInt(3); // skewed, the extremes
            };
        }
        byte[] plane = new byte[n];
        int planeKind = r.nextInt(4);
        for (int i = 0; i < n; i++) {
            int c = ctx[i] & 0xFF;
            plane[i] = (byte) switch (planeKind) {
                case 0 -> r.nextInt(256); // incompressible
                case 1 -> r.nextInt(1 << (c % 9)); // leading zeros set by the context
                case 2 -> c; // a function of the context
                default -> r.nextInt(50) == 0 ? 1 : 0; // sparse
            };
        }
        return new Case(plane, ctx, "n=" + n + " contexts kind " + ctxKind + " plane kind " + planeKind + " seed=" + seed);
    }

    /** n contexts drawn from [from, from + count), each byte with as many low random bits as its context's last 3 bits + 1. */
    static Case tiedToContext(long seed, int n, int from, int count) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] ctx = new byte[n];
        byte[] plane = new byte[n];
        for (int i = 0; i < n; i++) {
            ctx[i] = (byte) (from + r.nextInt(count));
            plane[i] = (byte) r.nextInt(1 << ((ctx[i] & 7) + 1));
        }
        return new Case(plane, ctx, "tied to contexts, seed=" + seed);
    }

    /** The case's plane coded by context, exactly as long as the encoding. */
    static byte[] encoded(Case c) {
        int n = c.plane().length;
        byte[] enc = new byte[n];
        int len = ContextHuffman.encode(c.plane(), 0, n, c.ctx(), enc, 0, WS.contextScratch(), WS.huffman());
        assertTrue(len > 0, c.what() + ": codes smaller by context");
        return Arrays.copyOf(enc, len);
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void roundTripsAndEstimatesExactly(long seed) throws Exception {
        Case c = generate(seed);
        int n = c.plane().length;
        int at = 3;
        byte[] dst = new byte[at + Math.max(0, n - 1)];
        int len = ContextHuffman.encode(c.plane(), 0, n, c.ctx(), dst, at, WS.contextScratch(), WS.huffman());
        long est = ContextHuffman.estimate(c.plane(), 0, n, c.ctx(), WS.contextScratch(), WS.huffman());
        if (len < 0) {
            assertTrue(est >= n, c.what() + ": encode gave up but the estimate is " + est);
            return;
        }
        assertTrue(len < n, c.what() + ": " + len + " bytes for " + n);
        assertEquals(len, est, c.what() + ": the estimate is the encoded length");
        byte[] back = new byte[n + 2];
        ContextHuffman.decode(dst, at, len, back, 1, n, c.ctx(), WS.contextScratch(), WS.huffman());
        assertArrayEquals(c.plane(), Arrays.copyOfRange(back, 1, 1 + n), c.what());
        assertEquals(0, back[0], c.what() + ": wrote before the destination");
        assertEquals(0, back[n + 1], c.what() + ": wrote past the destination");
    }

    /**
     * Runs of the longest codes (11 bits) in every stream: the decoder takes five symbols from
     * each 8-byte read, which holds 57 bits at least; six would need 66. Bytes 0-7 geometric
     * (codes of 1-8 bits take the code space), with runs of bytes 128-255 at random places and of
     * random lengths: rare, so their codes are as long as codes go, and each stream has such runs
     * crossing its reads at every offset.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void runsOfTheLongestCodesDecode(long seed) throws Exception {
        SplittableRandom r = new SplittableRandom(seed);
        int n = 1 << 16;
        byte[] plane = new byte[n];
        byte[] ctx = new byte[n];
        for (int i = 0; i < n; i++) {
            ctx[i] = (byte) (i * 7 % 3);
            plane[i] = (byte) Math.min(7, Long.numberOfTrailingZeros(r.nextLong()));
        }
        for (int run = 0; run < 60; run++) {
            int from = r.nextInt(n - 64);
            int len = 1 + r.nextInt(64);
            for (int i = from; i < from + len; i++) {
                plane[i] = (byte) (128 + r.nextInt(128));
            }
        }
        Case c = new Case(plane, ctx, "runs of rare bytes, seed=" + seed);
        byte[] enc = encoded(c);
        byte[] back = new byte[n];
        ContextHuffman.decode(enc, 0, enc.length, back, 0, n, ctx, WS.contextScratch(), WS.huffman());
        assertArrayEquals(plane, back, c.what());
    }

    @Test
    void contextsSplitTheCodeWhereTheyPredictTheBytes() {
        Case c = null;
        for (long s = 0; c == null || c.plane().length < 20011 || !c.what().contains("plane kind 1"); s++) {
            c = generate(CodecRoundTripTest.mix((int) s, 0xC1));
        }
        int n = c.plane().length;
        long plain = HuffmanCoder.estimate(c.plane(), 0, n, WS.huffman());
        long split = ContextHuffman.estimate(c.plane(), 0, n, c.ctx(), WS.contextScratch(), WS.huffman());
        if (!c.what().contains("contexts kind 0")) {
            assertTrue(split * 100 < plain * 95, c.what() + ": " + split + " bytes with contexts, " + plain + " without");
        }
    }

    @Test
    void damageIsNamed() throws Exception {
        int n = 50_000;
        Case f = tiedToContext(11, n, 0, 64);
        byte[] ctx = f.ctx();
        byte[] plane = f.plane();
        byte[] enc = encoded(f);
        int len = enc.length;
        int groups = enc[0];
        assertTrue(groups > 1, "several groups: " + groups);
        expectCorrupt(patch(enc, len, 0, 0), len, ctx, "0 groups");
        expectCorrupt(patch(enc, len, 0, ContextHuffman.MAX_GROUPS + 1), len, ctx, (ContextHuffman.MAX_GROUPS + 1) + " groups");
        expectCorrupt(patch(enc, len, 2, enc[1]), len, ctx, "boundaries not increasing");
        expectCorrupt(patch(enc, len, groups, 7), len, ctx, "group 0 has unknown code kind 7");
        byte[] shortTable = patch(enc, len, groups + 1, enc[groups + 1] - 1); // last symbol moved: the table no longer adds up
        expectCorrupt(shortTable, len, ctx, "group 0: Huffman");
        for (int cut : new int[] {len - 1, len / 2, groups + 3}) {
            expectCorrupt(enc, cut, ctx, "context Huffman plane");
        }
        byte[] trailing = Arrays.copyOf(enc, len + 1);
        expectCorrupt(trailing, len + 1, ctx, "stream 3 does not end in its end marker");
        expectCorrupt(enc, 0, ctx, "0 bytes");
        byte[] flipped = Arrays.copyOf(enc, len); // a bit of stream 0's first bytes: the codes no longer meet the end marker
        int streams = len - 1;
        while (flipped[streams] == 0) {
            streams--;
        }
        flipped[len - 1] ^= 0x40;
        expectCorrupt(flipped, len, ctx, "end marker");
        byte[] otherCtx = ctx.clone(); // a wrong base: other codes for half the elements
        for (int i = 0; i < n; i += 2) {
            otherCtx[i] = (byte) ((otherCtx[i] + 32) & 63);
        }
        byte[] wrong = new byte[n];
        try {
            ContextHuffman.decode(enc, 0, len, wrong, 0, n, otherCtx, WS.contextScratch(), WS.huffman());
            assertTrue(!Arrays.equals(plane, wrong), "a wrong base cannot give back the plane");
        } catch (CorruptObjectException expected) {
            assertTrue(expected.getMessage().contains("context Huffman plane"), expected.getMessage());
        }
    }

    @Test
    void randomDamageNeverEscapesAsAnythingButCorruption() throws Exception {
        int n = 9_000;
        Case f = tiedToContext(13, n, 100, 24);
        byte[] ctx = f.ctx();
        CodecTestData.assertDamageOnlyCorrupts(encoded(f), 13, 3000, 200, // 200: the header and code tables
                (d, len, trial) -> ContextHuffman.decode(d, 0, len, new byte[n], 0, n, ctx, WS.contextScratch(), WS.huffman()));
    }

    private static byte[] patch(byte[] enc, int len, int at, int value) {
        byte[] p = Arrays.copyOf(enc, len);
        p[at] = (byte) value;
        return p;
    }

    private static void expectCorrupt(byte[] enc, int len, byte[] ctx, String expected) {
        int n = ctx.length;
        CorruptObjectException e = assertThrows(CorruptObjectException.class,
                () -> ContextHuffman.decode(enc, 0, len, new byte[n], 0, n, ctx, WS.contextScratch(), WS.huffman()), expected);
        assertTrue(e.getMessage().contains(expected), "message '" + e.getMessage() + "' should name: " + expected);
    }

    /** Adam steps of weights spanning three decades ({@link CodecTestData#adamHistory}). */
    static byte[][] adamHistory(int w, int n, int steps, long seed) {
        return CodecTestData.adamHistory(w, n, steps, seed, true);
    }

    @ParameterizedTest(name = "width {0}")
    @ValueSource(ints = {2, 4, 8})
    void anAdamStepIsCodedByContextAndDecodesAlongAChainInPlaneSpace(int w) throws Exception {
        int n = 300_000 / w;
        int len = n * w;
        byte[][] h = adamHistory(w, n, 4, 77 + w);
        byte[][] payloads = new byte[h.length][];
        payloads[0] = ChunkEncoder.encode(ChunkCodec.PLANES, h[0], 0, len, w, null, 0, 1, WS).data();
        boolean sawContexts = false;
        for (int s = 1; s < h.length; s++) {
            EncodedChunk best = ChunkEncoder.encodeBest(h[s], 0, len, w, h[s - 1], 0, 1, ChunkEncoder.Choice.SAMPLED, WS);
            assertTrue(best.codec().needsBase(), "step " + s + ": " + best.codec());
            assertArrayEquals(h[s], ChunkDecoder.decode(best.data(), h[s - 1], len), "step " + s + ", " + best.codec());
            EncodedChunk e = ChunkEncoder.encode(ChunkCodec.XOR_PLANES, h[s], 0, len, w, h[s - 1], 0, 1, WS);
            payloads[s] = e.data();
            sawContexts |= ChunkFormat.planeModes(e.data(), 0, e.length()).contains(PlaneMode.CONTEXT_HUFFMAN);
            assertArrayEquals(h[s], ChunkDecoder.decode(e.data(), h[s - 1], len), "step " + s + " from the raw base");
        }
        if (w <= 4) {
            assertTrue(sawContexts, "an Adam step of width " + w + " is coded by context");
        }
        CodecTestData.assertChainDecodesInPlaneSpace(h, payloads, w, WS);
    }

    @Test
    void contextModeOutsideADeltaOfWidthTwoOrMoreIsCorrupt() throws Exception {
        byte[][] h = adamHistory(4, 20_000, 2, 5);
        EncodedChunk e = ChunkEncoder.encode(ChunkCodec.XOR_PLANES, h[1], 0, h[1].length, 4, h[0], 0, 1, WS);
        byte[] p = e.data().clone();
        int plane = ChunkFormat.planeModes(p, 0, p.length).indexOf(PlaneMode.CONTEXT_HUFFMAN);
        assertTrue(plane >= 0, "the delta has a context-coded plane");
        p[0] = (byte) ChunkCodec.PLANES.id();
        byte[] asKeyframe = CodecCorruptionTest.reseal(p);
        CorruptObjectException x = assertThrows(CorruptObjectException.class,
                () -> ChunkDecoder.decode(asKeyframe, null, h[1].length));
        assertTrue(x.getMessage().contains("CONTEXT_HUFFMAN in a PLANES payload"), x.getMessage());
        // the encoder codes SUB deltas without contexts, but a SUB delta with a context plane (as an
        // early build wrote) is read: the same planes relabelled SUB decode to base + (chunk ^ base)
        EncodedChunk sub = ChunkEncoder.encode(ChunkCodec.SUB_PLANES, h[1], 0, h[1].length, 4, h[0], 0, 1, WS);
        assertTrue(!ChunkFormat.planeModes(sub.data(), 0, sub.length()).contains(PlaneMode.CONTEXT_HUFFMAN));
        byte[] relabelled = e.data().clone();
        relabelled[0] = (byte) ChunkCodec.SUB_PLANES.id();
        byte[] got = ChunkDecoder.decode(CodecCorruptionTest.reseal(relabelled), h[0], h[1].length);
        java.nio.ByteBuffer base = java.nio.ByteBuffer.wrap(h[0]).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        java.nio.ByteBuffer chunk = java.nio.ByteBuffer.wrap(h[1]).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        java.nio.ByteBuffer out = java.nio.ByteBuffer.wrap(got).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < h[1].length; i += 4) {
            assertEquals(base.getInt(i) + (chunk.getInt(i) ^ base.getInt(i)), out.getInt(i), "element " + i / 4);
        }
    }

    /**
     * The bytes of a plane of several context groups (one a single symbol) are those the first
     * release wrote: a faster encoder may not change them, since stored payloads are decoded by them.
     */
    @Test
    void formatIsPinned() {
        int n = 40_000;
        byte[] ctx = new byte[n];
        byte[] plane = new byte[n];
        SplittableRandom r = new SplittableRandom(20261201L);
        for (int i = 0; i < n; i++) {
            int c = 100 + r.nextInt(30);
            ctx[i] = (byte) c;
            int spread = c < 105 ? 0 : c < 115 ? 3 : 7; // the smallest magnitudes change no bit here
            plane[i] = (byte) (spread == 0 ? 0 : r.nextInt(1 << spread) * (r.nextInt(4) == 0 ? 1 : 0));
        }
        byte[] dst = new byte[n];
        int len = ContextHuffman.encode(plane, 0, n, ctx, dst, 0, WS.contextScratch(), WS.huffman());
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(dst, 0, len);
        assertTrue(dst[0] >= 3, "groups: " + dst[0]);
        assertEquals(PINNED_LENGTH + " " + PINNED_CRC, len + " " + Long.toHexString(crc.getValue()));
    }

    static final int PINNED_LENGTH = 10152;
    static final String PINNED_CRC = "9aabfedf";
    /**
     * The contexts of raw elements (the 8 bits below the sign: the top byte's low 7 bits, then the
     * next byte's top bit), word at a time for widths 2 and 4, against one byte pair at a time, at
     * any count and offset.
     */
    @org.junit.jupiter.api.RepeatedTest(5)
    void contextsOfRawElementsMatchTheByteReference() {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom r = new SplittableRandom(seed);
        for (int w : new int[] {2, 4, 8, 16}) {
            for (int n : new int[] {0, 1, 3, 4, 7, 8, 9, 15, 16, 17, 1000 + r.nextInt(100)}) {
                int off = r.nextInt(9);
                byte[] raw = new byte[off + n * w + r.nextInt(9)];
                r.nextBytes(raw);
                byte[] ctx = new byte[n + 3];
                Arrays.fill(ctx, (byte) 0x5A);
                ContextHuffman.contextsOfRaw(raw, off, n, w, ctx);
                for (int i = 0; i < n; i++) {
                    int top = raw[off + i * w + w - 1] & 0xFF;
                    int next = raw[off + i * w + w - 2] & 0xFF;
                    assertEquals((byte) (top << 1 | next >>> 7), ctx[i], "seed " + seed + ", width " + w + ", n " + n + ", element " + i);
                }
                for (int i = n; i < ctx.length; i++) {
                    assertEquals((byte) 0x5A, ctx[i], "seed " + seed + ": written past n");
                }
            }
        }
    }
}
