package dev.coral.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.codec.ChunkCodec.EncodedChunk;
import dev.coral.codec.CodecTestData.Base;
import dev.coral.codec.CodecTestData.Content;
import dev.coral.codec.CodecTestData.Pair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A base held as planes (what a plane-space chain decode leaves) encodes to exactly the payload
 * the same base gives as raw elements: every chooser, width and base kind, with the planes at the
 * encoder's width (XOR straight in plane space) and at another width (merged on first need).
 */
class ChunkBaseTest {
    private static final CodecWorkspace WS = new CodecWorkspace();

    @AfterAll
    static void closeWorkspace() {
        WS.close();
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        int[] widths = {1, 2, 4, 8, 16};
        int[] elements = {1, 37, 1001, 20011, 300_000};
        for (int w : widths) {
            for (int e : elements) {
                if (e == 300_000 && w > 4) {
                    continue;
                }
                for (Content c : new Content[] {Content.GAUSSIAN, Content.RANDOM_BITS, Content.NAN_PAYLOADS, Content.SMALL_INTS}) {
                    for (Base b : new Base[] {Base.NEARLY_EQUAL, Base.EQUAL, Base.RANDOM}) {
                        for (int planeWidth : new int[] {w, otherWidth(w, e)}) {
                            out.add(Arguments.of(w, e, c, b, planeWidth, CodecRoundTripTest.mix(w, e, c.ordinal(), b.ordinal(), planeWidth)));
                        }
                    }
                }
            }
        }
        return out.stream();
    }

    /** A plane width other than w that divides the chunk, or w if there is none. */
    private static int otherWidth(int w, int elements) {
        int len = w * elements;
        for (int v : new int[] {4, 2, 8, 16, 1}) {
            if (v != w && len % v == 0) {
                return v;
            }
        }
        return w;
    }

    @ParameterizedTest(name = "w={0} n={1} {2} base={3} planes of width {4} seed={5}")
    @MethodSource("cases")
    void planarBaseEncodesLikeTheRawBase(int w, int elements, Content content, Base baseKind, int planeWidth, long seed) throws Exception {
        String what = "w=" + w + " n=" + elements + " " + content + " base=" + baseKind + " planes of width " + planeWidth + " seed=" + seed;
        Pair pair = CodecTestData.generate(content, baseKind, w, elements, seed);
        int len = pair.raw().length;
        byte[] planes = new byte[len + 3];
        PlaneTransform.split(pair.base(), 0, null, 0, len / planeWidth, planeWidth, PlaneTransform.NONE, planes, 0);
        for (ChunkEncoder.Choice choice : ChunkEncoder.Choice.values()) {
            EncodedChunk fromRaw = copy(ChunkEncoder.encodeBestInWorkspace(pair.raw(), 0, len, w, pair.base(), 0, 1, choice, WS));
            ChunkBase asPlanes = ChunkBase.ofPlanes(planes, planeWidth, len);
            EncodedChunk fromPlanes = copy(ChunkEncoder.encodeBestInWorkspace(pair.raw(), 0, len, w, asPlanes, 1, choice, WS));
            assertEquals(fromRaw.codec(), fromPlanes.codec(), what + " " + choice);
            assertArrayEquals(fromRaw.data(), fromPlanes.data(), what + " " + choice + ": payloads differ");
            if (choice == ChunkEncoder.Choice.SAMPLED && planeWidth == w && fromPlanes.codec() == ChunkCodec.XOR_PLANES) {
                assertTrue(asPlanes.heldAsPlanes(), what + ": an XOR delta at the planes' width needs no merge");
            }
            byte[] back = ChunkDecoder.decode(fromPlanes.data(), pair.base(), len);
            assertArrayEquals(pair.raw(), back, what + " " + choice + ": round trip");
        }
    }

    private static EncodedChunk copy(EncodedChunk e) {
        return new EncodedChunk(e.codec(), Arrays.copyOf(e.data(), e.length()), e.length());
    }

    @Test
    void copyRawGathersAnyElementRangeFromPlanes() {
        SplittableRandom r = new SplittableRandom(7);
        for (int trial = 0; trial < 300; trial++) {
            int w = new int[] {1, 2, 4, 8, 16}[r.nextInt(5)];
            int n = 1 + r.nextInt(500);
            byte[] raw = new byte[n * w];
            r.nextBytes(raw);
            byte[] planes = new byte[raw.length];
            PlaneTransform.split(raw, 0, null, 0, n, w, PlaneTransform.NONE, planes, 0);
            ChunkBase b = ChunkBase.ofPlanes(planes, w, raw.length);
            int from = r.nextInt(n) * w;
            int len = r.nextInt(n - from / w + 1) * w;
            byte[] got = new byte[len + 2];
            b.copyRaw(from, got, 1, len);
            assertArrayEquals(Arrays.copyOfRange(raw, from, from + len), Arrays.copyOfRange(got, 1, 1 + len), "trial " + trial + " w=" + w);
            assertTrue(b.heldAsPlanes(), "trial " + trial + ": an aligned range is gathered without a merge");
            if (w > 1) { // a range not aligned to the planes' width merges once, then copies
                b.copyRaw(1, got, 0, 1);
                assertEquals(raw[1], got[0], "trial " + trial);
                assertFalse(b.heldAsPlanes());
            }
        }
    }

    @Test
    void rejectsRangesOutsideTheBase() {
        byte[] planes = new byte[16];
        assertThrows(IllegalArgumentException.class, () -> ChunkBase.ofPlanes(planes, 4, 18));
        assertThrows(IllegalArgumentException.class, () -> ChunkBase.ofPlanes(planes, 3, 12));
        assertThrows(IllegalArgumentException.class, () -> ChunkBase.ofRaw(planes, 4, 13));
        ChunkBase b = ChunkBase.ofPlanes(planes, 4, 16);
        assertThrows(IllegalArgumentException.class, () -> b.copyRaw(12, new byte[8], 0, 8));
        assertThrows(IllegalArgumentException.class, () -> ChunkEncoder.encodeBestInWorkspace(new byte[8], 0, 8, 4, b, 1,
                ChunkEncoder.Choice.SAMPLED, WS));
    }
}
