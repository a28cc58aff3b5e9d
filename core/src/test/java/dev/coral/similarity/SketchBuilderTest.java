package dev.coral.similarity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.CorruptObjectException;
import dev.coral.error.UnsupportedVersionException;
import dev.coral.tensor.DType;
import dev.coral.tensor.ElementValues;
import dev.coral.tensor.Shape;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SketchBuilderTest {
    static Stream<Arguments> seeds() {
        List<Arguments> out = new ArrayList<>();
        Random r = new Random(20260504);
        for (int i = 0; i < 40; i++) {
            out.add(Arguments.of(r.nextLong()));
        }
        return out.stream();
    }

    /** A random dtype and size from the seed, with random bytes. */
    record Case(DType dtype, Shape shape, byte[] bytes, String what) {
    }

    static Case randomCase(long seed) {
        Random r = new Random(seed);
        DType t = DType.values()[r.nextInt(DType.values().length)];
        int align = t.isByteAligned() ? 1 : 8 / gcd(t.bits(), 8);
        long[] sizes = {0, 1, 2, 7, 4095, 4096, 4097, 10_000, 123_457, 300_000};
        long n = sizes[r.nextInt(sizes.length)];
        n = (n + align - 1) / align * align; // sub-byte: whole bytes
        Shape shape = Shape.of(n);
        byte[] bytes = new byte[(int) t.byteSize(n)];
        r.nextBytes(bytes);
        return new Case(t, shape, bytes, t + " x" + n + " seed=" + seed);
    }

    static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    /**
     * Sketch format version 1 pinned: the SHA-256 of the encoded sketches of every dtype at sizes
     * around the sampling limit, from seeded random bytes (NaN payloads, infinities, subnormals
     * among them), as the first implementation computed them. A faster builder must give the same
     * bytes, or stored similarity indexes would stop matching new sketches.
     */
    @Test
    void formatVersion1IsPinned() throws Exception {
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
        long[] sizes = {1, 7, 4095, 4096, 4097, 25_600, 300_001};
        for (DType t : DType.values()) {
            int align = t.isByteAligned() ? 1 : 8 / gcd(t.bits(), 8);
            for (long n0 : sizes) {
                long n = (n0 + align - 1) / align * align;
                byte[] b = new byte[(int) t.byteSize(n)];
                new Random(n * 31 + t.ordinal()).nextBytes(b);
                md.update(SketchBuilder.of(t, Shape.of(n), b).encode());
            }
        }
        assertEquals("cc9aefc3f324dce4171efffa7d3f922969122e98dd88be9bcdca9cec42c57e35", java.util.HexFormat.of().formatHex(md.digest()));
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void chunkedInAnyOrderEqualsOneGo(long seed) throws IOException {
        Case c = randomCase(seed);
        Random r = new Random(seed ^ 0x5EED);
        TensorSketch whole = SketchBuilder.of(c.dtype, c.shape, c.bytes);

        // random chunk boundaries on element (alignment) boundaries, in order
        int align = c.dtype.alignmentBytes();
        List<int[]> ranges = new ArrayList<>();
        int at = 0;
        while (at < c.bytes.length) {
            int len = Math.min(c.bytes.length - at, align * (1 + r.nextInt(1 + r.nextInt(3000))));
            ranges.add(new int[] {at, len});
            at += len;
        }
        SketchBuilder inOrder = new SketchBuilder(c.dtype, c.shape);
        for (int[] g : ranges) {
            inOrder.update(g[0], Arrays.copyOfRange(c.bytes, g[0], g[0] + g[1]));
        }
        assertEquals(whole, inOrder.build(), c.what + " in order");

        // shuffled, and cut anywhere (not only on element boundaries)
        List<int[]> odd = new ArrayList<>();
        at = 0;
        while (at < c.bytes.length) {
            int len = Math.min(c.bytes.length - at, 1 + r.nextInt(1 + r.nextInt(5000)));
            odd.add(new int[] {at, len});
            at += len;
        }
        Collections.shuffle(odd, r);
        SketchBuilder shuffled = new SketchBuilder(c.dtype, c.shape);
        byte[] padded = new byte[c.bytes.length + 10];
        System.arraycopy(c.bytes, 0, padded, 5, c.bytes.length);
        for (int[] g : odd) {
            shuffled.update(g[0], padded, 5 + g[0], g[1]);
        }
        assertEquals(whole, shuffled.build(), c.what + " shuffled");

        // only the sampled units, read at the plan's offsets
        SketchBuilder sparse = new SketchBuilder(c.dtype, c.shape);
        SamplePlan plan = sparse.plan();
        for (int k = plan.size() - 1; k >= 0; k--) {
            sparse.update(plan.byteOffset(k), c.bytes, (int) plan.byteOffset(k), plan.unitBytes());
        }
        assertEquals(whole, sparse.build(), c.what + " sampled units only");
        assertArrayEquals(inOrder.sampleBytes(), sparse.sampleBytes(), c.what);

        assertEquals(whole, SketchBuilder.of(c.dtype, c.shape, new ByteArrayInputStream(c.bytes)), c.what + " stream");
        assertEquals(whole, TensorSketch.decode(whole.encode(), c.what), c.what + " encode/decode");
    }

    @Test
    void fromFileChannelReadsOnlyTheSample(@TempDir Path dir) throws IOException {
        Random r = new Random(11);
        for (long n : new long[] {0, 3, 5000, 1_000_000}) {
            byte[] bytes = new byte[(int) (4 * n)];
            r.nextBytes(bytes);
            Path f = dir.resolve("t" + n);
            byte[] file = new byte[bytes.length + 123];
            System.arraycopy(bytes, 0, file, 123, bytes.length);
            Files.write(f, file);
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                assertEquals(SketchBuilder.of(DType.F32, Shape.of(n), bytes), SketchBuilder.of(DType.F32, Shape.of(n), ch, 123), "n=" + n);
                if (n > 0) {
                    assertThrows(EOFException.class, () -> SketchBuilder.of(DType.F32, Shape.of(n), ch, file.length));
                }
            }
        }
    }

    @Test
    void incompleteOrOutOfRangeInputIsRefused() {
        SketchBuilder b = new SketchBuilder(DType.F32, Shape.of(100));
        b.update(0, new byte[396]);
        assertFalse(b.isComplete());
        assertThrows(IllegalStateException.class, b::build);
        b.update(396, new byte[4]);
        assertTrue(b.isComplete());
        b.build();
        assertThrows(IllegalArgumentException.class, () -> b.update(397, new byte[4]));
        assertThrows(IllegalArgumentException.class, () -> b.update(-1, new byte[1]));
        assertThrows(IndexOutOfBoundsException.class, () -> b.update(0, new byte[4], 2, 4));
        assertThrows(EOFException.class, () -> SketchBuilder.of(DType.F32, Shape.of(100), new ByteArrayInputStream(new byte[399])));
    }

    @Test
    void samplePlanIsFixedSpreadAndIncreasing() {
        for (long n : new long[] {0, 1, 4095, 4096, 4097, 8191, 1_000_003, 1L << 40, Long.MAX_VALUE / 64}) {
            SamplePlan p = SamplePlan.of(DType.F32, n);
            SamplePlan q = SamplePlan.of(DType.F32, n);
            assertEquals(Math.min(n, SamplePlan.MAX_SAMPLES), p.size(), "n=" + n);
            assertEquals(p.size(), SamplePlan.sampleCount(DType.F32, n));
            for (int k = 0; k < p.size(); k++) {
                assertEquals(p.unit(k), q.unit(k));
                assertTrue(p.unit(k) >= 0 && p.unit(k) < n, "n=" + n + " k=" + k);
                if (k > 0) {
                    assertTrue(p.unit(k) > p.unit(k - 1), "n=" + n + " k=" + k);
                }
                // sample k lies in its stratum
                assertTrue(p.unit(k) >= (long) ((double) k * n / p.size()) - 2, "n=" + n + " k=" + k);
            }
            if (n > 4096) {
                assertTrue(p.unit(p.size() - 1) >= n - n / 4096 - 2, "the last stratum reaches the end, n=" + n);
            }
        }
        // a regular stride would hit one column of a 4096-column matrix every time; the jitter does not
        SamplePlan p = SamplePlan.of(DType.F32, 4096L * 4096);
        long distinctColumns = java.util.stream.IntStream.range(0, p.size()).mapToLong(k -> p.unit(k) % 4096).distinct().count();
        assertTrue(distinctColumns > 2000, "columns sampled: " + distinctColumns);
        // sub-byte units are alignment groups
        assertEquals(1, SamplePlan.of(DType.F4, 10).unitBytes());
        assertEquals(5, SamplePlan.of(DType.F4, 10).unitCount());
        assertEquals(3, SamplePlan.of(DType.F6_E3M2, 8).unitBytes());
        assertEquals(2, SamplePlan.of(DType.F6_E3M2, 8).unitCount());
    }

    static byte[] f32(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }

    static TensorSketch roundTrip(TensorSketch s) throws CorruptObjectException, UnsupportedVersionException {
        TensorSketch back = TensorSketch.decode(s.encode(), "test");
        assertEquals(s, back);
        return back;
    }

    @Test
    void edgeCases() throws IOException {
        // empty
        TensorSketch empty = roundTrip(SketchBuilder.of(DType.F32, Shape.of(0, 7), new byte[0]));
        assertEquals(0, empty.sampleCount());
        assertEquals(0, empty.stats().finite());
        assertTrue(Double.isNaN(empty.stats().mean()));
        assertEquals(0, empty.checkBytes().length);
        SimilarityCheck.Result nothing = new SimilarityCheck().compare(empty, empty);
        assertFalse(nothing.similar());

        // one element (a scalar)
        TensorSketch one = roundTrip(SketchBuilder.of(DType.F32, Shape.scalar(), f32(-2.5f)));
        assertEquals(1, one.sampleCount());
        assertEquals(-2.5, one.stats().mean());
        assertEquals(0.0, one.stats().std());
        assertEquals(0, one.distance(SketchBuilder.of(DType.F32, Shape.scalar(), f32(-2.75f))), "same top byte, same sketch");
        assertTrue(new SimilarityCheck().compare(one, SketchBuilder.of(DType.F32, Shape.scalar(), f32(-2.75f))).similar());

        // all NaN, all zero
        float[] nans = new float[10_000];
        Arrays.fill(nans, Float.NaN);
        TensorSketch nan = roundTrip(SketchBuilder.of(DType.F32, Shape.of(10_000), f32(nans)));
        assertEquals(4096, nan.stats().nan());
        assertEquals(0, nan.stats().finite());
        assertTrue(Double.isNaN(nan.stats().mean()) && Double.isNaN(nan.stats().min()));
        TensorSketch zero = roundTrip(SketchBuilder.of(DType.F32, Shape.of(10_000), new byte[40_000]));
        assertEquals(4096, zero.stats().zero());
        assertEquals(0.0, zero.stats().mean());
        assertEquals(0.0, zero.stats().std());
        assertEquals(0, zero.distance(SketchBuilder.of(DType.F32, Shape.of(10_000), new byte[40_000])));
        assertTrue(nan.distance(zero) > 20, "all-NaN vs all-zero: " + nan.distance(zero));

        // mixed NaN / inf / finite: statistics skip what is not finite
        TensorSketch mixed = roundTrip(SketchBuilder.of(DType.F32, Shape.of(5),
                f32(Float.NaN, Float.POSITIVE_INFINITY, 1f, 3f, Float.NEGATIVE_INFINITY)));
        assertEquals(new TensorSketch.Stats(5, 2, 1, 2, 0, 2.0, 1.0, 1.0, 3.0), mixed.stats());

        // every dtype: a sketch is defined and round-trips; numeric ones have sane statistics
        Random r = new Random(3);
        for (DType t : DType.values()) {
            long n = t.isByteAligned() ? 5001 : 8 * 1001;
            byte[] bytes = new byte[(int) t.byteSize(n)];
            r.nextBytes(bytes);
            TensorSketch s = roundTrip(SketchBuilder.of(t, Shape.of(n), bytes));
            assertEquals(Math.min(4096, n * t.bits() / 8 / ElementBits.unitBytes(t)), s.sampleCount(), t.toString());
            assertEquals(Math.min(256, s.sampleCount()) * TensorSketch.checkWidth(t), s.checkBytes().length, t.toString());
            if (ElementValues.isNumeric(t)) {
                assertTrue(s.stats().finite() + s.stats().nan() + s.stats().infinite() == s.sampleCount(), t + " " + s.stats());
                assertTrue(s.stats().finite() == 0 || s.stats().min() <= s.stats().max(), t + " " + s.stats());
            } else {
                assertEquals(0, s.stats().finite(), t.toString());
            }
            // a slightly changed copy stays close, random bytes of the same shape do not
            byte[] other = bytes.clone();
            for (int i = 0; i < other.length; i += 97) {
                other[i] ^= 1;
            }
            byte[] random = new byte[bytes.length];
            r.nextBytes(random);
            TensorSketch near = SketchBuilder.of(t, Shape.of(n), other);
            TensorSketch far = SketchBuilder.of(t, Shape.of(n), random);
            assertTrue(s.distance(near) < s.distance(far), t + ": near " + s.distance(near) + " far " + s.distance(far));
        }

        // bool and int8 statistics
        TensorSketch bool = SketchBuilder.of(DType.BOOL, Shape.of(4), new byte[] {0, 1, 1, 1});
        assertEquals(0.75, bool.stats().mean());
        TensorSketch i8 = SketchBuilder.of(DType.I8, Shape.of(3), new byte[] {-128, 0, 127});
        assertEquals(-128.0, i8.stats().min());
        assertEquals(127.0, i8.stats().max());
        assertEquals(1, i8.stats().zero());
    }

    @Test
    void smallFloatsDecode() {
        assertEquals(1.0, ElementValues.toDouble(DType.F16, new byte[] {0x00, 0x3C}, 0));
        assertEquals(-2.0, ElementValues.toDouble(DType.F16, new byte[] {0x00, (byte) 0xC0}, 0));
        assertEquals(65504.0, ElementValues.toDouble(DType.F16, new byte[] {(byte) 0xFF, 0x7B}, 0));
        assertEquals(Math.scalb(1.0, -24), ElementValues.toDouble(DType.F16, new byte[] {0x01, 0x00}, 0));
        assertEquals(Double.POSITIVE_INFINITY, ElementValues.toDouble(DType.F16, new byte[] {0x00, 0x7C}, 0));
        assertTrue(Double.isNaN(ElementValues.toDouble(DType.F16, new byte[] {0x01, 0x7C}, 0)));
        assertEquals(1.0, ElementValues.toDouble(DType.BF16, new byte[] {(byte) 0x80, 0x3F}, 0));
        assertEquals(448.0, ElementValues.toDouble(DType.F8_E4M3, new byte[] {0x7E}, 0));
        assertTrue(Double.isNaN(ElementValues.toDouble(DType.F8_E4M3, new byte[] {0x7F}, 0)));
        assertEquals(57344.0, ElementValues.toDouble(DType.F8_E5M2, new byte[] {0x7B}, 0));
        assertEquals(Double.NEGATIVE_INFINITY, ElementValues.toDouble(DType.F8_E5M2, new byte[] {(byte) 0xFC}, 0));
        assertTrue(Double.isNaN(ElementValues.toDouble(DType.F8_E4M3FNUZ, new byte[] {(byte) 0x80}, 0)));
        assertEquals(240.0, ElementValues.toDouble(DType.F8_E4M3FNUZ, new byte[] {0x7F}, 0));
        assertEquals(57344.0, ElementValues.toDouble(DType.F8_E5M2FNUZ, new byte[] {0x7F}, 0));
        assertEquals(1.0, ElementValues.toDouble(DType.F8_E8M0, new byte[] {127}, 0));
        assertEquals(Math.pow(2, 64), ElementValues.toDouble(DType.U64, new byte[] {-1, -1, -1, -1, -1, -1, -1, -1}, 0));
    }

    @Test
    void damagedSketchBytesAreRejected() {
        TensorSketch s = SketchBuilder.of(DType.F32, Shape.of(10), new byte[40]);
        byte[] e = s.encode();
        byte[] newer = e.clone();
        newer[0] = 2;
        assertThrows(UnsupportedVersionException.class, () -> TensorSketch.decode(newer, "t"));
        assertThrows(CorruptObjectException.class, () -> TensorSketch.decode(Arrays.copyOf(e, e.length - 1), "t"));
        assertThrows(CorruptObjectException.class, () -> TensorSketch.decode(Arrays.copyOf(e, e.length + 1), "t"));
        byte[] badType = e.clone();
        badType[2] = 'Q';
        assertThrows(CorruptObjectException.class, () -> TensorSketch.decode(badType, "t"));
    }
}
