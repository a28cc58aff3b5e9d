package dev.coral.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.codec.ChunkCodec.EncodedChunk;
import dev.coral.codec.CodecTestData.Base;
import dev.coral.codec.CodecTestData.Content;
import dev.coral.error.CorruptObjectException;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * PLANES payloads of rotated elements ({@link ChunkFormat#FLAG_ROTATED}): any bits, every width
 * that rotates, any length (0, 1, around the word loops' strides, large) decode bit-exact, as
 * elements and in plane space, where a chain of XOR deltas on a rotated keyframe reads back
 * every version; the chooser rotates weight-like keyframes, which comes out smaller; and the flag
 * is refused wherever it does not belong.
 */
class RotatedPlanesTest {
    private static final int[] WIDTHS = {2, 4, 8};

    static LongStream seeds() {
        return new Random().longs(12);
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void anyBitsOfAnyLengthDecodeBitExact(long seed) throws CorruptObjectException {
        Random r = new Random(seed);
        try (CodecWorkspace ws = new CodecWorkspace()) {
            for (int w : WIDTHS) {
                for (Content content : Content.values()) {
                    int n = r.nextInt(4) == 0 ? r.nextInt(41) : r.nextInt(40_000);
                    byte[] raw = CodecTestData.generate(content, Base.NONE, w, n, r.nextLong()).raw();
                    String what = "seed " + seed + ", width " + w + ", " + content + ", n " + n;
                    EncodedChunk e = ChunkEncoder.encodePlanes(raw, 0, raw.length, w, true, 1, ws);
                    assertEquals(ChunkFormat.FLAG_ROTATED, e.data()[2], what + ": flag");
                    byte[] back = new byte[raw.length];
                    ChunkDecoder.decode(e.data(), 0, e.length(), null, 0, back, 0, raw.length, w, ws);
                    assertArrayEquals(raw, back, what + ": decode");
                    byte[] planes = new byte[raw.length];
                    ChunkDecoder.decodeInPlaneSpace(e.data(), 0, e.length(), raw.length, w, planes, ws);
                    byte[] merged = new byte[raw.length];
                    ChunkDecoder.mergePlanes(planes, raw.length, w, merged);
                    assertArrayEquals(raw, merged, what + ": plane space");
                }
            }
        }
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void xorDeltasOnARotatedKeyframeReadBackInPlaneSpace(long seed) throws CorruptObjectException {
        Random r = new Random(seed);
        try (CodecWorkspace ws = new CodecWorkspace()) {
            for (int w : WIDTHS) {
                byte[][] h = CodecTestData.adamHistory(w, 1000 + r.nextInt(30_000), 4, r.nextLong(), r.nextBoolean());
                byte[][] payloads = new byte[h.length][];
                payloads[0] = ChunkEncoder.encodePlanes(h[0], 0, h[0].length, w, true, 1, ws).data();
                for (int s = 1; s < h.length; s++) {
                    payloads[s] = ChunkEncoder.encode(ChunkCodec.XOR_PLANES, h[s], 0, h[s].length, w, h[s - 1], 0, 1, ws).data();
                }
                CodecTestData.assertChainDecodesInPlaneSpace(h, payloads, w, ws);
            }
        }
    }

    /** Weight-like keyframes (N(0, 0.05)) in fp32 and BF16: the chooser rotates them, and that is smaller. */
    @Test
    void theChooserRotatesWeightLikeKeyframesAndThatIsSmaller() throws CorruptObjectException {
        try (CodecWorkspace ws = new CodecWorkspace()) {
            for (int w : new int[] {2, 4}) {
                byte[] raw = CodecTestData.generate(Content.GAUSSIAN, Base.NONE, w, (1 << 20) / w, 7).raw();
                EncodedChunk best = ChunkEncoder.encodeBest(raw, 0, raw.length, w, null, 0, 1, ChunkEncoder.Choice.SAMPLED, ws);
                assertEquals(ChunkCodec.PLANES, best.codec(), "width " + w);
                assertEquals(ChunkFormat.FLAG_ROTATED, best.data()[2], "width " + w + ": rotated");
                int plain = ChunkEncoder.encodePlanes(raw, 0, raw.length, w, false, 1, ws).length();
                assertTrue(best.length() < plain, "width " + w + ": rotated " + best.length() + " bytes, not rotated " + plain);
                byte[] back = new byte[raw.length];
                ChunkDecoder.decode(best.data(), 0, best.length(), null, 0, back, 0, raw.length, w, ws);
                assertArrayEquals(raw, back, "width " + w);
                EncodedChunk named = ChunkEncoder.encode(ChunkCodec.PLANES, raw, 0, raw.length, w, null, 0, 1, ws);
                assertEquals(ChunkFormat.FLAG_ROTATED, named.data()[2], "width " + w + ": PLANES by name rotates too");
            }
        }
    }

    /** Deltas never rotate, and a rotated flag where it does not belong is a corrupt payload, named. */
    @Test
    void theFlagIsRefusedOutsidePlanesOfWidthTwoFourOrEight() {
        try (CodecWorkspace ws = new CodecWorkspace()) {
            byte[][] h = CodecTestData.adamHistory(4, 4096, 2, 3, false);
            EncodedChunk delta = ChunkEncoder.encodeBest(h[1], 0, h[1].length, 4, h[0], 0, 1, ChunkEncoder.Choice.SAMPLED, ws);
            assertEquals(0, delta.data()[2], "a delta is not rotated");
            assertRefused(delta.data().clone(), delta.length(), h[0], 4, ws);
            byte[] bytes = CodecTestData.generate(Content.GAUSSIAN, Base.NONE, 1, 4096, 5).raw();
            EncodedChunk w1 = ChunkEncoder.encode(ChunkCodec.PLANES, bytes, 0, bytes.length, 1, null, 0, 1, ws);
            assertRefused(w1.data().clone(), w1.length(), null, 1, ws);
            byte[] wide = CodecTestData.generate(Content.GAUSSIAN, Base.NONE, 16, 256, 5).raw();
            EncodedChunk w16 = ChunkEncoder.encode(ChunkCodec.PLANES, wide, 0, wide.length, 16, null, 0, 1, ws);
            assertEquals(0, w16.data()[2], "16-byte elements are not rotated");
            assertRefused(w16.data().clone(), w16.length(), null, 16, ws);
            EncodedChunk z = ChunkEncoder.encode(ChunkCodec.ZSTD, wide, 0, wide.length, 16, null, 0, 1, ws);
            assertRefused(z.data().clone(), z.length(), null, 16, ws);
        }
    }

    private static void assertRefused(byte[] p, int len, byte[] base, int w, CodecWorkspace ws) {
        p[2] = (byte) ChunkFormat.FLAG_ROTATED;
        ChunkFormat.seal(p, len);
        byte[] dst = new byte[ChunkFormat.getInt(p, 4)];
        CorruptObjectException e = assertThrows(CorruptObjectException.class,
                () -> ChunkDecoder.decode(p, 0, len, base, 0, dst, 0, dst.length, w, ws));
        assertTrue(e.getMessage().contains("rotated"), e.getMessage());
    }
}
