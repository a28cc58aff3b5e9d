package dev.coral.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/**
 * XOR planes split ahead on another thread ({@link XorPlanesAhead}) encode a chunk to exactly the
 * bytes the encoder makes splitting it itself, and are used only for an XOR delta of the
 * length and width they were split for. That they are used at all is shown by offering planes
 * split against another base: the payload changes.
 */
class XorPlanesAheadTest {
    @RepeatedTest(10)
    void planesSplitAheadEncodeToTheSameBytes(RepetitionInfo rep) {
        long seed = 1300 + rep.getCurrentRepetition();
        SplittableRandom r = new SplittableRandom(seed);
        int w = new int[] {2, 4, 8}[rep.getCurrentRepetition() % 3];
        int n = 1 + r.nextInt(rep.getCurrentRepetition() == 1 ? 3 : 150_000);
        byte[][] h = CodecTestData.adamHistory(w, n, 2, seed, r.nextBoolean());
        int off = r.nextInt(9);
        byte[] raw = new byte[off + n * w];
        System.arraycopy(h[1], 0, raw, off, n * w);
        ChunkBase base = ChunkBase.ofRaw(h[0], 0, n * w);
        byte[] expected = encode(ChunkCodec.XOR_PLANES, raw, off, n * w, w, base, null);
        XorPlanesAhead ahead = new XorPlanesAhead();
        split(ahead, raw, off, n * w, w, base);
        assertArrayEquals(expected, encode(ChunkCodec.XOR_PLANES, raw, off, n * w, w, base, ahead), "seed " + seed);
        byte[] whole = Arrays.copyOfRange(raw, off, off + n * w);
        split(ahead, whole, 0, n * w, w, base);
        assertArrayEquals(best(whole, w, base, null), best(whole, w, base, ahead), "seed " + seed + ": as the chooser encodes");

        byte[] otherBase = h[1].clone();
        otherBase[r.nextInt(otherBase.length)] ^= 0x10;
        XorPlanesAhead wrong = new XorPlanesAhead();
        split(wrong, raw, off, n * w, w, ChunkBase.ofRaw(otherBase, 0, n * w));
        assertFalse(Arrays.equals(expected, encode(ChunkCodec.XOR_PLANES, raw, off, n * w, w, base, wrong)),
                "seed " + seed + ": the planes offered are the ones coded");
        assertArrayEquals(encode(ChunkCodec.SUB_PLANES, raw, off, n * w, w, base, null),
                encode(ChunkCodec.SUB_PLANES, raw, off, n * w, w, base, wrong), "seed " + seed + ": not for an integer difference");
        assertArrayEquals(encode(ChunkCodec.PLANES, raw, off, n * w, w, null, null),
                encode(ChunkCodec.PLANES, raw, off, n * w, w, null, wrong), "seed " + seed + ": not for a keyframe");
    }

    @Test
    void planesAreOfferedOnlyWhereTheyApply() {
        byte[][] h = CodecTestData.adamHistory(4, 1000, 2, 7, false);
        ChunkBase base = ChunkBase.ofRaw(h[0], 0, h[0].length);
        XorPlanesAhead p = new XorPlanesAhead();
        assertNull(p.planes(1000, 4), "nothing split yet");
        split(p, h[1], 0, h[1].length, 4, base);
        assertNotNull(p.planes(1000, 4));
        assertNull(p.planes(1000, 2), "another width");
        assertNull(p.planes(999, 4), "another length");
        p.clear();
        assertNull(p.planes(1000, 4), "cleared: holds nothing");
        byte[] planes = new byte[h[0].length];
        PlaneTransform.split(h[0], 0, null, 0, 1000, 4, PlaneTransform.NONE, planes, 0);

        // a base held as planes is XORed with the chunk's planes by the encoder: planes offered are not used
        XorPlanesAhead wrong = new XorPlanesAhead();
        split(wrong, h[1], 0, h[1].length, 4, ChunkBase.ofRaw(h[1], 0, h[1].length));
        assertArrayEquals(best(h[1], 4, ChunkBase.ofPlanes(planes, 4, planes.length), null),
                best(h[1], 4, ChunkBase.ofPlanes(planes, 4, planes.length), wrong));
        CodecWorkspace ws = new CodecWorkspace();
        assertNull(ws.xorPlanesAhead(1000, 4), "none offered");
        ws.offerXorPlanes(wrong);
        assertNotNull(ws.xorPlanesAhead(1000, 4));
        ws.withdrawContextCounts();
        assertNull(ws.xorPlanesAhead(1000, 4), "withdrawn with the counts");
    }

    /** Splits {@code raw[off, off+len)} XOR {@code base} into {@code p}, as the base-prefetch thread does. */
    private static void split(XorPlanesAhead p, byte[] raw, int off, int len, int w, ChunkBase base) {
        PlaneTransform.split(raw, off, base.raw(), base.rawOffset(), len / w, w, PlaneTransform.XOR, p.buffer(len), 0);
        p.hold(len / w, w);
    }

    /** The payload of {@code codec} with these planes offered (none if null). */
    private static byte[] encode(ChunkCodec codec, byte[] raw, int off, int len, int w, ChunkBase base, XorPlanesAhead ahead) {
        CodecWorkspace ws = new CodecWorkspace();
        ws.setContextCoding(true);
        if (ahead != null) {
            ws.offerXorPlanes(ahead);
        }
        ChunkCodec.EncodedChunk e = ChunkEncoder.encode(codec, raw, off, len, w, base == null ? null : base.raw(),
                base == null ? 0 : base.rawOffset(), 1, ws);
        return Arrays.copyOf(e.data(), e.length());
    }

    /** The chooser's payload for the whole of {@code raw} with these planes offered (none if null). */
    private static byte[] best(byte[] raw, int w, ChunkBase base, XorPlanesAhead ahead) {
        CodecWorkspace ws = new CodecWorkspace();
        ws.setContextCoding(true);
        if (ahead != null) {
            ws.offerXorPlanes(ahead);
        }
        ChunkCodec.EncodedChunk e = ChunkEncoder.encodeBest(raw, 0, raw.length, w, base, 1, ChunkEncoder.Choice.SAMPLED, ws);
        return Arrays.copyOf(e.data(), e.length());
    }
}
