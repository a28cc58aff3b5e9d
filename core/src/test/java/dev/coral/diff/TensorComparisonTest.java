package dev.coral.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.CorruptObjectException;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Property-style: for every dtype and seeded random pairs of tensors (random lengths from 0,
 * random blocks, special values among them), the comparison's counts and values equal ones worked
 * out here element by element with a decoding of this test's own.
 */
class TensorComparisonTest {
    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (DType t : DType.values()) {
            for (long seed = 1; seed <= 12; seed++) {
                out.add(Arguments.of(t, seed));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} seed {1}")
    @MethodSource("cases")
    void statsEqualAnElementByElementReckoning(DType t, long seed) throws IOException {
        SplittableRandom r = new SplittableRandom(seed * 7919 + t.ordinal());
        long n = seed == 1 ? 0 : seed == 2 ? 1 : r.nextInt(1, 2000);
        long unit = t.isByteAligned() ? 1 : (long) t.alignmentBytes() * 8 / t.bits();
        n -= n % unit; // sub-byte elements: whole bytes
        TensorSpec spec = TensorSpec.of(t, n);
        int bytes = (int) spec.byteSize();
        byte[] a = new byte[bytes];
        fill(t, a, r);
        byte[] b = a.clone();
        if (seed % 4 != 3) { // every fourth pair: the same bits
            int w = Math.max(1, t.isByteAligned() ? t.elementBytes() : 1);
            int changes = bytes == 0 ? 0 : r.nextInt(1, Math.max(2, bytes / w / 3));
            byte[] other = new byte[bytes];
            fill(t, other, r);
            for (int k = 0; k < changes; k++) {
                int e = r.nextInt(bytes / w) * w;
                System.arraycopy(other, e, b, e, w);
            }
        }
        int block = r.nextInt(1, 600);
        TensorStats got = TensorComparison.compare(spec, new ByteArrayInputStream(a), new ByteArrayInputStream(b), "t", block);
        TensorStats want = reckon(t, n, a, b);
        String msg = t + " seed " + seed + " n " + n + " block " + block;
        assertEquals(want.elements(), got.elements(), msg);
        assertEquals(want.changed(), got.changed(), msg);
        assertEquals(want.nonFinite(), got.nonFinite(), msg);
        close(want.maxAbsDiff(), got.maxAbsDiff(), msg + " max|d|");
        close(want.l2Diff(), got.l2Diff(), msg + " l2");
        close(want.l2From(), got.l2From(), msg + " l2 from");
        close(want.l2To(), got.l2To(), msg + " l2 to");
        close(want.cosine(), got.cosine(), msg + " cosine");
    }

    @Test
    void edgeCases() throws IOException {
        TensorSpec f32 = TensorSpec.of(DType.F32, 4);
        byte[] zeros = new byte[16];
        TensorStats s = compare(f32, zeros, le32(0f, 0f, 0f, 0f));
        assertTrue(s.identical());
        assertTrue(Double.isNaN(s.cosine()), "all zero: no direction");
        assertTrue(Double.isNaN(s.relativeL2()));
        s = compare(f32, le32(1, 2, 3, 4), le32(1, -0f, 3, 5));
        assertEquals(2, s.changed());
        assertEquals(2.0, s.maxAbsDiff()); // 2 -> -0.0
        assertEquals(Math.sqrt(4 + 1), s.l2Diff(), 1e-15);
        s = compare(f32, le32(0f, 1, Float.NaN, 1), le32(-0f, 1, Float.intBitsToFloat(0x7fc00001), Float.POSITIVE_INFINITY));
        assertEquals(3, s.changed(), "-0.0 and another NaN payload are other bits");
        assertEquals(2, s.nonFinite());
        assertEquals(0.0, s.maxAbsDiff(), "the finite pair -0.0 / 0.0 differs by nothing");
        TensorSpec u64 = TensorSpec.of(DType.U64, 1);
        s = compare(u64, new byte[8], new byte[] {-1, -1, -1, -1, -1, -1, -1, -1});
        assertEquals(0x1p64, s.maxAbsDiff(), "unsigned: 2^64 - 1 as the nearest double");
        byte[] big = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0x8813e268c386bbc4L).array();
        assertEquals(new BigInteger("8813e268c386bbc4", 16).doubleValue(), compare(u64, new byte[8], big).maxAbsDiff(),
                "past 2^63 rounded once, to the nearest (twice, it was an ulp off: fuzzing)");
        TensorSpec f4 = TensorSpec.of(DType.F4, 4);
        assertEquals(-1, compare(f4, new byte[] {1, 2}, new byte[] {1, 3}).changed(), "sub-byte: only that bytes differ");
        assertEquals(0, compare(f4, new byte[] {1, 2}, new byte[] {1, 2}).changed());
        CorruptObjectException e = assertThrows(CorruptObjectException.class,
                () -> TensorComparison.compare(f32, new ByteArrayInputStream(zeros), new ByteArrayInputStream(new byte[10]), "m:w"));
        assertTrue(e.getMessage().startsWith("m:w: the to side ended after 10 of 16 bytes"), e.getMessage());
    }

    private static TensorStats compare(TensorSpec spec, byte[] a, byte[] b) throws IOException {
        return TensorComparison.compare(spec, new ByteArrayInputStream(a), new ByteArrayInputStream(b), "t");
    }

    private static byte[] le32(float... v) {
        ByteBuffer bb = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            bb.putFloat(f);
        }
        return bb.array();
    }

    private static void close(double want, double got, String msg) {
        if (Double.isNaN(want) || Double.isInfinite(want)) {
            assertEquals(want, got, msg);
        } else {
            assertEquals(want, got, Math.abs(want) * 1e-12, msg);
        }
    }

    /** Random elements: for the floats, values near 1, raw bit patterns and the special values. */
    private static void fill(DType t, byte[] out, SplittableRandom r) {
        ByteBuffer bb = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        if (!t.isByteAligned() || t.elementBytes() > 8 || !numeric(t) || t == DType.BOOL) {
            r.nextBytes(out);
            if (t == DType.BOOL) {
                for (int i = 0; i < out.length; i++) {
                    out[i] = (byte) (r.nextInt(4) == 0 ? r.nextInt(256) : r.nextInt(2)); // numpy writes 0/1; other bytes read as true
                }
            }
            return;
        }
        switch (t) {
            case F32 -> {
                while (bb.hasRemaining()) {
                    int k = r.nextInt(20);
                    bb.putFloat(k == 0 ? Float.intBitsToFloat(r.nextInt()) : k == 1 ? special32(r) : (float) (r.nextGaussian() * 0.05));
                }
            }
            case F64 -> {
                while (bb.hasRemaining()) {
                    int k = r.nextInt(20);
                    bb.putDouble(k == 0 ? r.nextGaussian() * 1e200 : k == 1 ? special32(r) : r.nextGaussian() * 0.05);
                }
            }
            default -> r.nextBytes(out); // integers, F16, BF16: any bit pattern
        }
    }

    private static float special32(SplittableRandom r) {
        float[] s = {0f, -0f, Float.NaN, Float.intBitsToFloat(0x7f800001), Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
            Float.MIN_VALUE, -Float.MIN_NORMAL / 2, Float.MAX_VALUE};
        return s[r.nextInt(s.length)];
    }

    private static boolean numeric(DType t) {
        return switch (t) {
            case BOOL, U8, U16, U32, U64, I8, I16, I32, I64, F16, BF16, F32, F64 -> true;
            case F8_E4M3, F8_E5M2, F8_E8M0, F8_E4M3FNUZ, F8_E5M2FNUZ -> true;
            default -> false;
        };
    }

    /**
     * An 8-bit float by its definition: e exponent bits of bias {@code bias}, m mantissa bits;
     * {@code ieee}: exponent all ones is infinity or NaN; {@code fnuz}: no infinities, 0x80 is NaN;
     * neither (OCP E4M3): only 0x7F and 0xFF are NaN.
     */
    private static double f8(int v, int e, int m, int bias, boolean ieee, boolean fnuz) {
        int sign = v >> 7;
        int exp = v >> m & (1 << e) - 1;
        int man = v & (1 << m) - 1;
        if (fnuz && v == 0x80 || !fnuz && !ieee && (v & 0x7F) == 0x7F || ieee && exp == (1 << e) - 1 && man != 0) {
            return Double.NaN;
        }
        if (ieee && exp == (1 << e) - 1) {
            return sign == 1 ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        }
        double mag = exp == 0 ? man / Math.pow(2, m) * Math.pow(2, 1 - bias) : (1 + man / Math.pow(2, m)) * Math.pow(2, exp - bias);
        return sign == 1 ? -mag : mag;
    }

    /** This test's own decoding of element i. */
    private static double value(DType t, ByteBuffer bb, int i) {
        return switch (t) {
            case BOOL -> bb.get(i) == 0 ? 0 : 1;
            case U8 -> Byte.toUnsignedInt(bb.get(i));
            case I8 -> bb.get(i);
            case U16 -> Short.toUnsignedInt(bb.getShort(2 * i));
            case I16 -> bb.getShort(2 * i);
            case U32 -> Integer.toUnsignedLong(bb.getInt(4 * i));
            case I32 -> bb.getInt(4 * i);
            case U64 -> new BigInteger(Long.toUnsignedString(bb.getLong(8 * i))).doubleValue();
            case I64 -> bb.getLong(8 * i);
            case F16 -> half(Short.toUnsignedInt(bb.getShort(2 * i)));
            case BF16 -> ByteBuffer.allocate(4).putShort(bb.getShort(2 * i)).putShort((short) 0).getFloat(0);
            case F32 -> bb.getFloat(4 * i);
            case F64 -> bb.getDouble(8 * i);
            case F8_E4M3 -> f8(Byte.toUnsignedInt(bb.get(i)), 4, 3, 7, false, false);
            case F8_E5M2 -> f8(Byte.toUnsignedInt(bb.get(i)), 5, 2, 15, true, false);
            case F8_E4M3FNUZ -> f8(Byte.toUnsignedInt(bb.get(i)), 4, 3, 8, false, true);
            case F8_E5M2FNUZ -> f8(Byte.toUnsignedInt(bb.get(i)), 5, 2, 16, false, true);
            case F8_E8M0 -> bb.get(i) == (byte) 0xFF ? Double.NaN : Math.pow(2, Byte.toUnsignedInt(bb.get(i)) - 127);
            default -> throw new AssertionError(t);
        };
    }

    /** binary16 by its definition: (-1)^s 2^(e-15) (1 + m/1024), subnormals 2^-14 m/1024. */
    private static double half(int h) {
        int s = h >> 15;
        int e = h >> 10 & 31;
        int m = h & 1023;
        double v = e == 0 ? Math.scalb(m / 1024.0, -14) : e == 31 ? (m == 0 ? Double.POSITIVE_INFINITY : Double.NaN)
                : Math.scalb(1 + m / 1024.0, e - 15);
        return s == 1 ? -v : v;
    }

    private static TensorStats reckon(DType t, long n, byte[] a, byte[] b) {
        boolean counted = t.isByteAligned();
        if (!counted) {
            return new TensorStats(n, Arrays.equals(a, b) ? 0 : -1, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        int w = t.elementBytes();
        ByteBuffer x = ByteBuffer.wrap(a).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer y = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        long changed = 0;
        long nonFinite = 0;
        double max = 0;
        double dd = 0;
        double aa = 0;
        double bb = 0;
        double ab = 0;
        for (int i = 0; i < n; i++) {
            boolean same = Arrays.equals(a, i * w, i * w + w, b, i * w, i * w + w);
            changed += same ? 0 : 1;
            if (!numeric(t)) {
                continue;
            }
            double p = value(t, x, i);
            double q = value(t, y, i);
            if (!Double.isFinite(p) || !Double.isFinite(q)) {
                nonFinite += same ? 0 : 1;
                continue;
            }
            max = Math.max(max, Math.abs(q - p));
            dd += (q - p) * (q - p);
            aa += p * p;
            bb += q * q;
            ab += p * q;
        }
        if (!numeric(t)) {
            return new TensorStats(n, changed, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        double na = Math.sqrt(aa);
        double nb = Math.sqrt(bb);
        double cos = na > 0 && nb > 0 ? Math.max(-1, Math.min(1, ab / (na * nb))) : Double.NaN;
        return new TensorStats(n, changed, nonFinite, max, Math.sqrt(dd), na, nb, cos);
    }
}
