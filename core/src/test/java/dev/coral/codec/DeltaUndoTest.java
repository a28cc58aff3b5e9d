package dev.coral.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.codec.ChunkCodec.EncodedChunk;
import dev.coral.codec.CodecTestData.Base;
import dev.coral.codec.CodecTestData.Content;
import dev.coral.codec.CodecTestData.Pair;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * An XOR delta undone from the chunk it made gives its base back, bit for bit: every width with
 * planes, every content, any base, any length, training steps whose high-mantissa plane is
 * context-coded (the case that needs the pair-aligned groups); both in plane space and on raw
 * bytes, at offsets and in place. A payload that cannot be undone says so and leaves the planes
 * (or the bytes) as they were. Each case has its own seed, printed on failure.
 */
class DeltaUndoTest {
    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (int w : new int[] {2, 4, 8}) {
            for (int elements : new int[] {1, 37, 1001, 20011, 262_144}) {
                for (Content c : Content.values()) {
                    for (Base b : new Base[] {Base.EQUAL, Base.RANDOM, Base.NEARLY_EQUAL}) {
                        if (elements == 262_144 && (c != Content.GAUSSIAN || b != Base.NEARLY_EQUAL)) {
                            continue;
                        }
                        out.add(Arguments.of(w, elements, c, b, 31L * w + 7L * elements + 131L * c.ordinal() + b.ordinal()));
                    }
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "w={0} n={1} {2} base {3} seed {4}")
    @MethodSource("cases")
    void anXorDeltaUndoneGivesItsBase(int w, int elements, Content content, Base baseKind, long seed) throws Exception {
        Pair p = CodecTestData.generate(content, baseKind, w, elements, seed);
        try (CodecWorkspace ws = new CodecWorkspace()) {
            undoneIsBase(p.raw(), p.base(), w, "seed " + seed, ws);
        }
    }

    /** Trained-like Adam steps: plane 1 is context-coded (plane 0 sparse), and the delta is undone through it. */
    @ParameterizedTest(name = "w={0}")
    @MethodSource("floatWidths")
    void trainingStepsUndoThroughTheirContextCodedPlane(int w) throws Exception {
        byte[][] steps = CodecTestData.adamHistory(w, 1 << 18, 3, 17 * w, false);
        try (CodecWorkspace ws = new CodecWorkspace()) {
            for (int s = 1; s < steps.length; s++) {
                EncodedChunk e = undoneIsBase(steps[s], steps[s - 1], w, "w " + w + " step " + s, ws);
                assertEquals(PlaneMode.CONTEXT_HUFFMAN.id(), modes(e, w)[1], "plane 1 context-coded: the case to cover");
            }
        }
    }

    /** BF16 and fp32 (fp64's plane 1 is mantissa, not context-coded). */
    static Stream<Arguments> floatWidths() {
        return Stream.of(Arguments.of(2), Arguments.of(4));
    }

    static Stream<Arguments> widths() {
        return Stream.of(Arguments.of(2), Arguments.of(4), Arguments.of(8));
    }

    /**
     * Weights across three decades: plane 0 itself is context-coded, in contexts of the base's
     * exponent, which plane 0 is what gives; such a delta is refused, the planes untouched.
     */
    @ParameterizedTest(name = "w={0}")
    @MethodSource("widths")
    void aDeltaWhosePlane0IsContextCodedIsRefused(int w) throws Exception {
        byte[][] steps = CodecTestData.adamHistory(w, 1 << 18, 2, 19 * w, true);
        EncodedChunk e = ChunkEncoder.encode(ChunkCodec.XOR_PLANES, steps[1], 0, steps[1].length, w, steps[0], 1);
        byte[] planes = planesOf(steps[1], w);
        byte[] before = planes.clone();
        boolean undone;
        try (CodecWorkspace ws = new CodecWorkspace()) {
            undone = ChunkDecoder.undoInPlaneSpace(e.data(), 0, e.length(), steps[1].length, w, planes, ws, false);
        }
        assertEquals(modes(e, w)[0] != PlaneMode.CONTEXT_HUFFMAN.id(), undone, "refused exactly when plane 0 is context-coded");
        if (undone) {
            byte[] got = new byte[steps[1].length];
            ChunkDecoder.mergePlanes(planes, got.length, w, got);
            assertArrayEquals(steps[0], got);
        } else {
            assertArrayEquals(before, planes, "untouched");
            undoOnRawBytesRefused(e.data(), e.length(), steps[1], w, false, "plane 0 context-coded");
        }
    }

    /** A context-coded plane whose groups split a pair of contexts cannot be undone: false, the planes untouched. */
    @Test
    void groupsSplittingAPairOfContextsCannotBeUndone() throws Exception {
        byte[][] steps = CodecTestData.adamHistory(4, 1 << 18, 2, 5, true);
        EncodedChunk e = ChunkEncoder.encode(ChunkCodec.XOR_PLANES, steps[1], 0, steps[1].length, 4, steps[0], 1);
        byte[] p = e.data().clone();
        int[] lengths = new int[16];
        int[] modes = new int[16];
        ChunkFormat.parse(p, 0, e.length(), modes, lengths, true);
        assertEquals(PlaneMode.CONTEXT_HUFFMAN.id(), modes[1]);
        int plane1 = ChunkFormat.HEADER_BYTES + ChunkFormat.PLANE_ENTRY_BYTES * 4 + lengths[0];
        assertTrue(ContextHuffman.pairAligned(p, plane1, lengths[1]), "the encoder aligns its groups to pairs");
        assertTrue((p[plane1] & 0xFF) >= 2, "several groups");
        p[plane1 + 1] |= 1; // the first boundary, odd
        assertFalse(ContextHuffman.pairAligned(p, plane1, lengths[1]));
        byte[] planes = planesOf(steps[1], 4);
        byte[] before = planes.clone();
        EncodedChunk keyframe = ChunkEncoder.encode(ChunkCodec.PLANES, steps[1], 0, steps[1].length, 4, null, 1);
        try (CodecWorkspace ws = new CodecWorkspace()) {
            assertFalse(ChunkDecoder.undoInPlaneSpace(p, 0, e.length(), steps[1].length, 4, planes, ws, true));
            assertArrayEquals(before, planes, "untouched");
            assertFalse(ChunkDecoder.undoInPlaneSpace(p, 0, e.length(), steps[1].length, 2, planes, ws, true), "another width");
            assertFalse(ChunkDecoder.undoInPlaneSpace(keyframe.data(), 0, keyframe.length(), steps[1].length, 4, planes, ws, false),
                    "not a delta");
        }
        assertArrayEquals(before, planes, "untouched");
        undoOnRawBytesRefused(p, e.length(), steps[1], 4, true, "groups not pair-aligned");
        undoOnRawBytesRefused(p, e.length(), steps[1], 2, true, "another width");
        undoOnRawBytesRefused(keyframe.data(), keyframe.length(), steps[1], 4, false, "not a delta");
    }

    /**
     * Pair alignment is the encoder's choice, on by default and off for lossy commits
     * ({@link CodecWorkspace#setPairAlignedContexts}): off, the groups fall where the counts put
     * them (here on an odd context), and such a delta is not undone.
     */
    @Test
    void alignmentIsAChoiceOfTheWorkspace() throws Exception {
        byte[][] steps = CodecTestData.adamHistory(4, 1 << 18, 2, 23, false);
        boolean oddSeen = false;
        for (boolean aligned : new boolean[] {true, false}) {
            try (CodecWorkspace ws = new CodecWorkspace()) {
                ws.setPairAlignedContexts(aligned);
                EncodedChunk e = ChunkEncoder.encodeInWorkspace(ChunkCodec.XOR_PLANES, steps[1], 0, steps[1].length, 4, steps[0], 0, 1, ws);
                byte[] p = java.util.Arrays.copyOf(e.data(), e.length());
                int[] lengths = new int[16];
                int[] modes = new int[16];
                ChunkFormat.parse(p, 0, p.length, modes, lengths, false);
                assertEquals(PlaneMode.CONTEXT_HUFFMAN.id(), modes[1]);
                int plane1 = ChunkFormat.HEADER_BYTES + ChunkFormat.PLANE_ENTRY_BYTES * 4 + lengths[0];
                boolean pairAligned = ContextHuffman.pairAligned(p, plane1, lengths[1]);
                if (aligned) {
                    assertTrue(pairAligned, "aligned when asked");
                } else {
                    oddSeen = !pairAligned;
                }
                byte[] planes = planesOf(steps[1], 4);
                assertEquals(pairAligned, ChunkDecoder.undoInPlaneSpace(p, 0, p.length, steps[1].length, 4, planes, ws, false));
                byte[] dst = new byte[steps[1].length];
                assertEquals(pairAligned, ChunkDecoder.undo(p, 0, p.length, steps[1], 0, dst, 0, dst.length, 4, ws, false));
                if (pairAligned) {
                    assertArrayEquals(steps[0], dst);
                }
            }
        }
        assertTrue(oddSeen, "unaligned, this chunk's groups have an odd boundary (else the case shows nothing)");
    }

    /** Undone both ways: in plane space, and on raw bytes ({@link ChunkDecoder#undo}) at offsets and in place. */
    private static EncodedChunk undoneIsBase(byte[] raw, byte[] base, int w, String what, CodecWorkspace ws) throws Exception {
        EncodedChunk e = ChunkEncoder.encode(ChunkCodec.XOR_PLANES, raw, 0, raw.length, w, base, 1);
        byte[] planes = planesOf(raw, w);
        assertTrue(ChunkDecoder.undoInPlaneSpace(e.data(), 0, e.length(), raw.length, w, planes, ws, false), what + ": undoable");
        byte[] got = new byte[raw.length];
        ChunkDecoder.mergePlanes(planes, raw.length, w, got);
        assertArrayEquals(base, got, what);
        byte[] payload = new byte[e.length() + 5];
        System.arraycopy(e.data(), 0, payload, 3, e.length());
        byte[] made = new byte[raw.length + 7];
        System.arraycopy(raw, 0, made, 7, raw.length);
        byte[] out = new byte[raw.length + 2];
        assertTrue(ChunkDecoder.undo(payload, 3, e.length(), made, 7, out, 2, raw.length, w, ws, false), what + ": undoable on raw bytes");
        assertArrayEquals(base, java.util.Arrays.copyOfRange(out, 2, out.length), what + " on raw bytes");
        assertTrue(ChunkDecoder.undo(payload, 3, e.length(), made, 7, made, 7, raw.length, w, ws, true), what + ": in place");
        assertArrayEquals(base, java.util.Arrays.copyOfRange(made, 7, made.length), what + " in place");
        return e;
    }

    /** {@link ChunkDecoder#undo} refuses what {@link ChunkDecoder#undoInPlaneSpace} refuses, leaving dst untouched. */
    private static void undoOnRawBytesRefused(byte[] p, int len, byte[] made, int w, boolean crcChecked, String what) throws Exception {
        byte[] dst = made.clone();
        try (CodecWorkspace ws = new CodecWorkspace()) {
            assertFalse(ChunkDecoder.undo(p, 0, len, made, 0, dst, 0, made.length, w, ws, crcChecked), what);
        }
        assertArrayEquals(made, dst, what + ": untouched");
    }

    private static byte[] planesOf(byte[] raw, int w) {
        byte[] planes = new byte[Math.max(1, raw.length)];
        ChunkDecoder.splitPlanes(raw, raw.length, w, planes);
        return planes;
    }

    private static int[] modes(EncodedChunk e, int w) throws Exception {
        int[] lengths = new int[16];
        int[] modes = new int[16];
        ChunkFormat.parse(e.data(), 0, e.length(), modes, lengths, false);
        return modes;
    }
}
