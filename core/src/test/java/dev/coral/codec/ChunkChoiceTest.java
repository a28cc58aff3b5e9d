package dev.coral.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.codec.ChunkCodec.EncodedChunk;
import dev.coral.error.CorruptObjectException;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The sampled codec choice still finds repeats in bytes whose histogram is flat: zstd is not
 * tried on a plane that Huffman cannot shrink at all, so repeats there must be found by the
 * whole-chunk zstd candidate, or show in the histogram of a plane.
 */
class ChunkChoiceTest {
    private static final int LEN = 64 << 10;

    @ParameterizedTest(name = "seed={0}")
    @ValueSource(longs = {3, 4, 5})
    void aTiledRandomChunkIsStoredAsItsTile(long seed) throws CorruptObjectException {
        byte[] tile = random(seed, 4096);
        byte[] raw = new byte[LEN];
        for (int i = 0; i < LEN; i++) {
            raw[i] = tile[i % tile.length];
        }
        assertSmallAndExact(raw, null, LEN / 8, "seed=" + seed);
    }

    @ParameterizedTest(name = "seed={0}")
    @ValueSource(longs = {3, 4, 5})
    void randomLowBytesRepeatingUnderSmoothHighBytesAreFound(long seed) throws CorruptObjectException {
        byte[] pattern = random(seed, 2048);
        byte[] raw = new byte[LEN];
        for (int i = 0; i < LEN / 4; i++) {
            int bits = Float.floatToRawIntBits((float) Math.sin(i * 0.001) * 0.1f) & 0xFFFF0000
                    | (pattern[2 * i % pattern.length] & 0xFF) | (pattern[(2 * i + 1) % pattern.length] & 0xFF) << 8;
            for (int b = 0; b < 4; b++) {
                raw[4 * i + b] = (byte) (bits >>> 8 * b);
            }
        }
        assertSmallAndExact(raw, null, LEN / 4, "seed=" + seed);
    }

    private static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static void assertSmallAndExact(byte[] raw, byte[] base, int most, String what) throws CorruptObjectException {
        try (CodecWorkspace ws = new CodecWorkspace()) {
            EncodedChunk e = ChunkEncoder.encodeBest(raw, 0, raw.length, 4, base, 0, 1, ChunkEncoder.Choice.SAMPLED, ws);
            assertTrue(e.length() <= most, what + ": " + e.codec() + " " + e.length() + " bytes, at most " + most + " expected");
            byte[] back = new byte[raw.length];
            ChunkDecoder.decode(e.data(), 0, e.length(), base, 0, back, 0, raw.length, 4, ws);
            assertArrayEquals(raw, back, what);
        }
    }
}
