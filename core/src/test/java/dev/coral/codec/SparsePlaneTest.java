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
 * {@link SparsePlane} on its own (any plane of any density and size, round trip set and XORed,
 * exact estimate, every damage named) and inside delta payloads: the sign and exponent plane of
 * an Adam step picks it, beats every other coding of it, and decodes along a chain in plane space.
 */
class SparsePlaneTest {
    private static final CodecWorkspace WS = new CodecWorkspace();
    private static final int[] SIZES = {0, 1, 2, 3, 7, 8, 9, 254, 255, 256, 511, 1024, 4095, 4096, 20011, 1 << 18};

    @AfterAll
    static void closeWorkspace() {
        WS.close();
    }

    static LongStream seeds() {
        return LongStream.range(0, 80).map(i -> CodecRoundTripTest.mix((int) i, 0x5A));
    }

    record Case(byte[] plane, String what) {
    }

    /** A plane: all zero, one nonzero byte, runs longer than an escape, clusters, any density up to dense. */
    static Case generate(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = SIZES[r.nextInt(SIZES.length)];
        byte[] plane = new byte[n];
        int kind = r.nextInt(6);
        double density = switch (kind) {
            case 0 -> 0;
            case 1 -> 0.001;
            case 2 -> 0.07; // an Adam XOR delta's sign and exponent plane
            case 3 -> 0.3;
            case 4 -> 0.5;
            default -> 1;
        };
        boolean fewValues = r.nextBoolean();
        for (int i = 0; i < n; i++) {
            if (r.nextDouble() < density) {
                plane[i] = (byte) (fewValues ? new int[] {1, 3, 7, 128, 129}[r.nextInt(5)] : 1 + r.nextInt(255));
            }
        }
        if (n > 0 && r.nextInt(4) == 0) {
            plane[n - 1] = (byte) 0x80; // a value at the very end
        }
        if (n > 600 && r.nextInt(4) == 0) {
            Arrays.fill(plane, 10, 600, (byte) 0); // a run of more than two escapes
            plane[600] = 5;
        }
        return new Case(plane, "seed " + seed + ": " + n + " bytes, density " + density + (fewValues ? ", few values" : ""));
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void roundTripsSetAndXoredAndEstimatesExactly(long seed) throws Exception {
        Case c = generate(seed);
        byte[] plane = c.plane();
        int n = plane.length;
        int at = 3;
        byte[] dst = new byte[at + Math.max(0, n - 1)];
        int len = SparsePlane.encode(plane, 0, n, dst, at, WS.sparseScratch(), WS.huffman());
        long est = SparsePlane.estimate(plane, 0, n, WS.sparseScratch(), WS.huffman());
        if (len < 0) {
            assertTrue(est >= n, c.what() + ": encode gave up but the estimate is " + est);
            return;
        }
        assertTrue(len < n, c.what() + ": " + len + " bytes for " + n);
        assertEquals(len, est, c.what() + ": the estimate is the encoded length");
        byte[] back = new byte[n + 2];
        Arrays.fill(back, (byte) 0x5C); // overwritten, not XORed into
        back[0] = 0;
        back[n + 1] = 0;
        SparsePlane.decode(dst, at, len, back, 1, n, false, WS.sparseScratch(), WS.huffman());
        assertArrayEquals(plane, Arrays.copyOfRange(back, 1, 1 + n), c.what());
        assertEquals(0, back[0], c.what() + ": wrote before the destination");
        assertEquals(0, back[n + 1], c.what() + ": wrote past the destination");
        byte[] acc = new byte[n];
        new SplittableRandom(seed).nextBytes(acc);
        byte[] want = acc.clone();
        for (int i = 0; i < n; i++) {
            want[i] ^= plane[i];
        }
        SparsePlane.decode(dst, at, len, acc, 0, n, true, WS.sparseScratch(), WS.huffman());
        assertArrayEquals(want, acc, c.what() + ": XORed into a chain's planes");
    }

    /**
     * Planes of mostly zero blocks, so tokenizing skips zero blocks ({@link SparsePlane#ZERO_BLOCK}),
     * with dense islands, values on and next to block edges and zero runs of every escape count:
     * the tokens and values are those of the format's definition, byte by byte.
     */
    @ParameterizedTest
    @MethodSource("seeds")
    void tokensAreTheFormatsWhereZeroBlocksAreSkipped(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int block = SparsePlane.ZERO_BLOCK;
        int n = block * SparsePlane.ZERO_BLOCK_PROBES * (1 + r.nextInt(8)) + r.nextInt(block);
        byte[] plane = new byte[n];
        for (int b = 0; b < n / block; b++) {
            if (r.nextInt(4) == 0) { // a quarter of the blocks hold something
                switch (r.nextInt(4)) {
                    case 0 -> plane[b * block] = (byte) (1 + r.nextInt(255));
                    case 1 -> plane[b * block + block - 1] = (byte) (1 + r.nextInt(255));
                    case 2 -> {
                        for (int i = b * block; i < (b + 1) * block; i++) {
                            plane[i] = (byte) (r.nextBoolean() ? 0 : 1 + r.nextInt(255)); // a dense island
                        }
                    }
                    default -> plane[b * block + r.nextInt(block)] = (byte) (1 + r.nextInt(255));
                }
            }
        }
        if (r.nextBoolean()) {
            plane[n - 1] = 7;
        }
        String what = "seed " + seed + ", " + n + " bytes";
        SparsePlane.Scratch s = WS.sparseScratch();
        SparsePlane.estimate(plane, 0, n, s, WS.huffman());
        byte[] tokens = new byte[n + 1];
        byte[] values = new byte[n + 1];
        int t = 0;
        int v = 0;
        int run = 0;
        for (byte b : plane) {
            if (b == 0) {
                run++;
                continue;
            }
            for (; run >= SparsePlane.RUN_ESCAPE; run -= SparsePlane.RUN_ESCAPE) {
                tokens[t++] = (byte) SparsePlane.RUN_ESCAPE;
            }
            tokens[t++] = (byte) run;
            values[v++] = b;
            run = 0;
        }
        assertEquals(t, s.tokenCount, what + ": tokens");
        assertEquals(v, s.valueCount, what + ": values");
        assertArrayEquals(Arrays.copyOf(tokens, t), Arrays.copyOf(s.tokens, t), what + ": tokens");
        assertArrayEquals(Arrays.copyOf(values, v), Arrays.copyOf(s.values, v), what + ": values");
    }

    @Test
    void aMostlyZeroPlaneGoesBelowOneBitPerByte() {
        Case c = adamSignExponentPlane(1 << 18, 3);
        int n = c.plane().length;
        long sparse = SparsePlane.estimate(c.plane(), 0, n, WS.sparseScratch(), WS.huffman());
        long huffman = HuffmanCoder.estimate(c.plane(), 0, n, WS.huffman());
        assertTrue(huffman >= n / 8, "Huffman spends a bit per byte at least: " + huffman);
        assertTrue(sparse * 100 < huffman * 70, sparse + " bytes sparse, " + huffman + " Huffman");
    }

    @Test
    void densePlanesAreNotTried() {
        byte[] dense = new byte[3000];
        Arrays.fill(dense, 0, 1001, (byte) 1);
        assertEquals(-1, SparsePlane.encode(dense, 0, dense.length, new byte[3000], 0, WS.sparseScratch(), WS.huffman()));
        assertEquals(dense.length, SparsePlane.estimate(dense, 0, dense.length, WS.sparseScratch(), WS.huffman()));
    }

    @Test
    void damageIsNamed() throws Exception {
        Case c = adamSignExponentPlane(50_000, 5);
        int n = c.plane().length;
        byte[] enc = encoded(c.plane());
        int len = enc.length;
        int tokens = ChunkFormat.getInt(enc, 0);
        int tokenBytes = ChunkFormat.getInt(enc, 4);
        assertTrue(tokenBytes < tokens, "the tokens are Huffman-coded");
        expectCorrupt(enc, 7, n, "shorter than its header");
        expectCorrupt(withInt(enc, 0, n + 1), len, n, (n + 1) + " run tokens for " + n + " bytes");
        expectCorrupt(withInt(enc, 0, -1), len, n, "4294967295 run tokens");
        expectCorrupt(withInt(enc, 4, tokens + 1), len, n, "token stream of " + (tokens + 1) + " bytes");
        expectCorrupt(withInt(enc, 4, len), len, n, "token stream of " + len + " bytes");
        expectCorrupt(enc, SparsePlane.HEADER_BYTES + tokenBytes / 2, n, "token stream of " + tokenBytes + " bytes");
        expectCorrupt(enc, len - 1, n, "sparse plane");
        byte[] flipped = enc.clone(); // the token code table: the tokens no longer decode, or not to these runs
        flipped[SparsePlane.HEADER_BYTES + 2] ^= 0x11;
        expectCorrupt(flipped, len, n, "sparse plane");
        byte[] longer = Arrays.copyOf(enc, len + 3000); // a value stream longer than the values
        expectCorrupt(longer, longer.length, n, "value stream of");
        // raw streams: runs past the end, a zero value, a trailing escape
        byte[] raw = {2, 0, 0, 0, 2, 0, 0, 0, 3, 9, 5, 6};
        byte[] out = new byte[20];
        SparsePlane.decode(raw, 0, raw.length, out, 0, 14, false, WS.sparseScratch(), WS.huffman());
        assertArrayEquals(new byte[] {0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6}, Arrays.copyOf(out, 14));
        expectCorrupt(raw, raw.length, 13, "runs reach past the plane's 13 bytes");
        byte[] zero = raw.clone();
        zero[11] = 0;
        expectCorrupt(zero, zero.length, 14, "a value is zero");
        byte[] escapeLast = {2, 0, 0, 0, 2, 0, 0, 0, 3, (byte) 255, 5};
        expectCorrupt(escapeLast, escapeLast.length, 300, "last run token is not followed by a value");
    }

    @Test
    void randomDamageNeverEscapesAsAnythingButCorruption() {
        byte[] plane = adamSignExponentPlane(9_000, 7).plane();
        int n = plane.length;
        CodecTestData.assertDamageOnlyCorrupts(encoded(plane), 17, 3000, 64, // 64: the header and the code table
                (d, len, trial) -> SparsePlane.decode(d, 0, len, new byte[n], 0, n, trial % 2 == 0, WS.sparseScratch(), WS.huffman()));
    }

    /**
     * Adam steps of widths 2, 4 and 8: the XOR delta's sign and exponent plane is stored SPARSE,
     * smaller than with the other modes, and the chain decodes bit-exact from a raw base and in
     * plane space.
     */
    @ParameterizedTest(name = "width {0}")
    @ValueSource(ints = {2, 4, 8})
    void anAdamStepsSignAndExponentPlaneIsSparse(int w) throws Exception {
        int n = 300_000 / w;
        int len = n * w;
        byte[][] h = adamHistory(w, n, 4, 91 + w);
        byte[][] payloads = new byte[h.length][];
        payloads[0] = ChunkEncoder.encode(ChunkCodec.PLANES, h[0], 0, len, w, null, 0, 1, WS).data();
        for (int s = 1; s < h.length; s++) {
            // BF16 steps are chosen as zigzag deltas (ZigzagDeltaTest): the XOR delta is what is under test here
            EncodedChunk e = ChunkEncoder.encode(ChunkCodec.XOR_PLANES, h[s], 0, len, w, h[s - 1], 0, 1, WS);
            assertEquals(PlaneMode.SPARSE, ChunkFormat.planeModes(e.data(), 0, e.length()).get(0), "step " + s + ": plane 0");
            payloads[s] = e.data();
            assertArrayEquals(h[s], ChunkDecoder.decode(e.data(), h[s - 1], len), "step " + s + " from the raw base");
            byte[] xorPlane0 = new byte[n];
            for (int i = 0; i < n; i++) {
                xorPlane0[i] = (byte) (h[s][i * w + w - 1] ^ h[s - 1][i * w + w - 1]);
            }
            long sparse = SparsePlane.estimate(xorPlane0, 0, n, WS.sparseScratch(), WS.huffman());
            long huffman = HuffmanCoder.estimate(xorPlane0, 0, n, WS.huffman());
            long zstd = com.github.luben.zstd.Zstd.compress(xorPlane0, 1).length;
            assertTrue(sparse < huffman && sparse < zstd, "step " + s + ": sparse " + sparse + ", Huffman " + huffman + ", zstd " + zstd);
        }
        CodecTestData.assertChainDecodesInPlaneSpace(h, payloads, w, WS);
    }

    /** Adam steps of trained-like weights ({@link CodecTestData#adamHistory}). */
    static byte[][] adamHistory(int w, int n, int steps, long seed) {
        return CodecTestData.adamHistory(w, n, steps, seed, false);
    }

    @Test
    void aSparseBodyShorterThanItsHeaderIsRejectedByTheFrame() throws Exception {
        byte[][] h = adamHistory(4, 50_000, 2, 3);
        EncodedChunk e = ChunkEncoder.encode(ChunkCodec.XOR_PLANES, h[1], 0, h[1].length, 4, h[0], 0, 1, WS);
        assertEquals(PlaneMode.SPARSE, ChunkFormat.planeModes(e.data(), 0, e.length()).get(0));
        byte[] p = Arrays.copyOf(e.data(), e.length());
        ChunkFormat.putInt(p, ChunkFormat.HEADER_BYTES + 1, 7);
        ChunkFormat.seal(p, p.length);
        CorruptObjectException x = assertThrows(CorruptObjectException.class, () -> ChunkDecoder.decode(p, h[0], h[1].length));
        assertTrue(x.getMessage().contains("plane 0 (SPARSE) has body length 7"), x.getMessage());
    }

    /** The top bytes of an Adam step's XOR delta: mostly zero, a few sign and exponent changes. */
    static Case adamSignExponentPlane(int n, long seed) {
        byte[][] h = adamHistory(4, n, 2, seed);
        byte[] plane = new byte[n];
        for (int i = 0; i < n; i++) {
            plane[i] = (byte) (h[0][4 * i + 3] ^ h[1][4 * i + 3]);
        }
        return new Case(plane, "Adam sign and exponent plane, seed " + seed);
    }

    private static byte[] encoded(byte[] plane) {
        byte[] dst = new byte[plane.length];
        int len = SparsePlane.encode(plane, 0, plane.length, dst, 0, WS.sparseScratch(), WS.huffman());
        assertTrue(len > 0, "sparse plane encodes");
        return Arrays.copyOf(dst, len);
    }

    private static byte[] withInt(byte[] enc, int at, int value) {
        byte[] p = enc.clone();
        ChunkFormat.putInt(p, at, value);
        return p;
    }

    private static void expectCorrupt(byte[] enc, int len, int n, String expected) {
        CorruptObjectException e = assertThrows(CorruptObjectException.class,
                () -> SparsePlane.decode(enc, 0, len, new byte[n], 0, n, false, WS.sparseScratch(), WS.huffman()), expected);
        assertTrue(e.getMessage().contains(expected), "message '" + e.getMessage() + "' should name: " + expected);
    }
}
