package dev.coral.codec;

import dev.coral.error.CorruptObjectException;
import dev.coral.perf.jmh.Data;
import dev.coral.perf.jmh.Throughput;
import dev.coral.perf.stress.AdamBf16Steps;
import java.io.IOException;
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
 * {@link ContextHuffman} on the plane it codes in a delta, one thread, 1 M elements, each coded by
 * the context of its base element (its exponent). {@code plane}: {@code fp32-xor}, plane 1 (the
 * byte below the top one) of the next training step of {@link Data}'s synthetic fp32 weights XOR
 * the weights (2.0 bits an element); {@code bf16-zigzag}, plane 1 (the low byte) of the zigzag
 * difference of two real BF16 Adam steps ({@link AdamBf16Steps}: 4.5 bits an element), the plane
 * a BF16 history's every link decodes, and whose decoder is most of a link's time. {@code encode}
 * chooses the groups, counts and codes (as the encoder does when nothing counted ahead);
 * {@code encodeFromCounts} codes from counts made ahead (as the encoding thread of a training loop does);
 * {@code decode} is what every link of a chain read costs for this plane; {@code contexts}
 * derives the contexts from a base held as planes (as a chain read does before each decode).
 * In the codec's package: the class is not public.
 *
 * <p>Scores: the {@code :mb} line is MB/s of plane bytes (10^6 bytes, one per element); the
 * setup prints the coded size. {@code encodeFromCounts} runs on {@code fp32-xor} only. A run with {@code -jvmArgs -XX:TieredStopAtLevel=1} measures the
 * decode as the launcher's checkout runs it (C1 alone).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class ContextHuffmanBenchmark {
    static final int ELEMENTS = 1 << 20;

    @Param({"fp32-xor", "bf16-zigzag"})
    public String plane;

    private byte[] planeBytes;
    private byte[] basePlanes;
    private byte[] ctx;
    private byte[] encoded;
    private int encodedLength;
    private byte[] out;
    private final ContextHuffman.Scratch scratch = new ContextHuffman.Scratch();
    private final HuffmanCoder.State state = new HuffmanCoder.State();
    private final ContextCounts counts = new ContextCounts();

    @Setup(Level.Trial)
    public void setup() throws CorruptObjectException, IOException {
        byte[] base;
        byte[] raw;
        int width;
        int op;
        if (plane.equals("bf16-zigzag")) {
            byte[][] steps = AdamBf16Steps.consecutive(2, ELEMENTS);
            base = steps[0];
            raw = steps[1];
            width = 2;
            op = PlaneTransform.ZIGZAG;
        } else {
            float[][] w = Data.steps(ELEMENTS, 42);
            base = Data.fp32(w[0]);
            raw = Data.fp32(w[1]);
            width = 4;
            op = PlaneTransform.XOR;
        }
        byte[] planes = new byte[width * ELEMENTS];
        PlaneTransform.split(raw, 0, base, 0, ELEMENTS, width, op, planes, 0);
        planeBytes = Arrays.copyOfRange(planes, ELEMENTS, 2 * ELEMENTS);
        basePlanes = new byte[width * ELEMENTS];
        PlaneTransform.split(base, 0, null, 0, ELEMENTS, width, PlaneTransform.NONE, basePlanes, 0);
        ctx = new byte[ELEMENTS];
        ContextHuffman.contextsOfRaw(base, 0, ELEMENTS, width, ctx);
        encoded = new byte[ELEMENTS];
        encodedLength = ContextHuffman.encode(planeBytes, 0, ELEMENTS, ctx, encoded, 0, scratch, state);
        if (encodedLength < 0) {
            throw new IllegalStateException("the plane does not code smaller by context");
        }
        if (op == PlaneTransform.XOR && (!counts.count(raw, 0, raw.length, width, ChunkBase.ofRaw(base, 0, base.length))
                || ContextHuffman.encode(ELEMENTS, counts, new byte[ELEMENTS], 0, scratch, state) != encodedLength)) {
            throw new IllegalStateException("coding from counts made ahead differs");
        }
        out = new byte[ELEMENTS];
        ContextHuffman.decode(encoded, 0, encodedLength, out, 0, ELEMENTS, ctx, scratch, state);
        if (!Arrays.equals(planeBytes, out)) {
            throw new IllegalStateException("round trip differs");
        }
        byte[] fromPlanes = new byte[ELEMENTS];
        ContextHuffman.contextsOfPlanes(basePlanes, ELEMENTS, fromPlanes);
        if (!Arrays.equals(ctx, fromPlanes)) {
            throw new IllegalStateException("contexts from planes differ from contexts from elements");
        }
        System.out.printf(Locale.ROOT, "%n# %s: plane 1 %d -> %d bytes (%.3f bits per element)%n", plane, ELEMENTS, encodedLength,
                8.0 * encodedLength / ELEMENTS);
    }

    @Benchmark
    public int encode(Throughput t) {
        int n = ContextHuffman.encode(planeBytes, 0, ELEMENTS, ctx, encoded, 0, scratch, state);
        t.add(ELEMENTS);
        return n;
    }

    /**
     * The encoding thread's part when the counts were made ahead ({@link ContextCounts}): the codes,
     * then the streams. {@code fp32-xor} only: counts are made ahead for XOR planes alone.
     */
    @Benchmark
    public int encodeFromCounts(Throughput t) {
        if (!plane.equals("fp32-xor")) {
            throw new UnsupportedOperationException("encodeFromCounts: counts are made ahead for XOR planes only (-p plane=fp32-xor)");
        }
        int n = ContextHuffman.encode(ELEMENTS, counts, encoded, 0, scratch, state);
        t.add(ELEMENTS);
        return n;
    }

    @Benchmark
    public byte[] decode(Throughput t) throws CorruptObjectException {
        ContextHuffman.decode(encoded, 0, encodedLength, out, 0, ELEMENTS, ctx, scratch, state);
        t.add(ELEMENTS);
        return out;
    }

    @Benchmark
    public byte[] contexts(Throughput t) {
        ContextHuffman.contextsOfPlanes(basePlanes, ELEMENTS, ctx);
        t.add(ELEMENTS);
        return ctx;
    }
}
