package dev.coral.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coral.io.Crc32c;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

/**
 * {@link ChunkFormat#sealedPayloadCrc} equals the CRC32C of the whole payload for every codec,
 * width and length the encoder makes (0 and 1 element included), with and without a base.
 */
class SealedPayloadCrcTest {
    @RepeatedTest(300)
    void theCrcFromTheHeaderIsTheWholePayloadsCrc(RepetitionInfo rep) {
        long seed = 7_000_003L * rep.getCurrentRepetition();
        Random r = new Random(seed);
        int w = new int[] {1, 2, 4, 8}[r.nextInt(4)];
        int n = r.nextInt(4) == 0 ? r.nextInt(2) : r.nextInt(20_000);
        byte[] raw = new byte[n * w];
        r.nextBytes(raw);
        if (r.nextBoolean()) {
            for (int i = 0; i < raw.length; i += w) {
                raw[i + w - 1] = (byte) (r.nextGaussian() * 2); // a skewed top byte, as weights have
            }
        }
        byte[] base = null;
        if (r.nextBoolean()) {
            base = raw.clone();
            for (int i = 0; i < base.length; i++) {
                if (r.nextInt(8) == 0) {
                    base[i] ^= (byte) r.nextInt(4);
                }
            }
        }
        try (CodecWorkspace ws = new CodecWorkspace()) {
            for (ChunkCodec codec : ChunkCodec.values()) {
                if (codec.needsBase() && base == null) {
                    continue;
                }
                ChunkCodec.EncodedChunk e = ChunkEncoder.encode(codec, raw, 0, raw.length, w, base, 0, 1, ws);
                assertEquals(Crc32c.of(e.data(), 0, e.length()), ChunkFormat.sealedPayloadCrc(e.data(), e.length()),
                        "seed " + seed + ", " + codec + ", width " + w + ", " + n + " elements");
            }
        }
    }
}
