package dev.coral.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.coral.codec.ChunkCodec.EncodedChunk;
import dev.coral.codec.CodecTestData.Base;
import dev.coral.codec.CodecTestData.Content;
import dev.coral.codec.CodecTestData.Pair;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every codec x width x length x content x base round-trips bit-exact. Each case has its own
 * seed (printed in every failure message) so a failure replays alone.
 */
class CodecRoundTripTest {
    /** The codecs under test: the six named ones and the two choosers. */
    enum Mode { RAW, ZSTD, PLANES, XOR_PLANES, SUB_PLANES, ZIGZAG_PLANES, BEST_SAMPLED, BEST_EXHAUSTIVE }

    static final int[] WIDTHS = {1, 2, 4, 8, 16};
    /** Element counts: empty, one, odd small, above the chooser's sample; plus 1 MiB of bytes. */
    static final int[] ELEMENTS = {0, 1, 37, 1001, 20011, -1};
    static final int MIB = 1 << 20;

    private static final CodecWorkspace WS = new CodecWorkspace();

    @AfterAll
    static void closeWorkspace() {
        WS.close();
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (int w : WIDTHS) {
            for (int e : ELEMENTS) {
                int elements = e < 0 ? MIB / w : e;
                for (Content c : Content.values()) {
                    for (Base b : Base.values()) {
                        if (e == 20011 && b != Base.NEARLY_EQUAL && b != Base.NONE) {
                            continue;
                        }
                        // one input, every codec in a row (the generator keeps the last input)
                        long seed = mix(w, elements, c.ordinal(), b.ordinal());
                        for (Mode mode : Mode.values()) {
                            boolean needsBase = mode == Mode.XOR_PLANES || mode == Mode.SUB_PLANES || mode == Mode.ZIGZAG_PLANES;
                            if (needsBase && b == Base.NONE) {
                                continue;
                            }
                            if (e < 0 && !bigCase(mode, c, b)) {
                                continue;
                            }
                            out.add(Arguments.of(mode, w, elements, c, b, seed));
                        }
                    }
                }
            }
        }
        return out.stream();
    }

    /** 1 MiB cases: every codec and width, with the contents and bases that matter most. */
    private static boolean bigCase(Mode mode, Content c, Base b) {
        if (c != Content.RANDOM_BITS && c != Content.GAUSSIAN) {
            return false;
        }
        return switch (mode) {
            case RAW, ZSTD, PLANES -> b == Base.NONE;
            case XOR_PLANES, SUB_PLANES, ZIGZAG_PLANES -> c == Content.GAUSSIAN && (b == Base.NEARLY_EQUAL || b == Base.RANDOM);
            default -> c == Content.GAUSSIAN ? b == Base.NEARLY_EQUAL : b == Base.NONE || b == Base.EQUAL;
        };
    }

    static long mix(int... parts) {
        long h = 0x9E3779B97F4A7C15L;
        for (int p : parts) {
            h = (h ^ p) * 0xBF58476D1CE4E5B9L;
            h ^= h >>> 31;
        }
        return h;
    }

    @ParameterizedTest(name = "{0} w={1} n={2} {3} base={4} seed={5}")
    @MethodSource("cases")
    void roundTripsBitExact(Mode mode, int w, int elements, Content content, Base baseKind, long seed) throws Exception {
        String what = mode + " w=" + w + " elements=" + elements + " " + content + " base=" + baseKind + " seed=" + seed;
        Pair pair = CodecTestData.cached(content, baseKind, w, elements, seed);
        int len = pair.raw().length;
        // half the cases read from / write to the middle of larger arrays
        long caseSeed = mix((int) seed, (int) (seed >>> 32), mode.ordinal());
        boolean offsets = (caseSeed & 1) == 0;
        int off = offsets ? 7 : 0;
        int baseOff = offsets ? 3 : 0;
        int dstOff = offsets ? 5 : 0;
        byte[] raw = new byte[off + len + (offsets ? 9 : 0)];
        System.arraycopy(pair.raw(), 0, raw, off, len);
        byte[] base = null;
        if (pair.base() != null) {
            base = new byte[baseOff + len + (offsets ? 2 : 0)];
            System.arraycopy(pair.base(), 0, base, baseOff, len);
        }
        int level = switch ((int) ((caseSeed >>> 8) & 7)) {
            case 0 -> 3;
            case 1 -> -1;
            default -> 1;
        };
        EncodedChunk enc = switch (mode) {
            case BEST_SAMPLED -> ChunkEncoder.encodeBest(raw, off, len, w, base, baseOff, level, ChunkEncoder.Choice.SAMPLED, WS);
            case BEST_EXHAUSTIVE -> ChunkEncoder.encodeBest(raw, off, len, w, base, baseOff, level, ChunkEncoder.Choice.EXHAUSTIVE, WS);
            default -> ChunkEncoder.encode(ChunkCodec.valueOf(mode.name()), raw, off, len, w, base, baseOff, level, WS);
        };
        byte[] payload = enc.data();
        assertEquals(enc.length(), payload.length, what);
        if (!mode.name().startsWith("BEST")) {
            EncodedChunk inWorkspace = ChunkEncoder.encodeInWorkspace(enc.codec(), raw, off, len, w, base, baseOff, level, WS);
            assertArrayEquals(payload, java.util.Arrays.copyOf(inWorkspace.data(), inWorkspace.length()),
                    what + ": encoded into the workspace, the same payload");
        }
        assertEquals(enc.codec().id(), payload[0] & 0xFF, what + ": codec id is the payload's first byte");
        assertEquals(w, payload[1] & 0xFF, what + ": width is the payload's second byte");
        ChunkFormat.PayloadInfo info = ChunkFormat.describe(payload, 0, payload.length);
        assertEquals(len, info.rawLength(), what);
        if (mode.name().startsWith("BEST")) {
            assertTrue(payload.length <= len + ChunkFormat.HEADER_BYTES,
                    what + ": chosen payload of " + payload.length + " bytes is larger than RAW");
        }
        if (mode.name().startsWith("BEST") && baseKind == Base.EQUAL && len >= 4096
                && content != Content.ALL_ZERO && content != Content.CONSTANT) {
            assertTrue(enc.codec().needsBase(), what + ": equal base should be used, got " + enc.codec());
        }

        byte[] dst = new byte[dstOff + len + 4];
        try {
            ChunkDecoder.decode(payload, 0, payload.length, base, baseOff, dst, dstOff, len, w, WS);
        } catch (Exception e) {
            fail(what + ": decode failed: " + e, e);
        }
        for (int i = 0; i < len; i++) {
            if (dst[dstOff + i] != pair.raw()[i]) {
                fail(what + " (" + enc.codec() + ", " + info.planeModes() + "): byte " + i + " is "
                        + dst[dstOff + i] + ", expected " + pair.raw()[i]);
            }
        }
        for (int i = 0; i < dstOff; i++) {
            assertEquals(0, dst[i], what + ": wrote before the destination range");
        }
        for (int i = dstOff + len; i < dst.length; i++) {
            assertEquals(0, dst[i], what + ": wrote past the destination range");
        }
        if ((caseSeed & 6) != 0) {
            return;
        }
        // the convenience form agrees (a quarter of the cases: it builds a workspace each time)
        byte[] again = ChunkDecoder.decode(payload, pair.base(), len);
        assertArrayEquals(pair.raw(), again, what + ": convenience decode");
    }
}
