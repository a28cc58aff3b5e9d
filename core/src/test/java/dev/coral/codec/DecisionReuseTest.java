package dev.coral.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.codec.ChunkCodec.EncodedChunk;
import dev.coral.error.CorruptObjectException;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/**
 * {@link ChunkEncoder#encodeAsBefore}: a chunk's next version encoded with the choice the chooser
 * made for the version before decodes bit-exact, whatever its bits; it is given up (null) when
 * the payload grows past the tolerance or the choice does not apply.
 */
class DecisionReuseTest {
    private static final int[] WIDTHS = {1, 2, 4, 8};

    /** A training history: step 1 chosen by the sampler, every later step encoded as step 1 was. */
    @RepeatedTest(8)
    void aHistoryEncodedAsBeforeDecodesBitExact(RepetitionInfo rep) throws CorruptObjectException {
        long seed = 500 + rep.getCurrentRepetition();
        SplittableRandom r = new SplittableRandom(seed);
        int w = WIDTHS[1 + r.nextInt(3)];
        int n = 1 + r.nextInt(40_000);
        byte[][] h = CodecTestData.adamHistory(w, n, 8, seed, r.nextBoolean());
        String what = "seed=" + seed + " width=" + w + " elements=" + n;
        try (CodecWorkspace ws = new CodecWorkspace()) {
            EncodedChunk first = ChunkEncoder.encodeBest(h[1], 0, h[1].length, w, ChunkBase.ofRaw(h[0], 0, h[0].length), 1,
                    ChunkEncoder.Choice.SAMPLED, ws);
            ChunkEncoder.Decision d = ws.lastDecision();
            assertNotNull(d, what);
            assertEquals(first.codec(), d.codec(), what);
            assertEquals(first.length(), d.payloadBytes(), what);
            for (int s = 2; s < h.length; s++) {
                EncodedChunk e = ChunkEncoder.encodeAsBefore(h[s], 0, h[s].length, w, ChunkBase.ofRaw(h[s - 1], 0, h[s - 1].length), 1, d, ws);
                if (!d.codec().needsBase()) {
                    assertNull(e, what + ": a choice without a base is never reused");
                    continue;
                }
                if (e == null) {
                    continue; // grew past the tolerance: the caller chooses again
                }
                assertEquals(d.codec(), e.codec(), what);
                assertTrue((long) e.length() * 100 * d.rawLength() <= (long) d.payloadBytes() * h[s].length * ChunkEncoder.REUSE_TOLERANCE_PERCENT,
                        what + " step " + s + ": kept a payload past the tolerance");
                byte[] back = ChunkDecoder.decode(Arrays.copyOf(e.data(), e.length()), h[s - 1], h[s].length);
                assertArrayEquals(h[s], back, what + " step " + s);
            }
        }
    }

    /** Any bits (NaN payloads, ±0, ±inf, subnormals, random bytes) against any base: exact, or given up. */
    @RepeatedTest(12)
    void arbitraryBitsEncodedAsBeforeDecodeBitExact(RepetitionInfo rep) throws CorruptObjectException {
        long seed = 900 + rep.getCurrentRepetition();
        SplittableRandom r = new SplittableRandom(seed);
        int w = WIDTHS[r.nextInt(WIDTHS.length)];
        int n = 1 + r.nextInt(20_000);
        byte[][] h = CodecTestData.adamHistory(w, n, 3, seed, true);
        String what = "seed=" + seed + " width=" + w + " elements=" + n;
        try (CodecWorkspace ws = new CodecWorkspace()) {
            ChunkEncoder.encodeBest(h[1], 0, h[1].length, w, ChunkBase.ofRaw(h[0], 0, h[0].length), 1, ChunkEncoder.Choice.SAMPLED, ws);
            ChunkEncoder.Decision d = ws.lastDecision();
            byte[] base = h[2];
            byte[] raw = base.clone();
            for (int i = 0; i < n; i++) {
                switch (r.nextInt(6)) {
                    case 0 -> CodecTestData.putNaN(r, raw, i * w, w);
                    case 1 -> CodecTestData.putSubnormal(r, raw, i * w, w);
                    case 2 -> CodecTestData.putValue(raw, i * w, w, r.nextBoolean() ? 0.0 : -0.0);
                    case 3 -> CodecTestData.putValue(raw, i * w, w, r.nextBoolean() ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY);
                    case 4 -> raw[i * w + r.nextInt(w)] = (byte) r.nextInt(256);
                    default -> { } // unchanged
                }
            }
            EncodedChunk e = ChunkEncoder.encodeAsBefore(raw, 0, raw.length, w, ChunkBase.ofRaw(base, 0, base.length), 1, d, ws);
            if (e != null) {
                assertArrayEquals(raw, ChunkDecoder.decode(Arrays.copyOf(e.data(), e.length()), base, raw.length), what);
            }
        }
    }

    @Test
    void aDeltaThatGrewIsGivenUp() throws CorruptObjectException {
        byte[][] h = CodecTestData.adamHistory(4, 16_384, 2, 7, false);
        try (CodecWorkspace ws = new CodecWorkspace()) {
            ChunkEncoder.encodeBest(h[1], 0, h[1].length, 4, ChunkBase.ofRaw(h[0], 0, h[0].length), 1, ChunkEncoder.Choice.SAMPLED, ws);
            ChunkEncoder.Decision d = ws.lastDecision();
            assertEquals(ChunkCodec.XOR_PLANES, d.codec(), "a training step is an XOR delta");
            byte[] unrelated = new byte[h[1].length];
            new SplittableRandom(8).nextBytes(unrelated);
            assertNull(ChunkEncoder.encodeAsBefore(unrelated, 0, unrelated.length, 4, ChunkBase.ofRaw(h[1], 0, h[1].length), 1, d, ws),
                    "random bytes against the last version: the delta grew, the choice is made again");
            byte[] same = h[1].clone();
            EncodedChunk e = ChunkEncoder.encodeAsBefore(same, 0, same.length, 4, ChunkBase.ofRaw(h[1], 0, h[1].length), 1, d, ws);
            assertNotNull(e, "an unchanged chunk's delta is all zero planes: smaller");
            assertArrayEquals(same, ChunkDecoder.decode(Arrays.copyOf(e.data(), e.length()), h[1], same.length));
        }
    }

    @Test
    void aChoiceThatDoesNotApplyIsNotUsed() {
        byte[][] h = CodecTestData.adamHistory(4, 4096, 3, 9, false);
        try (CodecWorkspace ws = new CodecWorkspace()) {
            ChunkEncoder.encodeBest(h[1], 0, h[1].length, 4, ChunkBase.ofRaw(h[0], 0, h[0].length), 1, ChunkEncoder.Choice.SAMPLED, ws);
            ChunkEncoder.Decision d = ws.lastDecision();
            ChunkBase base = ChunkBase.ofRaw(h[1], 0, h[1].length);
            assertNull(ChunkEncoder.encodeAsBefore(h[2], 0, h[2].length, 4, null, 1, d, ws), "no base");
            assertNull(ChunkEncoder.encodeAsBefore(h[2], 0, h[2].length, 4, base, 1, null, ws), "no choice");
            assertNull(ChunkEncoder.encodeAsBefore(h[2], 0, 8192, 4, ChunkBase.ofRaw(h[1], 0, 8192), 1,
                    new ChunkEncoder.Decision(ChunkCodec.PLANES, d.hints(), h[1].length, 100), ws), "a keyframe's choice");
            assertNull(ChunkEncoder.encodeAsBefore(h[2], 0, h[2].length, 8, base, 1,
                    new ChunkEncoder.Decision(d.codec(), new int[4], h[1].length, d.payloadBytes()), ws), "hints for fewer planes");
        }
    }

    /**
     * The decision read back from a delta payload's head (as a command-line commit reads its base's)
     * names the payload's codec and plane modes (a constant plane as ZSTD), and encodes the next
     * version bit-exact; any other head, or random bytes, gives null or a decision, never an error.
     */
    @RepeatedTest(8)
    void theDecisionOfAStoredDeltaEncodesTheNextVersion(RepetitionInfo rep) throws CorruptObjectException {
        long seed = 1300 + rep.getCurrentRepetition();
        SplittableRandom r = new SplittableRandom(seed);
        int w = WIDTHS[r.nextInt(WIDTHS.length)];
        int n = 1 + r.nextInt(30_000);
        byte[][] h = CodecTestData.adamHistory(w, n, 4, seed, r.nextBoolean());
        String what = "seed=" + seed + " width=" + w + " elements=" + n;
        try (CodecWorkspace ws = new CodecWorkspace()) {
            EncodedChunk step = ChunkEncoder.encodeBest(h[2], 0, h[2].length, w, ChunkBase.ofRaw(h[1], 0, h[1].length), 1,
                    ChunkEncoder.Choice.SAMPLED, ws);
            byte[] payload = Arrays.copyOf(step.data(), step.length());
            ChunkEncoder.Decision d = ChunkEncoder.decisionOfStored(payload, 0, Math.min(payload.length, ChunkEncoder.STORED_DECISION_BYTES),
                    payload.length, w);
            if (!step.codec().needsBase()) {
                assertNull(d, what + ": a payload without a base holds no step's decision");
                return;
            }
            assertNotNull(d, what);
            assertEquals(step.codec(), d.codec(), what);
            assertEquals(h[2].length, d.rawLength(), what);
            assertEquals(payload.length, d.payloadBytes(), what);
            for (int k = 0; k < w; k++) {
                int mode = payload[ChunkFormat.HEADER_BYTES + ChunkFormat.PLANE_ENTRY_BYTES * k];
                int expected = mode == PlaneMode.ZERO.id() || mode == PlaneMode.CONST.id() ? PlaneMode.ZSTD.id() : mode;
                assertEquals(expected, d.hints()[k], what + " plane " + k);
            }
            EncodedChunk next = ChunkEncoder.encodeAsBefore(h[3], 0, h[3].length, w, ChunkBase.ofRaw(h[2], 0, h[2].length), 1, d, ws);
            if (next != null) {
                assertEquals(d.codec(), next.codec(), what);
                assertArrayEquals(h[3], ChunkDecoder.decode(Arrays.copyOf(next.data(), next.length()), h[2], h[3].length), what);
            }
            assertNull(ChunkEncoder.decisionOfStored(payload, 0, payload.length, payload.length, w == 8 ? 4 : 8), what + ": another width");
            assertNull(ChunkEncoder.decisionOfStored(payload, 0, ChunkFormat.HEADER_BYTES - 1, payload.length, w), what + ": a short head");
            byte[] garbage = new byte[ChunkEncoder.STORED_DECISION_BYTES];
            for (int t = 0; t < 200; t++) {
                r.nextBytes(garbage);
                garbage[0] = (byte) r.nextInt(8);
                garbage[1] = (byte) w;
                garbage[2] = (byte) (r.nextInt(4) == 0 ? r.nextInt(256) : 0);
                garbage[3] = (byte) w;
                ChunkEncoder.Decision g = ChunkEncoder.decisionOfStored(garbage, 0, garbage.length, 1 + r.nextInt(1 << 20), w);
                if (g != null) { // a decision of any modes still encodes exactly (a hint, never trusted for correctness)
                    EncodedChunk e = ChunkEncoder.encodeAsBefore(h[3], 0, h[3].length, w, ChunkBase.ofRaw(h[2], 0, h[2].length), 1,
                            new ChunkEncoder.Decision(g.codec(), g.hints(), h[3].length, Integer.MAX_VALUE / 2), ws);
                    if (e != null) {
                        assertArrayEquals(h[3], ChunkDecoder.decode(Arrays.copyOf(e.data(), e.length()), h[2], h[3].length),
                                what + " garbage head " + t);
                    }
                }
            }
        }
    }

    /** A decision that context-codes a plane (stored while contexts were on) is not reused once they are off. */
    @Test
    void aContextCodedDecisionIsNotReusedWithContextsOff() throws CorruptObjectException {
        byte[][] h = CodecTestData.adamHistory(4, 16_384, 3, 11, false);
        try (CodecWorkspace ws = new CodecWorkspace()) {
            int[] hints = new int[17];
            Arrays.fill(hints, 0, 4, PlaneMode.HUFFMAN.id());
            hints[1] = PlaneMode.CONTEXT_HUFFMAN.id();
            ChunkEncoder.Decision d = new ChunkEncoder.Decision(ChunkCodec.XOR_PLANES, hints, h[1].length, h[1].length);
            ChunkBase base = ChunkBase.ofRaw(h[1], 0, h[1].length);
            EncodedChunk on = ChunkEncoder.encodeAsBefore(h[2], 0, h[2].length, 4, base, 1, d, ws);
            assertNotNull(on, "contexts on: reused");
            assertArrayEquals(h[2], ChunkDecoder.decode(Arrays.copyOf(on.data(), on.length()), h[1], h[2].length));
            ws.setContextCoding(false);
            assertNull(ChunkEncoder.encodeAsBefore(h[2], 0, h[2].length, 4, base, 1, d, ws), "contexts off: chosen afresh");
        }
    }
}
