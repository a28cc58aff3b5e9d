package dev.coral.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * The exponent layout of PLANES keyframes ({@link ChunkFormat#FLAG_EXPONENT_BYTES}): the bit
 * permutation against a bit-by-bit reference and its inverse at every length around the loop's
 * stride; trained-like weights take it and decode bit-exact by both decoders and up a chain of
 * XOR deltas; near-random bytes do not take it; the flag is refused where it does not belong.
 * The weights here have outliers of 2 or more: without them the mantissa-bit layout is taken.
 * Cases are seeded; the seed is in every failure message.
 */
class ExponentBytesTest {
    private static final CodecWorkspace WS = new CodecWorkspace();

    @AfterAll
    static void closeWorkspace() {
        WS.close();
    }

    /** Planes 0 and 1 as {@link PlaneTransform#tradeTopBits} must leave them: byte i's top bits traded, bit by bit. */
    private static byte[] reference(byte[] planes, int n) {
        byte[] out = planes.clone();
        for (int i = 0; i < n; i++) {
            int top = planes[i] & 0xFF;
            int next = planes[n + i] & 0xFF;
            out[i] = (byte) ((next >>> 7) << 7 | top & 0x7F);
            out[n + i] = (byte) ((top >>> 7) << 7 | next & 0x7F);
        }
        return out;
    }

    @Test
    void thePermutationMatchesTheReferenceAndIsItsOwnInverseAtEveryLength() {
        for (int n = 0; n <= 40; n++) {
            for (long seed = 1; seed <= 3; seed++) {
                byte[] planes = new byte[2 * n + 3];
                new SplittableRandom(seed * 1000 + n).nextBytes(planes);
                byte[] turned = planes.clone();
                PlaneTransform.tradeTopBits(turned, 0, turned, n, turned, 0, n, n);
                assertArrayEquals(reference(planes, n), turned, "n=" + n + " seed=" + seed);
                byte[] back = new byte[planes.length];
                System.arraycopy(planes, 2 * n, back, 2 * n, 3);
                PlaneTransform.tradeTopBits(turned, 0, turned, n, back, 0, n, n);
                assertArrayEquals(planes, back, "out of place, n=" + n + " seed=" + seed);
                PlaneTransform.tradeTopBits(turned, 0, turned, n, turned, 0, n, n);
                assertArrayEquals(planes, turned, "in place, n=" + n + " seed=" + seed);
            }
        }
    }

    @Test
    void planeOneMayBeReadFromAnotherArray() {
        int n = 1003;
        byte[] planes = new byte[2 * n];
        new SplittableRandom(7).nextBytes(planes);
        byte[] turned = planes.clone();
        PlaneTransform.tradeTopBits(turned, 0, turned, n, turned, 0, n, n);
        byte[] payload = new byte[n + 5];
        System.arraycopy(turned, n, payload, 5, n);
        byte[] out = new byte[2 * n];
        System.arraycopy(turned, 0, out, 0, n);
        PlaneTransform.tradeTopBits(out, 0, payload, 5, out, 0, n, n);
        assertArrayEquals(planes, out);
    }

    @Test
    void theSplitAndTheMergeInTheLayoutMatchASplitThenATradeForEveryWidth() {
        for (int w : new int[] {2, 4, 8}) {
            for (int n : new int[] {0, 1, 7, 8, 9, 15, 16, 17, 1001}) {
                byte[] raw = new byte[n * w + 5];
                new SplittableRandom(w * 10_000L + n).nextBytes(raw);
                byte[] planes = new byte[n * w];
                PlaneTransform.split(raw, 5, null, 0, n, w, PlaneTransform.NONE, planes, 0);
                PlaneTransform.tradeTopBits(planes, 0, planes, n, planes, 0, n, n);
                byte[] fused = new byte[n * w + 2];
                PlaneTransform.splitExponentBytes(raw, 5, n, w, fused, 2);
                assertArrayEquals(planes, Arrays.copyOfRange(fused, 2, fused.length), "split, width " + w + ", n=" + n);
                raw = Arrays.copyOfRange(raw, 5, raw.length);
                byte[][] arrays = new byte[w][];
                int[] offs = new int[w];
                for (int k = 0; k < w; k++) {
                    arrays[k] = planes;
                    offs[k] = k * n;
                }
                byte[] out = new byte[raw.length + 3];
                PlaneTransform.mergeExponentBytes(arrays, offs, n, w, new byte[2 * n], out, 3);
                assertArrayEquals(raw, Arrays.copyOfRange(out, 3, out.length), "width " + w + ", n=" + n);
            }
        }
    }

    /**
     * Trained-like N(0, 0.05) weights of width w (BF16, fp32, fp64), seeded, with an element of
     * 2 or more in magnitude every {@value #OUTLIER_EVERY} (as layer norms and embeddings may
     * have): the mantissa-bit layout ({@link MantissaBitLayoutTest}), which takes such weights
     * without them, cannot hold those, and the exponent layout is what such chunks get.
     */
    static byte[] weights(int w, int n, long seed) {
        byte[] raw = CodecTestData.gaussianWeights(w, n, seed);
        withOutliers(raw, w);
        return raw;
    }

    private static final int OUTLIER_EVERY = 97;

    /** Every {@value #OUTLIER_EVERY}th element of {@code raw} set to 2.5 (the same in every version). */
    private static void withOutliers(byte[] raw, int w) {
        for (int i = 0; i < raw.length / w; i += OUTLIER_EVERY) {
            CodecTestData.putValue(raw, i * w, w, 2.5);
        }
    }

    @ParameterizedTest(name = "width {0}")
    @ValueSource(ints = {2, 4})
    void trainedWeightsTakeTheLayoutAndComeBackBitExact(int w) throws CorruptObjectException {
        for (int n : new int[] {2_000, 3_001, 40_000, 100_003}) {
            long seed = 31L * n + w;
            byte[] raw = weights(w, n, seed);
            EncodedChunk e = ChunkEncoder.encodeBest(raw, 0, raw.length, w, null, 0, 1, ChunkEncoder.Choice.SAMPLED, WS);
            String what = "width " + w + ", " + n + " elements, seed " + seed;
            assertEquals(ChunkCodec.PLANES, e.codec(), what);
            byte[] p = Arrays.copyOf(e.data(), e.length());
            assertEquals(ChunkFormat.FLAG_EXPONENT_BYTES, p[2], what);
            CodecTestData.assertDecodesBothWays(p, raw, w, what, WS);
        }
    }


    @Test
    void theLayoutSavesWhatTheExponentsOwnBitIsWorth() throws CorruptObjectException {
        // the same BF16 weights with the lowest exponent bit made random: the layout has nothing to gain
        int n = 100_000;
        byte[] raw = weights(2, n, 99);
        byte[] scrambled = raw.clone();
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < n; i++) {
            scrambled[2 * i] = (byte) (scrambled[2 * i] & 0x7F | (r.nextBoolean() ? 0x80 : 0));
        }
        EncodedChunk a = ChunkEncoder.encode(ChunkCodec.PLANES, raw, 0, raw.length, 2, null, 1);
        EncodedChunk b = ChunkEncoder.encode(ChunkCodec.PLANES, scrambled, 0, scrambled.length, 2, null, 1);
        assertEquals(ChunkFormat.FLAG_EXPONENT_BYTES, a.data()[2]);
        assertEquals(0, b.data()[2], "no gain, no layout");
        // the exponent's eighth bit costs most of a raw bit when random, much less when it is the exponent's
        assertTrue(a.length() * 1.005 < b.length(), a.length() + " vs " + b.length());
        assertArrayEquals(scrambled, ChunkDecoder.decode(b.data(), null, scrambled.length));
    }

    @ParameterizedTest(name = "width {0}")
    @ValueSource(ints = {2, 4})
    void aChainOnAKeyframeInTheLayoutDecodesInPlaneSpace(int w) throws CorruptObjectException {
        byte[][] h = CodecTestData.adamHistory(w, 20_000, 5, 17L * w, false);
        for (byte[] step : h) {
            withOutliers(step, w);
        }
        CodecTestData.assertLayoutChainDecodes(h, w, ChunkFormat.FLAG_EXPONENT_BYTES, WS);
    }

    @Test
    void aCodedPlaneOneIsTradedBackAfterItIsDecoded() throws CorruptObjectException {
        // BF16 weights with three mantissa bits: plane 1 (sign or exponent bit, 7 mantissa bits) compresses
        int n = 60_000;
        byte[] raw = new byte[2 * n];
        SplittableRandom r = new SplittableRandom(11);
        for (int i = 0; i < n; i++) {
            int bits = Float.floatToRawIntBits((float) (r.nextGaussian() * 0.05)) >>> 16 & 0xFFF0;
            raw[2 * i] = (byte) bits;
            raw[2 * i + 1] = (byte) (bits >>> 8);
        }
        withOutliers(raw, 2);
        byte[] p = ChunkEncoder.encode(ChunkCodec.PLANES, raw, 0, raw.length, 2, null, 1).data();
        assertEquals(ChunkFormat.FLAG_EXPONENT_BYTES, p[2]);
        PlaneMode planeOne = ChunkFormat.describe(p, 0, p.length).planeModes().get(1);
        assertTrue(planeOne != PlaneMode.RAW, "plane 1 is " + planeOne);
        CodecTestData.assertDecodesBothWays(p, raw, 2, "BF16 with three mantissa bits", WS);
    }

    @Test
    void eightByteElementsTakeTheLayoutWhenItPays() throws CorruptObjectException {
        // top byte: a random sign and 3 random bits; the next byte's top bit copies the lowest of them.
        // As they are, the sign costs a coded bit and the copy a raw one; traded, the sign is raw and the copy free.
        int n = 40_000;
        byte[] raw = new byte[8 * n];
        SplittableRandom r = new SplittableRandom(13);
        r.nextBytes(raw);
        for (int i = 0; i < n; i++) {
            int x = r.nextInt(8);
            raw[8 * i + 7] = (byte) ((r.nextBoolean() ? 0x80 : 0) | x);
            raw[8 * i + 6] = (byte) ((x & 1) << 7 | raw[8 * i + 6] & 0x7F);
        }
        byte[] p = ChunkEncoder.encode(ChunkCodec.PLANES, raw, 0, raw.length, 8, null, 1).data();
        assertEquals(ChunkFormat.FLAG_EXPONENT_BYTES, p[2]);
        CodecTestData.assertDecodesBothWays(p, raw, 8, "8-byte elements", WS);
    }

    @Test
    void randomBitsDoNotTakeTheLayout() {
        for (int w : new int[] {2, 4, 8}) {
            byte[] raw = new byte[w * 50_000];
            new SplittableRandom(w).nextBytes(raw);
            EncodedChunk e = ChunkEncoder.encode(ChunkCodec.PLANES, raw, 0, raw.length, w, null, 1);
            assertEquals(0, e.data()[2], "width " + w);
        }
    }

    @Test
    void theFlagIsRefusedWhereItDoesNotBelong() {
        byte[] bf16 = weights(2, 5_000, 3);
        byte[] base = weights(2, 5_000, 4);
        for (ChunkCodec c : new ChunkCodec[] {ChunkCodec.RAW, ChunkCodec.ZSTD, ChunkCodec.XOR_PLANES, ChunkCodec.SUB_PLANES, ChunkCodec.ZIGZAG_PLANES}) {
            byte[] p = ChunkEncoder.encode(c, bf16, 0, bf16.length, 2, base, 1).data().clone();
            p[2] = (byte) ChunkFormat.FLAG_EXPONENT_BYTES;
            ChunkFormat.seal(p, p.length);
            CorruptObjectException e = assertThrows(CorruptObjectException.class,
                    () -> ChunkDecoder.decode(p, 0, p.length, base, 0, new byte[bf16.length], 0, bf16.length, WS), c.toString());
            assertTrue(e.getMessage().contains("exponent-bytes"), e.getMessage());
        }
        for (int w : new int[] {1, 16}) {
            byte[] raw = weights(4, 4_000, 5);
            byte[] p = ChunkEncoder.encode(ChunkCodec.PLANES, raw, 0, raw.length, w, null, 1).data().clone();
            p[2] = (byte) ChunkFormat.FLAG_EXPONENT_BYTES;
            ChunkFormat.seal(p, p.length);
            assertThrows(CorruptObjectException.class, () -> ChunkDecoder.decode(p, null, raw.length), "width " + w);
        }
        byte[] p = ChunkEncoder.encode(ChunkCodec.PLANES, bf16, 0, bf16.length, 2, null, 1).data().clone();
        p[2] = (byte) (ChunkFormat.FLAG_EXPONENT_BYTES | 1);
        ChunkFormat.seal(p, p.length);
        assertThrows(CorruptObjectException.class, () -> ChunkDecoder.decode(p, null, bf16.length), "flags 3");
    }
}
