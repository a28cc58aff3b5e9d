package dev.coral.perf.jmh;

import dev.coral.codec.ChunkCodec;
import dev.coral.codec.ChunkCodec.EncodedChunk;
import dev.coral.codec.ChunkDecoder;
import dev.coral.codec.ChunkEncoder;
import dev.coral.codec.CodecWorkspace;
import dev.coral.error.CorruptObjectException;
import dev.coral.perf.codec.ZipNnBaseline;
import dev.coral.repo.RepositoryConfig;
import dev.coral.tensor.DType;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Chunk codec speed on one 4 MiB chunk of realistic weights (see {@link Data}): the next
 * training step w1 encoded alone (PLANES), against the previous step w0 (XOR_PLANES), or with the
 * codec the store would pick ({@code encodeBest}, SAMPLED, base w0); and decoding that payload.
 * zstd level {@value RepositoryConfig#DEFAULT_ZSTD_LEVEL} (the repository default), one thread,
 * one reused {@link CodecWorkspace}. Encoded into the workspace's buffer, as a commit encodes
 * (until 2026-12-02 each encode here also copied the payload into a fresh array, which commits do
 * not: 12-17% of the encode's time, profiled).
 *
 * <p>Scores: the primary score is chunks/s; the secondary {@code :mb} line is MB/s of raw chunk
 * bytes (10^6 bytes; chunks/s x 4.194304). The setup prints each payload's ratio.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class CodecBenchmark {
    static final int CHUNK = 4 << 20;

    /** The chunk's dtype: F32, BF16 (top 2 bytes of fp32) or I8 (quantised). */
    @Param({"F32", "BF16", "I8"})
    public String dtype;

    /** PLANES (no base), XOR_PLANES (base: previous step) or BEST_SAMPLED (encodeBest, SAMPLED, base given). */
    @Param({"PLANES", "XOR_PLANES", "BEST_SAMPLED"})
    public String codec;

    private byte[] raw;
    private byte[] base;
    private int width;
    private int level;
    private ChunkCodec named;
    private EncodedChunk encoded;
    private byte[] dst;
    private CodecWorkspace ws;

    @Setup(Level.Trial)
    public void setup() throws CorruptObjectException {
        DType t = DType.valueOf(dtype);
        width = ChunkEncoder.planeWidth(t);
        level = RepositoryConfig.DEFAULT_ZSTD_LEVEL;
        float[][] w = Data.steps(CHUNK / t.swapUnitBytes(), 42);
        switch (t) {
            case F32 -> {
                base = Data.fp32(w[0]);
                raw = Data.fp32(w[1]);
            }
            case BF16 -> {
                base = Data.bf16(w[0]);
                raw = Data.bf16(w[1]);
            }
            case I8 -> {
                base = Data.int8(w[0]);
                raw = Data.int8(w[1]);
            }
            default -> throw new IllegalArgumentException(dtype);
        }
        named = codec.equals("BEST_SAMPLED") ? null : ChunkCodec.valueOf(codec);
        ws = new CodecWorkspace();
        EncodedChunk inWorkspace = encodeOnce();
        encoded = new EncodedChunk(inWorkspace.codec(), Arrays.copyOf(inWorkspace.data(), inWorkspace.length()), inWorkspace.length());
        dst = new byte[CHUNK];
        ChunkDecoder.decode(encoded.data(), 0, encoded.length(), base, 0, dst, 0, CHUNK, width, ws);
        if (!Arrays.equals(raw, dst)) {
            throw new IllegalStateException("round trip differs");
        }
        System.out.printf(Locale.ROOT, "%n# %s %s: payload %s, %d -> %d bytes, ratio %.3f; ZipNN's method on the same chunk alone %.3f%n",
                dtype, codec, encoded.codec(), CHUNK, encoded.length(), (double) CHUNK / encoded.length(),
                (double) CHUNK / ZipNnBaseline.size(raw, 0, CHUNK, t.swapUnitBytes()));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        ws.close();
    }

    /** Into the workspace's buffer, as a commit encodes (it writes the payload out at once: no copy of it). */
    private EncodedChunk encodeOnce() {
        return named == null
                ? ChunkEncoder.encodeBestInWorkspace(raw, 0, CHUNK, width, base, 0, level, ChunkEncoder.Choice.SAMPLED, ws)
                : ChunkEncoder.encodeInWorkspace(named, raw, 0, CHUNK, width, base, 0, level, ws);
    }

    @Benchmark
    public EncodedChunk encode(Throughput t) {
        EncodedChunk e = encodeOnce();
        t.add(CHUNK);
        return e;
    }

    @Benchmark
    public byte[] decode(Throughput t) throws CorruptObjectException {
        ChunkDecoder.decode(encoded.data(), 0, encoded.length(), base, 0, dst, 0, CHUNK, width, ws);
        t.add(CHUNK);
        return dst;
    }
}
