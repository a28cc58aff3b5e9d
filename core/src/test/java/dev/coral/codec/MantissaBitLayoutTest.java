package dev.coral.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.codec.ChunkCodec.EncodedChunk;
import dev.coral.error.CorruptObjectException;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The mantissa-bit layout of PLANES keyframes ({@link ChunkFormat#FLAG_MANTISSA_BIT}: the top two
 * bits of planes 0 and 1 traded) and the seven-bit packing of its plane 1
 * ({@link PlaneMode#PACKED7}): both transforms against bit-by-bit references at every length
 * around their strides; trained-like BF16 and fp32 weights
 * take the layout and decode bit-exact by both decoders and up a chain of XOR deltas; an element
 * of 2 or more that the sample missed sends the chunk back to the elements' own planes; damaged
 * or misplaced flags and bodies are refused. Cases are seeded; the seed is in every failure message.
 */
class MantissaBitLayoutTest {
    private static final CodecWorkspace WS = new CodecWorkspace();

    @AfterAll
    static void closeWorkspace() {
        WS.close();
    }

    /** Planes 0 and 1 in the layout, bit by bit: [e0 m6 e6 .. e1] and [s e7 m5 .. m0]. */
    private static byte[] reference(byte[] planes, int n) {
        byte[] out = planes.clone();
        for (int i = 0; i < n; i++) {
            int p0 = planes[i] & 0xFF; // s e7 e6 e5 e4 e3 e2 e1
            int p1 = planes[n + i] & 0xFF; // e0 m6 m5 .. m0
            int s = p0 >>> 7;
            int e = (p0 & 0x7F) << 1 | p1 >>> 7;
            int m6 = p1 >>> 6 & 1;
            out[i] = (byte) ((e & 1) << 7 | m6 << 6 | (e >>> 1) & 0x3F);
            out[n + i] = (byte) (s << 7 | (e >>> 7) << 6 | p1 & 0x3F);
        }
        return out;
    }

    @Test
    void theLayoutMatchesTheReferenceAndTurnsBackAtEveryLength() {
        for (int n = 0; n <= 40; n++) {
            for (long seed = 1; seed <= 3; seed++) {
                byte[] planes = new byte[2 * n + 3];
                new SplittableRandom(seed * 1000 + n).nextBytes(planes);
                String what = "n=" + n + " seed=" + seed;
                byte[] laid = planes.clone();
                PlaneTransform.tradeBits(laid, 0, laid, n, laid, 0, n, n, PlaneTransform.TOP_TWO_BITS);
                assertArrayEquals(reference(planes, n), laid, what);
                byte[] back = new byte[planes.length];
                System.arraycopy(planes, 2 * n, back, 2 * n, 3);
                PlaneTransform.tradeBits(laid, 0, laid, n, back, 0, n, n, PlaneTransform.TOP_TWO_BITS);
                assertArrayEquals(planes, back, "out of place, " + what);
            }
        }
    }

    @ParameterizedTest(name = "width {0}")
    @ValueSource(ints = {2, 4})
    void theSplitAndTheMergeInTheLayoutMatchASplitThenATrade(int w) {
        for (int n : new int[] {0, 1, 7, 8, 9, 15, 16, 17, 1001}) {
            byte[] raw = new byte[n * w + 5];
            new SplittableRandom(w * 10_000L + n).nextBytes(raw);
            byte[] planes = new byte[n * w];
            PlaneTransform.split(raw, 5, null, 0, n, w, PlaneTransform.NONE, planes, 0);
            PlaneTransform.tradeBits(planes, 0, planes, n, planes, 0, n, n, PlaneTransform.TOP_TWO_BITS);
            byte[] fused = new byte[n * w + 2];
            PlaneTransform.splitTraded(raw, 5, n, w, PlaneTransform.TOP_TWO_BITS, fused, 2);
            assertArrayEquals(planes, Arrays.copyOfRange(fused, 2, fused.length), "split, width " + w + ", n=" + n);
            byte[][] arrays = new byte[w][];
            int[] offs = new int[w];
            for (int k = 0; k < w; k++) {
                arrays[k] = planes;
                offs[k] = k * n;
            }
            byte[] out = new byte[n * w + 3];
            PlaneTransform.mergeTraded(arrays, offs, n, w, PlaneTransform.TOP_TWO_BITS, null, out, 3);
            assertArrayEquals(Arrays.copyOfRange(raw, 5, raw.length), Arrays.copyOfRange(out, 3, out.length), "merge, width " + w + ", n=" + n);
        }
    }

    @Test
    void sevenBitPackingRoundTripsAtEveryLengthAndOffset() throws CorruptObjectException {
        for (int n = 0; n <= 70; n++) {
            for (int off = 0; off < 3; off++) {
                long seed = 100L * n + off;
                SplittableRandom r = new SplittableRandom(seed);
                byte[] plane = new byte[n + off + 2];
                for (int i = 0; i < plane.length; i++) {
                    plane[i] = (byte) (n % 3 == 0 ? r.nextInt(2) << 7 : r.nextInt(256) & 0xBF); // sparse bits and dense ones
                }
                assertTrue(Packed7.fits(plane, off, n));
                byte[] body = new byte[Packed7.bytes(n) + off + 9];
                Arrays.fill(body, (byte) 0x77);
                Packed7.pack(plane, off, n, body, off + 1);
                String what = "n=" + n + " off=" + off + " seed=" + seed;
                assertEquals(0x77, body[off] & 0xFF, "nothing written before the body, " + what);
                assertEquals(0x77, body[off + 1 + Packed7.bytes(n)] & 0xFF, "nothing written past the body, " + what);
                // the bit string: byte i's bits 5-0 and 7 at bits [7i, 7i + 7)
                for (int i = 0; i < n; i++) {
                    int v = 0;
                    for (int b = 0; b < 7; b++) {
                        int bit = 7 * i + b;
                        v |= (body[off + 1 + bit / 8] >>> (bit % 8) & 1) << (b == 6 ? 7 : b);
                    }
                    assertEquals(plane[off + i] & 0xFF, v, "byte " + i + ", " + what);
                }
                byte[] back = new byte[n + 4];
                Packed7.unpack(body, off + 1, Packed7.bytes(n), back, 2, n);
                assertArrayEquals(Arrays.copyOfRange(plane, off, off + n), Arrays.copyOfRange(back, 2, 2 + n), what);
            }
        }
        byte[] big = {0, (byte) 0x80, 0x40};
        assertTrue(!Packed7.fits(big, 0, 3) && Packed7.fits(big, 0, 2));
    }

    @Test
    void aPackedBodyOfTheWrongLengthOrWithStrayBitsIsCorrupt() {
        byte[] plane = new byte[13];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < plane.length; i++) {
            plane[i] = (byte) (r.nextInt(256) & 0xBF);
        }
        byte[] body = new byte[Packed7.bytes(13) + 1];
        Packed7.pack(plane, 0, 13, body, 0);
        assertThrows(CorruptObjectException.class, () -> Packed7.unpack(body, 0, Packed7.bytes(13) + 1, new byte[13], 0, 13));
        assertThrows(CorruptObjectException.class, () -> Packed7.unpack(body, 0, Packed7.bytes(13) - 1, new byte[13], 0, 13));
        body[Packed7.bytes(13) - 1] |= (byte) 0x80; // 91 bits in 12 bytes: bits 91-95 are padding
        CorruptObjectException e = assertThrows(CorruptObjectException.class,
                () -> Packed7.unpack(body, 0, Packed7.bytes(13), new byte[13], 0, 13));
        assertTrue(e.getMessage().contains("past its last byte"), e.getMessage());
    }

    private static byte[] weights(int w, int n, long seed) {
        return CodecTestData.gaussianWeights(w, n, seed);
    }

    @ParameterizedTest(name = "width {0}")
    @ValueSource(ints = {2, 4})
    void trainedWeightsTakeTheLayoutAndComeBackBitExact(int w) throws CorruptObjectException {
        // (from a few thousand elements down, plane 0's larger code table can outweigh what the layout saves)
        for (int n : new int[] {20_000, 30_001, 40_000, 100_003, 300_007}) {
            long seed = 37L * n + w;
            byte[] raw = weights(w, n, seed);
            EncodedChunk e = ChunkEncoder.encodeBest(raw, 0, raw.length, w, null, 0, 1, ChunkEncoder.Choice.SAMPLED, WS);
            String what = "width " + w + ", " + n + " elements, seed " + seed;
            assertEquals(ChunkCodec.PLANES, e.codec(), what);
            byte[] p = Arrays.copyOf(e.data(), e.length());
            assertEquals(ChunkFormat.FLAG_MANTISSA_BIT, p[2], what);
            ChunkFormat.PlaneTable t = ChunkFormat.planeTable(p, 0, p.length);
            assertEquals(PlaneMode.HUFFMAN, t.modes().get(0), what);
            assertEquals(PlaneMode.PACKED7, t.modes().get(1), what);
            assertTrue(t.mantissaBit() && !t.exponentBytes(), what);
            CodecTestData.assertDecodesBothWays(p, raw, w, what, WS);
        }
    }

    @Test
    void theLayoutBeatsTheExponentLayoutByTheTopMantissaBitsWorth() {
        // the same BF16 weights in the exponent layout: one outlier of 2.5 rules the mantissa-bit layout out
        int n = 200_000;
        byte[] raw = weights(2, n, 99);
        byte[] outlier = raw.clone();
        CodecTestData.putValue(outlier, 0, 2, 2.5);
        EncodedChunk b = ChunkEncoder.encode(ChunkCodec.PLANES, raw, 0, raw.length, 2, null, 1);
        EncodedChunk a = ChunkEncoder.encode(ChunkCodec.PLANES, outlier, 0, outlier.length, 2, null, 1);
        assertEquals(ChunkFormat.FLAG_MANTISSA_BIT, b.data()[2]);
        assertEquals(ChunkFormat.FLAG_EXPONENT_BYTES, a.data()[2]);
        // measured 10.574 -> 10.537 bits per element: at least 0.25% smaller
        assertTrue(b.length() * 1.0025 < a.length(), b.length() + " vs " + a.length());
    }

    @Test
    void anOutlierTheSampleMissedSendsTheChunkToItsOwnPlanes() throws CorruptObjectException {
        // 200,000 BF16 elements: the sample's eight stripes of 4,096 leave [4,096, 27,986) out
        int n = 200_000;
        byte[] raw = weights(2, n, 5);
        byte[] sampled = raw.clone();
        CodecTestData.putValue(raw, 2 * 10_000, 2, -3.0);
        EncodedChunk e = ChunkEncoder.encode(ChunkCodec.PLANES, raw, 0, raw.length, 2, null, 1);
        byte[] p = Arrays.copyOf(e.data(), e.length());
        assertEquals(0, p[2], "no layout flag once the outlier is found");
        assertEquals(PlaneMode.RAW, ChunkFormat.describe(p, 0, p.length).planeModes().get(1));
        CodecTestData.assertDecodesBothWays(p, raw, 2, "outlier outside the sample", WS);
        assertEquals(ChunkFormat.FLAG_MANTISSA_BIT, ChunkEncoder.encode(ChunkCodec.PLANES, sampled, 0, sampled.length, 2, null, 1).data()[2],
                "without the outlier the layout is taken");
    }

    @Test
    void aCodedPlaneOneIsTurnedBackAfterItIsDecoded() throws CorruptObjectException {
        // BF16 weights with three mantissa bits: the layout's plane 1 (sign, e7, m5 m4, four zeros) Huffman-codes
        int n = 60_000;
        byte[] raw = new byte[2 * n];
        SplittableRandom r = new SplittableRandom(11);
        for (int i = 0; i < n; i++) {
            int bits = Float.floatToRawIntBits((float) (r.nextGaussian() * 0.05)) >>> 16 & 0xFFF0;
            raw[2 * i] = (byte) bits;
            raw[2 * i + 1] = (byte) (bits >>> 8);
        }
        byte[] p = ChunkEncoder.encode(ChunkCodec.PLANES, raw, 0, raw.length, 2, null, 1).data();
        assertEquals(ChunkFormat.FLAG_MANTISSA_BIT, p[2]);
        assertEquals(PlaneMode.HUFFMAN, ChunkFormat.describe(p, 0, p.length).planeModes().get(1));
        CodecTestData.assertDecodesBothWays(p, raw, 2, "BF16 with three mantissa bits", WS);
    }

    @ParameterizedTest(name = "width {0}")
    @ValueSource(ints = {2, 4})
    void aChainOnAKeyframeInTheLayoutDecodesInPlaneSpace(int w) throws CorruptObjectException {
        byte[][] h = CodecTestData.adamHistory(w, 20_000, 5, 19L * w, false);
        CodecTestData.assertLayoutChainDecodes(h, w, ChunkFormat.FLAG_MANTISSA_BIT, WS);
    }

    @Test
    void randomBitsAndOtherWidthsDoNotTakeTheLayout() {
        for (int w : new int[] {1, 2, 4, 8, 16}) {
            byte[] raw = new byte[w * 50_000];
            new SplittableRandom(w).nextBytes(raw);
            EncodedChunk e = ChunkEncoder.encode(ChunkCodec.PLANES, raw, 0, raw.length, w, null, 1);
            assertNotEquals(ChunkFormat.FLAG_MANTISSA_BIT, e.data()[2] & 0xFF, "random bytes, width " + w);
        }
        byte[] fp64 = new byte[8 * 50_000];
        SplittableRandom r = new SplittableRandom(8);
        for (int i = 0; i < 50_000; i++) {
            CodecTestData.putValue(fp64, 8 * i, 8, r.nextGaussian() * 0.05);
        }
        assertNotEquals(ChunkFormat.FLAG_MANTISSA_BIT, ChunkEncoder.encode(ChunkCodec.PLANES, fp64, 0, fp64.length, 8, null, 1).data()[2]);
    }

    @Test
    void theFlagAndThePackingAreRefusedWhereTheyDoNotBelong() throws CorruptObjectException {
        byte[] bf16 = weights(2, 5_000, 3);
        byte[] base = weights(2, 5_000, 4);
        for (ChunkCodec c : new ChunkCodec[] {ChunkCodec.RAW, ChunkCodec.ZSTD, ChunkCodec.XOR_PLANES, ChunkCodec.SUB_PLANES, ChunkCodec.ZIGZAG_PLANES}) {
            byte[] p = ChunkEncoder.encode(c, bf16, 0, bf16.length, 2, base, 1).data().clone();
            p[2] = (byte) ChunkFormat.FLAG_MANTISSA_BIT;
            ChunkFormat.seal(p, p.length);
            CorruptObjectException e = assertThrows(CorruptObjectException.class,
                    () -> ChunkDecoder.decode(p, 0, p.length, base, 0, new byte[bf16.length], 0, bf16.length, WS), c.toString());
            assertTrue(e.getMessage().contains("mantissa-bit"), e.getMessage());
        }
        for (int w : new int[] {1, 8, 16}) {
            byte[] raw = weights(4, 4_000, 5);
            byte[] p = ChunkEncoder.encode(ChunkCodec.PLANES, raw, 0, raw.length, w, null, 1).data().clone();
            p[2] = (byte) ChunkFormat.FLAG_MANTISSA_BIT;
            ChunkFormat.seal(p, p.length);
            assertThrows(CorruptObjectException.class, () -> ChunkDecoder.decode(p, null, raw.length), "width " + w);
        }
        byte[] good = ChunkEncoder.encode(ChunkCodec.PLANES, bf16, 0, bf16.length, 2, null, 1).data().clone();
        assertEquals(ChunkFormat.FLAG_MANTISSA_BIT, good[2]);
        byte[] both = good.clone();
        both[2] = (byte) (ChunkFormat.FLAG_MANTISSA_BIT | ChunkFormat.FLAG_EXPONENT_BYTES);
        ChunkFormat.seal(both, both.length);
        CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> ChunkDecoder.decode(both, null, bf16.length));
        assertTrue(e.getMessage().contains("unknown flags 0x6"), e.getMessage());
        // plane 1's table entry claiming one byte fewer: the lengths no longer add up
        byte[] shortBody = good.clone();
        int entry = ChunkFormat.HEADER_BYTES + ChunkFormat.PLANE_ENTRY_BYTES;
        ChunkFormat.putInt(shortBody, entry + 1, ChunkFormat.getInt(shortBody, entry + 1) - 1);
        ChunkFormat.seal(shortBody, shortBody.length);
        assertThrows(CorruptObjectException.class, () -> ChunkDecoder.decode(shortBody, null, bf16.length));
        // a stray padding bit in the packed plane (5,000 x 7 bits end on a byte: make the count odd)
        byte[] odd = weights(2, 5_001, 6);
        byte[] q = ChunkEncoder.encode(ChunkCodec.PLANES, odd, 0, odd.length, 2, null, 1).data().clone();
        assertEquals(PlaneMode.PACKED7, ChunkFormat.describe(q, 0, q.length).planeModes().get(1));
        q[q.length - 1] |= (byte) 0x80; // plane 1 is the payload's last body; 35,007 bits leave its top bit as padding
        ChunkFormat.seal(q, q.length);
        e = assertThrows(CorruptObjectException.class, () -> ChunkDecoder.decode(q, null, odd.length));
        assertTrue(e.getMessage().contains("plane 1") && e.getMessage().contains("past its last byte"), e.getMessage());
        assertArrayEquals(bf16, ChunkDecoder.decode(good, null, bf16.length));
    }

    @ParameterizedTest(name = "width {0}")
    @ValueSource(ints = {2, 4})
    void damagedLayoutPayloadsFailCleanlyInBothDecoders(int w) {
        for (int n : new int[] {9, 1_001, 20_003}) {
            long seed = 7L * n + w;
            byte[] raw = weights(w, n, seed);
            byte[] good = ChunkEncoder.encode(ChunkCodec.PLANES, raw, 0, raw.length, w, null, 1).data().clone();
            if (n > 20_000) {
                assertEquals(ChunkFormat.FLAG_MANTISSA_BIT, good[2], "the layout is what is damaged");
            }
            SplittableRandom r = new SplittableRandom(seed);
            for (int t = 0; t < 200; t++) {
                byte[] p = good.clone();
                int table = ChunkFormat.HEADER_BYTES + ChunkFormat.PLANE_ENTRY_BYTES * w;
                switch (t % 4) {
                    case 0 -> p[ChunkFormat.HEADER_BYTES + ChunkFormat.PLANE_ENTRY_BYTES * r.nextInt(2)] = (byte) r.nextInt(8); // a mode
                    case 1 -> ChunkFormat.putInt(p, ChunkFormat.HEADER_BYTES + ChunkFormat.PLANE_ENTRY_BYTES * r.nextInt(2) + 1, r.nextInt(n + 9));
                    case 2 -> p[2] = (byte) r.nextInt(8); // flags
                    default -> p[table + r.nextInt(p.length - table)] ^= (byte) (1 + r.nextInt(255)); // a body byte
                }
                ChunkFormat.seal(p, p.length); // past the CRC: only the decoders' own checks stand
                String what = "width " + w + ", n=" + n + ", seed " + seed + ", try " + t;
                try {
                    ChunkDecoder.decode(p, 0, p.length, null, 0, new byte[raw.length], 0, raw.length, w, WS);
                } catch (CorruptObjectException expected) {
                    // named damage
                } catch (RuntimeException e) {
                    throw new AssertionError(what + ": " + e, e);
                }
                try {
                    ChunkDecoder.decodeInPlaneSpace(p, 0, p.length, raw.length, w, new byte[raw.length], WS);
                } catch (CorruptObjectException expected) {
                    // named damage
                } catch (RuntimeException e) {
                    throw new AssertionError(what + ", in plane space: " + e, e);
                }
            }
        }
    }

}
