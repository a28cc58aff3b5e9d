package dev.coral.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.coral.error.CorruptObjectException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link HuffmanCoder}: seeded property tests (round trip over lengths and distributions, exact
 * estimate, -1 only when not smaller, length limit, damaged encodings raise only
 * {@link CorruptObjectException}), hand-made malformed encodings, and a pinned encoding of the
 * on-disk format. Every failure message carries the seed.
 */
class HuffmanCoderTest {
    static final int[] LENGTHS = {0, 1, 2, 3, 7, 8, 1000, 4095, 4096, 65537, 1 << 20};

    /** Byte distributions. */
    enum Dist {
        UNIFORM, GEOMETRIC, TWO_SYMBOLS, ONE_SYMBOL, ALL_256_ONE_FREQUENT, FP32_EXPONENT, BF16_LOW,
        FIBONACCI, SPARSE_HIGH, QUARTERS_DIFFER, SMALL_ALPHABET, BF16_LOW_XOR
    }

    static byte[] generate(Dist d, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] b = new byte[n];
        switch (d) {
            case UNIFORM -> r.nextBytes(b);
            case GEOMETRIC -> {
                double p = 0.2 + 0.6 * r.nextDouble();
                int base = r.nextInt(256);
                for (int i = 0; i < n; i++) {
                    int k = 0;
                    while (r.nextDouble() > p && k < 255) {
                        k++;
                    }
                    b[i] = (byte) (base + k);
                }
            }
            case TWO_SYMBOLS -> {
                int x = r.nextInt(256);
                int y = (x + 1 + r.nextInt(255)) & 0xFF;
                double p = r.nextDouble();
                for (int i = 0; i < n; i++) {
                    b[i] = (byte) (r.nextDouble() < p ? x : y);
                }
            }
            case ONE_SYMBOL -> Arrays.fill(b, (byte) r.nextInt(256));
            case ALL_256_ONE_FREQUENT -> {
                int x = r.nextInt(256);
                for (int i = 0; i < n; i++) {
                    b[i] = (byte) (r.nextInt(100) < 97 ? x : r.nextInt(256));
                }
                for (int s = 0; s < Math.min(256, n); s++) {
                    b[r.nextInt(n)] = (byte) s; // every symbol present when n allows
                }
            }
            case FP32_EXPONENT -> {
                for (int i = 0; i < n; i++) {
                    b[i] = (byte) (Float.floatToRawIntBits((float) (r.nextGaussian() * 0.05)) >>> 24);
                }
            }
            case BF16_LOW -> {
                // the byte below the top one: exponent LSB + 7 mantissa bits, ~7.5 bits of entropy
                for (int i = 0; i < n; i++) {
                    b[i] = (byte) (Float.floatToRawIntBits((float) (r.nextGaussian() * 0.05)) >>> 16);
                }
            }
            case FIBONACCI -> {
                // counts 1, 1, 2, 3, 5, 8, ...: an unlimited Huffman code would be far deeper than 11
                int i = 0;
                long f0 = 1;
                long f1 = 1;
                for (int s = 0; i < n; s = (s + 1) % 40) {
                    long c = s == 0 ? 1 : f1;
                    for (long k = 0; k < c && i < n; k++) {
                        b[i++] = (byte) (s * 3);
                    }
                    long t = f0 + f1;
                    f0 = f1;
                    f1 = s == 39 ? 1 : t;
                    if (s == 39) {
                        f0 = 1;
                    }
                }
                shuffle(b, r);
            }
            case SPARSE_HIGH -> {
                int[] alphabet = {0, 17, 128, 200, 254, 255};
                for (int i = 0; i < n; i++) {
                    int k = Math.min(alphabet.length - 1, Long.numberOfTrailingZeros(r.nextLong() | (1L << 40)));
                    b[i] = (byte) alphabet[k];
                }
            }
            case QUARTERS_DIFFER -> {
                // each quarter (stream) a different distribution: streams of very different sizes
                for (int i = 0; i < n; i++) {
                    int q = (int) (4L * i / Math.max(n, 1));
                    b[i] = switch (q) {
                        case 0 -> (byte) 7;
                        case 1 -> (byte) (r.nextInt(4) == 0 ? r.nextInt(256) : 9);
                        case 2 -> (byte) r.nextInt(256);
                        default -> (byte) (40 + Long.numberOfTrailingZeros(r.nextLong() | (1L << 20)));
                    };
                }
            }
            case SMALL_ALPHABET -> {
                int k = 2 + r.nextInt(15);
                int[] alphabet = new int[k];
                for (int j = 0; j < k; j++) {
                    alphabet[j] = r.nextInt(256);
                }
                double skew = 1 + 3 * r.nextDouble();
                for (int i = 0; i < n; i++) {
                    b[i] = (byte) alphabet[(int) (k * Math.pow(r.nextDouble(), skew))];
                }
            }
            case BF16_LOW_XOR -> {
                // the low byte of a BF16 delta (XOR with the step before): mostly 0, a long tail of
                // rare values that a small sample misses
                for (int i = 0; i < n; i++) {
                    float x = (float) (r.nextGaussian() * 0.05);
                    double m = r.nextDouble();
                    double step = m < 0.9 ? 2e-3 : m < 0.99 ? 3e-2 : 1; // most weights move a little, a few a lot
                    float y = x * (float) (1 + step * r.nextGaussian());
                    b[i] = (byte) ((Float.floatToRawIntBits(x) ^ Float.floatToRawIntBits(y)) >>> 16);
                }
            }
            default -> throw new IllegalArgumentException(d.toString());
        }
        return b;
    }

    static void shuffle(byte[] b, SplittableRandom r) {
        for (int i = b.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            byte t = b[i];
            b[i] = b[j];
            b[j] = t;
        }
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        Random r = new Random(20261130);
        for (Dist d : Dist.values()) {
            for (int n : LENGTHS) {
                out.add(Arguments.of(d, n, r.nextLong()));
            }
        }
        return out.stream();
    }

    static Stream<Arguments> randomCases() {
        List<Arguments> out = new ArrayList<>();
        Random r = new Random(77);
        for (int i = 0; i < 60; i++) {
            Dist d = Dist.values()[r.nextInt(Dist.values().length)];
            int n = r.nextInt(4) == 0 ? r.nextInt(20) : r.nextInt(r.nextBoolean() ? 5000 : 200_000);
            out.add(Arguments.of(d, n, r.nextLong()));
        }
        return out.stream();
    }

    /** Encodes at an offset in a larger buffer; checks the bytes around are untouched. */
    static byte[] encode(byte[] raw, String what) {
        int n = raw.length;
        int at = 5;
        byte[] dst = new byte[at + HuffmanCoder.maxEncodedLength(n) + 5];
        Arrays.fill(dst, (byte) 0x5A);
        int len = HuffmanCoder.encode(raw, 0, n, dst, at);
        if (len < 0) {
            assertEquals(-1, len, what);
            for (byte x : dst) {
                assertEquals((byte) 0x5A, x, what + ": encode wrote although it returned -1");
            }
            return null;
        }
        assertTrue(len < n, what + ": encoded " + len + " not smaller than " + n);
        for (int i = 0; i < at; i++) {
            assertEquals((byte) 0x5A, dst[i], what + ": wrote before at");
        }
        for (int i = at + len; i < dst.length; i++) {
            assertEquals((byte) 0x5A, dst[i], what + ": wrote past the returned length at " + i);
        }
        return Arrays.copyOfRange(dst, at, at + len);
    }

    static double entropyBits(byte[] b) {
        int[] h = new int[256];
        for (byte x : b) {
            h[x & 0xFF]++;
        }
        double bits = 0;
        for (int c : h) {
            if (c > 0) {
                bits -= c * (Math.log((double) c / b.length) / Math.log(2));
            }
        }
        return bits;
    }

    @ParameterizedTest(name = "{0} n={1} seed={2}")
    @MethodSource({"cases", "randomCases"})
    void roundTripsExactly(Dist d, int n, long seed) throws Exception {
        String what = d + " n=" + n + " seed=" + seed;
        byte[] raw = generate(d, n, seed);
        byte[] enc = encode(raw, what);
        long est = HuffmanCoder.estimate(raw, 0, n);
        if (enc == null) {
            assertTrue(est >= n, what + ": encode returned -1 but estimate " + est + " < n");
            return;
        }
        assertEquals(enc.length, est, what + ": estimate differs from the encoded length");
        // same bytes again (deterministic), also with a reused state and an offset source
        HuffmanCoder.State st = new HuffmanCoder.State();
        byte[] shifted = new byte[n + 3];
        System.arraycopy(raw, 0, shifted, 3, n);
        byte[] again = new byte[HuffmanCoder.maxEncodedLength(n)];
        for (int rep = 0; rep < 2; rep++) {
            int len = HuffmanCoder.encode(shifted, 3, n, again, 0, st);
            assertArrayEquals(enc, Arrays.copyOf(again, len), what + ": not deterministic");
            assertEquals(len, HuffmanCoder.estimate(shifted, 3, n, st), what + ": estimate with state");
        }
        // decode exactly sized (reads outside would throw), and at offsets with guard bytes
        byte[] out = new byte[n];
        HuffmanCoder.decode(enc, 0, enc.length, out, 0, n);
        assertArrayEquals(raw, out, what + ": round trip");
        byte[] src2 = new byte[enc.length + 9];
        System.arraycopy(enc, 0, src2, 4, enc.length);
        byte[] out2 = new byte[n + 6];
        Arrays.fill(out2, (byte) 0x33);
        for (int rep = 0; rep < 2; rep++) {
            HuffmanCoder.decode(src2, 4, enc.length, out2, 3, n, st);
            assertArrayEquals(raw, Arrays.copyOfRange(out2, 3, 3 + n), what + ": round trip at offsets");
            for (int i : new int[] {0, 1, 2, n + 3, n + 4, n + 5}) {
                assertEquals((byte) 0x33, out2[i], what + ": decode wrote outside dst range at " + i);
            }
        }
        if (n <= 70_000) {
            assertArrayEquals(raw, specDecode(enc, n), what + ": the reference decoder of the documented format");
        }
        // code lengths: limited to 11, and the size near the entropy
        int[] lengths = HuffmanCoder.codeLengths(enc, 0, enc.length);
        if (lengths != null) {
            for (int l : lengths) {
                assertTrue(l >= 0 && l <= HuffmanCoder.MAX_CODE_LENGTH, what + ": code length " + l);
            }
            double h = entropyBits(raw) / 8;
            assertTrue(enc.length >= h, what + ": smaller than the entropy?");
            if (d != Dist.FIBONACCI && n >= 1000) {
                // Huffman redundancy < 1 bit/symbol (+ table and stream lengths)
                assertTrue(enc.length <= h + n / 8.0 + 160, what + ": " + enc.length + " bytes vs entropy " + h);
            }
        }
    }

    /**
     * A code built from a sample's counts: the true histogram of a stripe sample, another
     * distribution's (a sample that lies), or no counts at all. Any of them encodes the input
     * bit-exact; from a true sample the size is within 1% (+ the table) of the exact code.
     */
    @ParameterizedTest(name = "{0} n={1} seed={2}")
    @MethodSource({"cases", "randomCases"})
    void aCodeFromASamplesCountsRoundTrips(Dist d, int n, long seed) throws Exception {
        byte[] raw = generate(d, n, seed);
        SplittableRandom r = new SplittableRandom(seed ^ 0x5EED);
        HuffmanCoder.State st = new HuffmanCoder.State();
        int sampleN = Math.min(n, 32768); // as the encoder samples a BF16 chunk: 8 stripes, 32K elements
        int[] trueCounts = new int[256 + 7];
        for (int stripe = 0; stripe < 8 && n > 0; stripe++) {
            int from = (int) ((long) (n - sampleN / 8) * stripe / 7);
            for (int i = from; i < from + sampleN / 8; i++) {
                trueCounts[7 + (raw[i] & 0xFF)]++;
            }
        }
        int[] lyingCounts = new int[256];
        for (int s = 0; s < 256; s++) {
            lyingCounts[s] = r.nextInt(8) == 0 ? r.nextInt(1000) : 0;
        }
        int exact = n == 0 ? -1 : HuffmanCoder.encode(raw, 0, n, new byte[HuffmanCoder.maxEncodedLength(n)], 0, st);
        for (int variant = 0; variant < 3; variant++) {
            String what = d + " n=" + n + " seed=" + seed + (variant == 0 ? ", true sample" : variant == 1 ? ", lying sample" : ", no counts");
            int[] counts = variant == 0 ? trueCounts : variant == 1 ? lyingCounts : new int[256];
            int countsOff = variant == 0 ? 7 : 0;
            int at = 5;
            byte[] dst = new byte[at + HuffmanCoder.maxEncodedLength(n) + 4];
            Arrays.fill(dst, (byte) 0x5A);
            int len = HuffmanCoder.encodeWithCounts(raw, 0, n, counts, countsOff, Math.max(1, sampleN / 8 * 8), dst, at, st);
            for (int i = 0; i < at; i++) {
                assertEquals((byte) 0x5A, dst[i], what + ": wrote before at");
            }
            for (int i = at + HuffmanCoder.maxEncodedLength(n); i < dst.length; i++) {
                assertEquals((byte) 0x5A, dst[i], what + ": wrote past the room at " + i);
            }
            if (len < 0) {
                continue; // not smaller than n with this code: the caller stores the bytes raw
            }
            assertTrue(len < n, what + ": " + len + " bytes for " + n);
            byte[] out = new byte[n];
            HuffmanCoder.decode(dst, at, len, out, 0, n, st);
            assertArrayEquals(raw, out, what + ": round trip");
            if (variant == 0 && exact > 0 && n >= 65537 && d != Dist.QUARTERS_DIFFER) {
                assertTrue(len <= exact * 1.01 + 200, what + ": " + len + " bytes, exact code " + exact);
            }
        }
    }

    /**
     * A plane whose small sample lacks many of its symbols (the low byte of BF16 deltas): the
     * codes kept for them cost too much, so a sample eight times larger is counted and tried
     * before the whole plane. Its code round-trips and comes within 0.5% of the exact code.
     */
    @ParameterizedTest(name = "seed={0}")
    @ValueSource(longs = {4, 5, 6})
    void aSampleLackingManySymbolsTriesALargerOneBeforeTheWholePlane(long seed) throws Exception {
        int n = 2 << 20;
        byte[] raw = generate(Dist.BF16_LOW_XOR, n, seed);
        HuffmanCoder.State st = new HuffmanCoder.State();
        int sampleN = 32768; // as the encoder samples a 4 MiB BF16 chunk: 8 stripes
        int[] counts = new int[256];
        for (int stripe = 0; stripe < 8; stripe++) {
            int from = (int) ((long) (n - sampleN / 8) * stripe / 7);
            for (int i = from; i < from + sampleN / 8; i++) {
                counts[raw[i] & 0xFF]++;
            }
        }
        int[] full = new int[256];
        for (byte v : raw) {
            full[v & 0xFF]++;
        }
        int missed = 0;
        for (int v = 0; v < 256; v++) {
            missed += counts[v] == 0 && full[v] > 0 ? 1 : 0;
        }
        assertTrue(missed >= 30, "seed=" + seed + ": the sample lacks only " + missed + " symbols of the plane");
        int exact = HuffmanCoder.encode(raw, 0, n, new byte[HuffmanCoder.maxEncodedLength(n)], 0, st);
        byte[] dst = new byte[HuffmanCoder.maxEncodedLength(n)];
        int len = HuffmanCoder.encodeWithCounts(raw, 0, n, counts, 0, sampleN, dst, 0, st);
        assertTrue(len > 0 && len <= exact * 1.005, "seed=" + seed + ": " + len + " bytes, exact code " + exact);
        byte[] out = new byte[n];
        HuffmanCoder.decode(dst, 0, len, out, 0, n, st);
        assertArrayEquals(raw, out, "seed=" + seed);
    }

    /**
     * A symbol the sample gave no code, which had one in the plane coded before with the same
     * state: its pairs must read as having none (so the plane takes the exact path), not as the
     * codes the earlier plane's pair table left behind. Fails if the sampled path's pair table
     * is built over the used symbols without clearing the rest first (checked).
     */
    @ParameterizedTest(name = "seed={0}")
    @ValueSource(longs = {1, 2, 3, 4})
    void aSymbolTheSampleLacksIsNotCodedWithAnEarlierPlanesPairs(long seed) throws Exception {
        int n = 1 << 16;
        SplittableRandom r = new SplittableRandom(seed);
        byte[] before = new byte[n];
        for (int i = 0; i < n; i++) {
            before[i] = (byte) (r.nextInt(10) == 0 ? 100 : skewed(r));
        }
        HuffmanCoder.State st = new HuffmanCoder.State();
        assertTrue(HuffmanCoder.encode(before, 0, n, new byte[HuffmanCoder.maxEncodedLength(n)], 0, st) > 0);
        byte[] raw = new byte[n];
        int[] counts = new int[256];
        for (int i = 0; i < n; i++) {
            raw[i] = (byte) skewed(r);
            counts[raw[i]]++;
        }
        for (int k = 0; k < 40; k++) {
            raw[r.nextInt(n)] = 100; // far outside the sample's symbols and their margin
        }
        byte[] dst = new byte[HuffmanCoder.maxEncodedLength(n)];
        int len = HuffmanCoder.encodeWithCounts(raw, 0, n, counts, 0, n, dst, 0, st);
        assertTrue(len > 0, "seed=" + seed + ": " + len);
        byte[] out = new byte[n];
        HuffmanCoder.decode(dst, 0, len, out, 0, n, st);
        assertArrayEquals(raw, out, "seed=" + seed);
    }

    /** 0-7 with probabilities 1/2, 1/4, ...: codes of 1-7 bits, so the sample's code has room for the rare symbols it adds. */
    private static int skewed(SplittableRandom r) {
        return Math.min(7, Integer.numberOfTrailingZeros(r.nextInt() | 0x80));
    }

    /**
     * {@link HuffmanCoder#encodeExact} (a histogram of byte pairs, streams laid out in quarters)
     * writes the bytes {@link HuffmanCoder#encode} writes, for every length around the pair
     * stride and the four-stream threshold and for skewed, uniform, one-symbol and two-symbol
     * inputs.
     */
    @ParameterizedTest(name = "seed={0}")
    @ValueSource(longs = {1, 2, 3, 4})
    void theExactPathByPairsWritesWhatTheExactPathWrites(long seed) throws Exception {
        SplittableRandom r = new SplittableRandom(seed);
        HuffmanCoder.State st = new HuffmanCoder.State();
        for (int n : new int[] {0, 1, 2, 3, 255, 256, 1023, 1024, 1025, 4095, 4096, 4097, 65_535, 65_536, 300_001}) {
            for (int kind = 0; kind < 4; kind++) {
                byte[] raw = new byte[n + 3];
                for (int i = 0; i < raw.length; i++) {
                    raw[i] = (byte) switch (kind) {
                        case 0 -> skewed(r);
                        case 1 -> r.nextInt(256);
                        case 2 -> 42;
                        default -> r.nextInt(50) == 0 ? 7 : 200;
                    };
                }
                String what = "seed=" + seed + " n=" + n + " kind=" + kind;
                byte[] a = new byte[HuffmanCoder.maxEncodedLength(n) + 3];
                byte[] b = new byte[HuffmanCoder.maxEncodedLength(n) + 3];
                int la = HuffmanCoder.encode(raw, 3, n, a, 3, st);
                int lb = HuffmanCoder.encodeExact(raw, 3, n, b, 3, st);
                assertEquals(la, lb, what);
                if (la > 0) {
                    assertArrayEquals(Arrays.copyOfRange(a, 3, 3 + la), Arrays.copyOfRange(b, 3, 3 + lb), what);
                    byte[] out = new byte[n];
                    HuffmanCoder.decode(b, 3, lb, out, 0, n, st);
                    assertArrayEquals(Arrays.copyOfRange(raw, 3, 3 + n), out, what);
                }
            }
        }
    }

    /**
     * The sampled path writes each stream into a quarter of the room before moving them
     * together: a stream that outgrows its quarter (three quarters one symbol, the last random
     * bytes) sends the plane down the exact path, which gives the exact code's bytes.
     */
    @ParameterizedTest(name = "seed={0}")
    @ValueSource(longs = {1, 2, 3})
    void aStreamOutgrowingItsQuarterTakesTheExactPath(long seed) throws Exception {
        int n = 1 << 16;
        SplittableRandom r = new SplittableRandom(seed);
        byte[] raw = new byte[n];
        for (int i = 3 * n / 4; i < n; i++) {
            raw[i] = (byte) r.nextInt(256);
        }
        HuffmanCoder.State st = new HuffmanCoder.State();
        byte[] exactBytes = new byte[HuffmanCoder.maxEncodedLength(n)];
        int exact = HuffmanCoder.encode(raw, 0, n, exactBytes, 0, st);
        assertTrue(exact > 0 && exact > n / 4 + 3 * 16, "seed=" + seed + ": the plane compresses, its last stream does not: " + exact);
        int[] counts = new int[256];
        HuffmanCoder.estimate(raw, 0, n, st);
        HuffmanCoder.countsOfLastHistogram(st, counts, 0);
        byte[] dst = new byte[HuffmanCoder.maxEncodedLength(n)];
        int len = HuffmanCoder.encodeWithCounts(raw, 0, n, counts, 0, n, dst, 0, st);
        assertEquals(exact, len, "seed=" + seed);
        assertArrayEquals(Arrays.copyOf(exactBytes, exact), Arrays.copyOf(dst, len), "seed=" + seed);
        byte[] out = new byte[n];
        HuffmanCoder.decode(dst, 0, len, out, 0, n, st);
        assertArrayEquals(raw, out, "seed=" + seed);
    }

    @Test
    void expectedOutcomes() throws Exception {
        // uniform random bytes do not compress; a constant plane is two bytes
        assertEquals(-1, HuffmanCoder.encode(generate(Dist.UNIFORM, 1 << 20, 1), 0, 1 << 20, new byte[1 << 20], 0));
        byte[] c = new byte[1000];
        Arrays.fill(c, (byte) 0xAB);
        byte[] e = encode(c, "constant");
        assertArrayEquals(new byte[] {2, (byte) 0xAB}, e);
        assertNull(HuffmanCoder.codeLengths(e, 0, e.length));
        byte[] out = new byte[1000];
        HuffmanCoder.decode(e, 0, 2, out, 0, 1000);
        assertArrayEquals(c, out);
        // too short to gain: n <= 2 never encodes
        assertEquals(-1, HuffmanCoder.encode(new byte[] {1, 1}, 0, 2, new byte[1], 0));
        assertEquals(-1, HuffmanCoder.encode(new byte[0], 0, 0, new byte[0], 0));
        assertEquals(0, HuffmanCoder.estimate(new byte[0], 0, 0));
        assertEquals(2, HuffmanCoder.estimate(new byte[] {4, 4, 4}, 0, 3));
        assertEquals(2, HuffmanCoder.estimate(new byte[] {4, 4}, 0, 2));
        // two symbols: one bit each, kind 0 below 4096 and kind 1 from 4096 on
        for (int n : new int[] {4095, 4096}) {
            byte[] two = generate(Dist.TWO_SYMBOLS, n, 5);
            byte[] enc = encode(two, "two n=" + n);
            assertNotNull(enc);
            assertEquals(n < HuffmanCoder.MIN_4_STREAMS ? 0 : 1, enc[0]);
            int[] lengths = HuffmanCoder.codeLengths(enc, 0, enc.length);
            assertEquals(2, Arrays.stream(lengths).filter(l -> l == 1).count());
        }
        // fp32 exponents of N(0, 0.05): well under 4 bits per byte
        byte[] exp = generate(Dist.FP32_EXPONENT, 1 << 20, 9);
        byte[] enc = encode(exp, "fp32 exponents");
        assertTrue(enc.length < (1 << 20) * 3 / 8, "fp32 exponent plane: " + enc.length);
        // the length limit is enforced
        byte[] fib = encode(generate(Dist.FIBONACCI, 1 << 20, 3), "fibonacci");
        int[] lengths = HuffmanCoder.codeLengths(fib, 0, fib.length);
        assertEquals(HuffmanCoder.MAX_CODE_LENGTH, Arrays.stream(lengths).max().getAsInt());
    }

    /**
     * The code lengths cost what Huffman's algorithm (a priority queue, merging the two lightest)
     * costs wherever its tree is at most 11 deep, and never less elsewhere; every code is complete
     * (Kraft sum 1) and at most 11 bits. 2 to 256 symbols, flat, skewed and exponential weights.
     */
    @Test
    void codeLengthsCostWhatHuffmansAlgorithmCosts() {
        long seed = new Random().nextLong();
        Random r = new Random(seed);
        HuffmanCoder.State st = new HuffmanCoder.State();
        for (int t = 0; t < 400; t++) {
            int m = 2 + r.nextInt(255);
            long[] w = new long[256];
            Arrays.fill(st.hist, 0);
            List<Integer> symbols = new ArrayList<>();
            for (int s = 0; s < 256; s++) {
                symbols.add(s);
            }
            java.util.Collections.shuffle(symbols, r);
            int kind = r.nextInt(3);
            for (int k = 0; k < m; k++) {
                int s = symbols.get(k);
                w[s] = switch (kind) {
                    case 0 -> 1 + r.nextInt(4);
                    case 1 -> 1 + r.nextInt(1_000_000);
                    default -> 1L << r.nextInt(20);
                };
                st.hist[s] = (int) w[s];
            }
            String what = "seed " + seed + ", case " + t + ", " + m + " symbols, kind " + kind;
            assertEquals(m, HuffmanCoder.buildLengths(st, 1), what);
            long cost = 0;
            double kraft = 0;
            int longest = 0;
            for (int s = 0; s < 256; s++) {
                if (w[s] > 0) {
                    int l = st.lengths[s];
                    assertTrue(l >= 1 && l <= HuffmanCoder.MAX_CODE_LENGTH, what + ": length " + l);
                    cost += w[s] * l;
                    kraft += Math.pow(2, -l);
                    longest = Math.max(longest, l);
                } else {
                    assertEquals(0, st.lengths[s], what + ": a code for an absent symbol");
                }
            }
            assertEquals(1.0, kraft, 1e-12, what + ": incomplete code");
            long[] ref = huffmanCostAndDepth(w);
            if (ref[1] <= HuffmanCoder.MAX_CODE_LENGTH) {
                assertEquals(ref[0], cost, what + ": not Huffman's cost");
            } else {
                assertTrue(cost >= ref[0], what + ": cheaper than Huffman");
            }
        }
    }

    /** Huffman's algorithm on the nonzero weights: {cost in bits, depth of the tree}. */
    private static long[] huffmanCostAndDepth(long[] w) {
        java.util.PriorityQueue<long[]> q = new java.util.PriorityQueue<>((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
        for (long x : w) {
            if (x > 0) {
                q.add(new long[] {x, 0});
            }
        }
        long cost = 0;
        while (q.size() > 1) {
            long[] a = q.poll();
            long[] b = q.poll();
            cost += a[0] + b[0];
            q.add(new long[] {a[0] + b[0], Math.max(a[1], b[1]) + 1});
        }
        return new long[] {cost, q.peek()[1]};
    }

    /**
     * With more skew than 11 bits allow, the code is still optimal among codes of at most 11
     * bits: compared with an exhaustive search over length assignments (13 to 15 symbols).
     */
    @Test
    void lengthLimitedCodeIsOptimal() throws Exception {
        Random r = new Random(1234);
        for (int t = 0; t < 12; t++) {
            int m = 13 + r.nextInt(3);
            // w[k] >= w[0] + ... + w[k - 2]: the plain Huffman tree is a chain m - 1 deep
            long[] w = new long[m];
            long sum = 0;
            for (int k = 0; k < m; k++) {
                w[k] = k < 2 ? 1 + r.nextInt(3) : sum + r.nextInt(3);
                if (k >= 1) {
                    sum += w[k - 1];
                }
            }
            int n = (int) Arrays.stream(w).sum();
            byte[] raw = new byte[n];
            int i = 0;
            for (int k = 0; k < m; k++) {
                for (long c = 0; c < w[k]; c++) {
                    raw[i++] = (byte) (k * 7 + 1);
                }
            }
            shuffle(raw, new SplittableRandom(t));
            byte[] enc = encode(raw, "optimality t=" + t);
            int[] lengths = HuffmanCoder.codeLengths(enc, 0, enc.length);
            long bits = 0;
            for (int k = 0; k < m; k++) {
                bits += w[k] * lengths[k * 7 + 1];
            }
            long[] desc = w.clone();
            Arrays.sort(desc);
            for (int k = 0; k < m / 2; k++) {
                long x = desc[k];
                desc[k] = desc[m - 1 - k];
                desc[m - 1 - k] = x;
            }
            long best = bestLimited(desc, 0, 1, 2048, 0, Long.MAX_VALUE);
            assertEquals(best, bits, "t=" + t + " weights " + Arrays.toString(w) + " lengths " + Arrays.toString(lengths));
        }
    }

    /** Cheapest cost of giving desc[i..] non-decreasing lengths >= l (<= 11) filling capacity exactly. */
    private static long bestLimited(long[] desc, int i, int l, int capacity, long cost, long best) {
        int left = desc.length - i;
        if (left == 0) {
            return capacity == 0 ? Math.min(best, cost) : best;
        }
        if (cost >= best) {
            return best;
        }
        for (int len = l; len <= 11; len++) {
            int unit = 1 << (11 - len);
            if ((long) unit * left < capacity) {
                break; // too long already: the rest cannot fill the capacity
            }
            if (unit > capacity || left > capacity) {
                continue;
            }
            best = bestLimited(desc, i + 1, len, capacity - unit, cost + desc[i] * len, best);
        }
        return best;
    }

    @Test
    void argumentsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> HuffmanCoder.maxEncodedLength(-1));
        assertThrows(IllegalArgumentException.class, () -> HuffmanCoder.maxEncodedLength(HuffmanCoder.MAX_N + 1));
        assertEquals(0, HuffmanCoder.maxEncodedLength(0));
        assertEquals(99, HuffmanCoder.maxEncodedLength(100));
        assertThrows(IndexOutOfBoundsException.class, () -> HuffmanCoder.encode(new byte[10], 5, 6, new byte[10], 0));
        assertThrows(IndexOutOfBoundsException.class, () -> HuffmanCoder.encode(new byte[10], 0, 10, new byte[8], 0));
        assertThrows(IndexOutOfBoundsException.class, () -> HuffmanCoder.decode(new byte[10], 0, 11, new byte[10], 0, 10));
        assertThrows(IndexOutOfBoundsException.class, () -> HuffmanCoder.decode(new byte[10], 0, 10, new byte[10], 1, 10));
    }

    // ---------------------------------------------------------------- damage

    /**
     * Decodes damaged input: CorruptObjectException or a clean result of n bytes; nothing else.
     * The same bytes embedded between random bytes must give the same outcome (reads stay inside).
     */
    static void decodeDamaged(byte[] src, int n, String what) {
        String exact = outcome(src, 0, src.length, n, what);
        Random r = new Random(src.length * 31L + n);
        byte[] embedded = new byte[src.length + 14];
        r.nextBytes(embedded);
        System.arraycopy(src, 0, embedded, 7, src.length);
        assertEquals(exact, outcome(embedded, 7, src.length, n, what), what + ": depends on bytes outside the range");
    }

    private static String outcome(byte[] src, int off, int len, int n, String what) {
        byte[] out = new byte[n];
        try {
            HuffmanCoder.decode(src, off, len, out, 0, n);
            return "ok " + Arrays.hashCode(out);
        } catch (CorruptObjectException expected) {
            assertNotNull(expected.getMessage(), what);
            assertTrue(expected.getMessage().startsWith("Huffman: "), what + ": " + expected.getMessage());
            return expected.getMessage();
        } catch (RuntimeException | Error e) {
            fail(what + ": " + e + " instead of CorruptObjectException", e);
            return null;
        }
    }

    static Stream<Arguments> damageCases() {
        List<Arguments> out = new ArrayList<>();
        Random r = new Random(4242);
        Dist[] ds = {Dist.GEOMETRIC, Dist.TWO_SYMBOLS, Dist.ALL_256_ONE_FREQUENT, Dist.FP32_EXPONENT, Dist.FIBONACCI,
            Dist.SPARSE_HIGH, Dist.QUARTERS_DIFFER, Dist.SMALL_ALPHABET, Dist.ONE_SYMBOL};
        for (Dist d : ds) {
            for (int n : new int[] {3, 40, 1000, 5000, 70000}) {
                out.add(Arguments.of(d, n, r.nextLong()));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} n={1} seed={2}")
    @MethodSource("damageCases")
    void damageRaisesOnlyCorruptObjectException(Dist d, int n, long seed) throws Exception {
        byte[] raw = generate(d, n, seed);
        byte[] enc = encode(raw, d + " n=" + n + " seed=" + seed);
        if (enc == null) {
            return;
        }
        Random r = new Random(seed);
        int tries = enc.length <= 300 ? 300 : 150;
        for (int t = 0; t < tries; t++) {
            String what = d + " n=" + n + " seed=" + seed + " try=" + t;
            // flipped bits: mostly early (table, stream lengths), some anywhere
            byte[] f = enc.clone();
            int flips = 1 + r.nextInt(3);
            for (int k = 0; k < flips; k++) {
                int at = r.nextBoolean() ? r.nextInt(Math.min(f.length, 40)) : r.nextInt(f.length);
                f[at] ^= (byte) (1 << r.nextInt(8));
            }
            decodeDamaged(f, n, what + " flipped");
            // truncated, appended
            decodeDamaged(Arrays.copyOf(enc, r.nextInt(enc.length)), n, what + " truncated");
            byte[] longer = Arrays.copyOf(enc, enc.length + 1 + r.nextInt(9));
            if (r.nextBoolean()) {
                for (int i = enc.length; i < longer.length; i++) {
                    longer[i] = (byte) r.nextInt(256);
                }
            }
            expectCorrupt(longer, n, what + " appended");
            // wrong n
            int wrongN = Math.max(1, n + (r.nextBoolean() ? 1 : -1) * (1 + r.nextInt(Math.max(1, n / 3))));
            if (wrongN != n && enc[0] != HuffmanCoder.KIND_SINGLE_SYMBOL) {
                expectCorrupt(enc, wrongN, what + " n=" + wrongN);
            }
        }
        // every single-byte truncation of a small encoding is detected
        if (enc[0] != HuffmanCoder.KIND_SINGLE_SYMBOL) {
            for (int len = 0; len < enc.length; len++) {
                expectCorrupt(Arrays.copyOf(enc, len), n, d + " n=" + n + " seed=" + seed + " truncated to " + len);
            }
        }
    }

    static void expectCorrupt(byte[] src, int n, String what) {
        CorruptObjectException e = assertThrows(CorruptObjectException.class,
                () -> HuffmanCoder.decode(src, 0, src.length, new byte[n], 0, n), what);
        assertTrue(e.getMessage().startsWith("Huffman: "), what + ": " + e.getMessage());
    }

    /** The radix sort of (count << 8 | symbol) keys gives Arrays.sort's order, for any counts and any symbol set. */
    @ParameterizedTest(name = "seed={0}")
    @MethodSource("sortSeeds")
    void sortKeysOrdersAsArraysSortDoes(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        HuffmanCoder.State st = new HuffmanCoder.State();
        for (int t = 0; t < 200; t++) {
            int kind = r.nextInt(5);
            long maxCount = switch (kind) {
                case 0 -> 2; // ties everywhere
                case 1 -> 256;
                case 2 -> 1L << 16;
                case 3 -> 1L << 31;
                default -> 1L << 55; // every count byte in play
            };
            long[] keys = new long[256];
            int n = 0;
            for (int sym = 0; sym < 256; sym++) {
                if (r.nextInt(4) != 0 || t % 50 == 0) {
                    keys[n++] = (1 + r.nextLong(maxCount)) << 8 | sym;
                }
            }
            if (t % 7 == 0) {
                n = Math.min(n, r.nextInt(3)); // 0, 1 or 2 symbols
            }
            long[] expected = Arrays.copyOf(keys, n);
            Arrays.sort(expected);
            long[] got = keys.clone();
            HuffmanCoder.sortKeys(got, n, st);
            assertArrayEquals(expected, Arrays.copyOf(got, n), "seed=" + seed + " try=" + t + " n=" + n + " maxCount=" + maxCount);
        }
    }

    static Stream<Long> sortSeeds() {
        return Stream.of(1L, 2L, 3L, 0x5eedL, System.nanoTime());
    }

    @Test
    void garbageRaisesOnlyCorruptObjectException() {
        Random r = new Random(99);
        for (int t = 0; t < 20_000; t++) {
            int len = r.nextInt(t < 10_000 ? 40 : 400);
            byte[] g = new byte[len];
            r.nextBytes(g);
            if (len > 0 && r.nextBoolean()) {
                g[0] = (byte) r.nextInt(3);
            }
            if (len > 1 && r.nextBoolean()) {
                g[1] = (byte) r.nextInt(256);
            }
            int n = 1 + r.nextInt(r.nextBoolean() ? 50 : 9000);
            decodeDamaged(g, n, "garbage try=" + t + " len=" + len + " n=" + n);
        }
    }

    @Test
    void malformedEncodingsAreRejectedWithAReason() throws Exception {
        // a valid base: symbols 1 (length 1), 3 and 4 (length 2), lastSym 4: table nibbles
        // 0,1,0,2,2 (+ pad) = 10 20 02. Canonical codes 1 -> 0, 3 -> 10, 4 -> 11, stored
        // bit-reversed LSB first: "1 3 4 1" = 0 | 01 << 1 | 11 << 3 | 0 << 5, marker 1 << 6
        byte[] valid = {0, 4, 0x10, 0x20, 0x02, (byte) (0b011010 | 1 << 6)};
        byte[] out = new byte[4];
        HuffmanCoder.decode(valid, 0, valid.length, out, 0, 4);
        assertArrayEquals(new byte[] {1, 3, 4, 1}, out);

        assertCorrupt(new byte[] {}, 4, "too short");
        assertCorrupt(new byte[] {0}, 4, "too short");
        assertCorrupt(new byte[] {3, 0, 0}, 4, "unknown encoding kind 3");
        assertCorrupt(new byte[] {(byte) 0xFF, 0, 0}, 4, "unknown encoding kind 255");
        assertCorrupt(new byte[] {2, 7, 0}, 4, "single-symbol encoding must be 2 bytes");
        assertCorrupt(valid, 0, "empty plane");
        assertCorrupt(new byte[] {0, 4}, 4, "truncated code-length table");
        assertCorrupt(new byte[] {0, 4, 0x10, 0x20}, 4, "truncated code-length table");
        assertCorrupt(new byte[] {0, 4, 0x10, 0x20, (byte) 0xF2, valid[5]}, 4, "non-zero pad nibble");
        assertCorrupt(new byte[] {0, 4, 0x10, 0x20, 0x00, valid[5]}, 4, "last symbol 4 of the code-length table is unused");
        assertCorrupt(new byte[] {0, 4, 0x10, 0x20, 0x03, valid[5]}, 4, "Kraft sum 1792/2048"); // 1, 2, 3
        assertCorrupt(new byte[] {0, 4, 0x10, 0x10, 0x02, valid[5]}, 4, "Kraft sum 2560/2048"); // 1, 1, 2
        assertCorrupt(new byte[] {0, 4, 0x1D, 0x20, 0x02, valid[5]}, 4, "invalid code-length table nibble 13");
        assertCorrupt(new byte[] {0, 0, 0x01, 0x00}, 4, "Kraft sum 1024/2048"); // one symbol, length 1
        assertCorrupt(new byte[] {0, 2, (byte) 0xFC, 0x00, 0x11}, 4, "passes the last symbol"); // run of 17 > 3
        // stream problems
        assertCorrupt(Arrays.copyOf(valid, 7), 4, "1 unused bytes at its end");
        byte[] padding = valid.clone();
        padding[5] |= (byte) 0x80;
        assertCorrupt(padding, 4, "bad end marker");
        byte[] noMarker = valid.clone();
        noMarker[5] &= 0x3F;
        assertCorrupt(noMarker, 4, "bad end marker");
        assertCorrupt(valid, 5, "no end marker"); // a 5th symbol (3 = bits 1 0) eats the marker
        assertCorrupt(valid, 6, "runs out of bits");
        assertCorrupt(valid, 3, "bad end marker");
        assertCorrupt(new byte[] {0, 4, 0x10, 0x20, 0x02, 0b011010, 0}, 4, "1 unused bytes");
        assertCorrupt(new byte[] {0, 4, 0x10, 0x20, 0x02}, 1, "runs out of bits");
        // four streams: only from MIN_4_STREAMS on; lengths must fit
        byte[] four = Arrays.copyOf(new byte[] {1, 4, 0x10, 0x20, 0x02}, 5 + 12 + 4);
        assertCorrupt(four, 100, "4-stream encoding for only 100 bytes");
        assertCorrupt(Arrays.copyOf(four, 10), 8192, "truncated stream lengths");
        byte[] big = four.clone();
        big[5 + 4] = 5; // stream 1 length 5 > 4 bytes of stream data
        assertCorrupt(big, 8192, "exceed the 4 bytes of stream data");
        big[5 + 4] = 0;
        big[5 + 11] = (byte) 0x80; // stream 2 length 2^31
        assertCorrupt(big, 8192, "exceed");
    }

    private static void assertCorrupt(byte[] src, int n, String message) {
        CorruptObjectException e = assertThrows(CorruptObjectException.class,
                () -> HuffmanCoder.decode(src, 0, src.length, new byte[n], 0, n), message);
        assertTrue(e.getMessage().contains(message), "expected '" + message + "' in: " + e.getMessage());
    }

    // ---------------------------------------------------------------- format

    /**
     * A slow decoder written from the class javadoc only (bit by bit, canonical codes matched
     * MSB first), so the documented layout and the implementation cannot drift apart. Valid
     * input only.
     */
    static byte[] specDecode(byte[] e, int n) {
        byte[] out = new byte[n];
        int kind = e[0] & 0xFF;
        if (kind == 2) {
            assertEquals(2, e.length);
            Arrays.fill(out, e[1]);
            return out;
        }
        int lastSym = e[1] & 0xFF;
        int[] len = new int[256];
        int nib = 0;
        int s = 0;
        while (s <= lastSym) {
            int v = specNibble(e, nib++);
            if (v <= 11) {
                len[s++] = v;
            } else {
                assertEquals(12, v);
                s += (specNibble(e, nib) | specNibble(e, nib + 1) << 4) + 2;
                nib += 2;
            }
        }
        assertEquals(lastSym + 1, s);
        int pos = 2 + (nib + 1) / 2;
        int[] code = new int[256];
        int c = 0;
        for (int l = 1; l <= 11; l++) {
            for (int x = 0; x < 256; x++) {
                if (len[x] == l) {
                    code[x] = c++;
                }
            }
            c <<= 1;
        }
        int streams = kind == 0 ? 1 : 4;
        int[] starts = new int[5];
        int[] counts = new int[4];
        if (kind == 0) {
            starts[0] = pos;
            starts[1] = e.length;
            counts[0] = n;
        } else {
            assertEquals(1, kind);
            int seg = (n + 3) / 4;
            starts[0] = pos + 12;
            for (int k = 0; k < 3; k++) {
                int l = (e[pos + 4 * k] & 0xFF) | (e[pos + 4 * k + 1] & 0xFF) << 8 | (e[pos + 4 * k + 2] & 0xFF) << 16
                        | (e[pos + 4 * k + 3] & 0xFF) << 24;
                starts[k + 1] = starts[k] + l;
                counts[k] = seg;
            }
            starts[4] = e.length;
            counts[3] = n - 3 * seg;
        }
        int o = 0;
        for (int k = 0; k < streams; k++) {
            long bit = 8L * starts[k];
            for (int i = 0; i < counts[k]; i++) {
                int acc = 0;
                int l = 0;
                int sym = -1;
                while (sym < 0) {
                    acc = acc << 1 | specBit(e, bit++);
                    l++;
                    assertTrue(l <= 11);
                    for (int x = 0; x < 256; x++) {
                        if (len[x] == l && code[x] == acc) {
                            sym = x;
                        }
                    }
                }
                out[o++] = (byte) sym;
            }
            assertEquals(1, specBit(e, bit++), "end marker");
            while (bit % 8 != 0) {
                assertEquals(0, specBit(e, bit++), "marker padding");
            }
            assertEquals(starts[k + 1], bit / 8, "stream " + k + " length");
        }
        return out;
    }

    private static int specNibble(byte[] e, int k) {
        return (e[2 + k / 2] >> (k % 2 * 4)) & 15;
    }

    private static int specBit(byte[] e, long i) {
        return (e[(int) (i / 8)] >> (int) (i % 8)) & 1;
    }

    /** The on-disk format must not change by accident: a pinned encoding. */
    @Test
    void formatIsPinned() throws Exception {
        byte[] raw = "abracadabra, abracadabra! hocus pocus.".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] enc = encode(raw, "pinned");
        assertEquals(PINNED, HexFormat.of().formatHex(enc));
        byte[] out = new byte[raw.length];
        HuffmanCoder.decode(enc, 0, enc.length, out, 0, raw.length);
        assertArrayEquals(raw, out);
        // and the 4-stream layout: stream lengths then the streams
        byte[] big = new byte[8192];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i % 3 == 0 ? 'x' : i % 5 == 0 ? 'y' : 'z');
        }
        byte[] e4 = encode(big, "pinned 4 streams");
        assertEquals(PINNED_4, HexFormat.of().formatHex(e4, 0, 40));
        assertEquals(PINNED_4_LENGTH, e4.length);
    }

    static final String PINNED = "0075ec41c50805c53042531c504c40054340a41197343b48232e6956bcd274fcd2f409";
    static final String PINNED_4 = "017a6c271278010000780100007801000091a345e46811395a448e1691a345e46811395a448e1691";
    static final int PINNED_4_LENGTH = 1521;
}
