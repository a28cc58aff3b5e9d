package dev.coral.perf.jmh;

import com.github.luben.zstd.Zstd;
import dev.coral.codec.HuffmanCoder;
import dev.coral.error.CorruptObjectException;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link HuffmanCoder} against zstd level 1 on one 1 MiB byte plane of realistic weights (see
 * {@link Data}: fp32 w ~ N(0, 0.05)), one thread, one reused {@link HuffmanCoder.State}:
 * encode (histogram + code + streams), estimate (histogram + code) and decode.
 *
 * <p>Planes: EXP, the top byte of each fp32 (sign + 7 exponent bits, ~2.6 bits of entropy);
 * EXP_LOW, the byte below it (exponent LSB + 7 mantissa bits, ~7.9 bits: Huffman gives up and
 * encode returns -1, so encode measures the histogram and the give-up); INT8, the symmetric int8
 * quantisation (~6 bits).
 *
 * <p>Scores: the primary score is planes/s; the secondary {@code :mb} line is MB/s of plane bytes
 * (10^6 bytes). The setup prints each coder's ratio.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class HuffmanBenchmark {
    static final int PLANE = 1 << 20;

    @Param({"EXP", "EXP_LOW", "INT8"})
    public String plane;

    private byte[] raw;
    private byte[] enc;
    private int encLength;
    private byte[] zstd;
    private byte[] dst;
    private byte[] out;
    private HuffmanCoder.State st;

    @Setup(Level.Trial)
    public void setup() throws CorruptObjectException {
        float[] w = Data.steps(PLANE, 42)[0];
        raw = new byte[PLANE];
        switch (plane) {
            case "EXP", "EXP_LOW" -> {
                byte[] f = Data.fp32(w);
                int b = plane.equals("EXP") ? 3 : 2;
                for (int i = 0; i < PLANE; i++) {
                    raw[i] = f[4 * i + b];
                }
            }
            case "INT8" -> raw = Data.int8(w);
            default -> throw new IllegalArgumentException(plane);
        }
        st = new HuffmanCoder.State();
        dst = new byte[HuffmanCoder.maxEncodedLength(PLANE)];
        out = new byte[PLANE];
        encLength = HuffmanCoder.encode(raw, 0, PLANE, dst, 0, st);
        if (encLength >= 0) {
            enc = Arrays.copyOf(dst, encLength);
            HuffmanCoder.decode(enc, 0, encLength, out, 0, PLANE, st);
            if (!Arrays.equals(raw, out)) {
                throw new IllegalStateException("round trip differs");
            }
        }
        zstd = Zstd.compress(raw, 1);
        System.out.printf(Locale.ROOT, "%n# %s: %d bytes; huffman %s; zstd-1 %d (ratio %.3f)%n", plane, PLANE,
                encLength < 0 ? "-1 (not smaller)" : encLength + " (ratio " + String.format(Locale.ROOT, "%.3f",
                        (double) PLANE / encLength) + ")",
                zstd.length, (double) PLANE / zstd.length);
    }

    @Benchmark
    public int huffmanEncode(Throughput t) {
        int n = HuffmanCoder.encode(raw, 0, PLANE, dst, 0, st);
        t.add(PLANE);
        return n;
    }

    @Benchmark
    public long huffmanEstimate(Throughput t) {
        long n = HuffmanCoder.estimate(raw, 0, PLANE, st);
        t.add(PLANE);
        return n;
    }

    @Benchmark
    public byte[] huffmanDecode(Throughput t) throws CorruptObjectException {
        if (enc != null) {
            HuffmanCoder.decode(enc, 0, encLength, out, 0, PLANE, st);
            t.add(PLANE);
        }
        return out;
    }

    @Benchmark
    public byte[] zstd1Encode(Throughput t) {
        byte[] z = Zstd.compress(raw, 1);
        t.add(PLANE);
        return z;
    }

    @Benchmark
    public long zstd1Decode(Throughput t) {
        long n = Zstd.decompress(out, zstd);
        t.add(PLANE);
        return n;
    }
}
