package dev.coral.codec;

import dev.coral.error.CorruptObjectException;
import dev.coral.perf.jmh.Data;
import dev.coral.perf.jmh.Throughput;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link ContextHuffman} on the plane it codes in an XOR delta, one thread: plane 1 (the byte
 * below the top one) of the next training step of {@link Data}'s fp32 weights XOR the weights,
 * 1 M elements, each coded by the context of its base element (its exponent). BF16 as the top 2
 * bytes of the same weights would give the same plane and contexts (its plane 1 is the fp32's). {@code encode}
 * chooses the groups, counts and codes (as the encoder does when nothing counted ahead);
 * {@code encodeFromCounts} codes from counts made ahead (as the encoding thread of a training loop does);
 * {@code decode} is what every link of a chain read costs for this plane; {@code contexts}
 * derives the contexts from a base held as planes (as a chain read does before each decode).
 * In the codec's package: the class is not public.
 *
 * <p>Scores: the {@code :mb} line is MB/s of plane bytes (10^6 bytes, one per element); the
 * setup prints the coded size. A run with {@code -jvmArgs -XX:TieredStopAtLevel=1} measures the
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

    private byte[] plane;
    private byte[] basePlanes;
    private byte[] ctx;
    private byte[] encoded;
    private int encodedLength;
    private byte[] out;
    private final ContextHuffman.Scratch scratch = new ContextHuffman.Scratch();
    private final HuffmanCoder.State state = new HuffmanCoder.State();
    private final ContextCounts counts = new ContextCounts();

    @Setup(Level.Trial)
    public void setup() throws CorruptObjectException {
        float[][] w = Data.steps(ELEMENTS, 42);
        int width = 4;
        byte[] base = Data.fp32(w[0]);
        byte[] raw = Data.fp32(w[1]);
        byte[] planes = new byte[width * ELEMENTS];
        PlaneTransform.split(raw, 0, base, 0, ELEMENTS, width, PlaneTransform.XOR, planes, 0);
        plane = Arrays.copyOfRange(planes, ELEMENTS, 2 * ELEMENTS);
        basePlanes = new byte[width * ELEMENTS];
        PlaneTransform.split(base, 0, null, 0, ELEMENTS, width, PlaneTransform.NONE, basePlanes, 0);
        ctx = new byte[ELEMENTS];
        ContextHuffman.contextsOfRaw(base, 0, ELEMENTS, width, ctx);
        encoded = new byte[ELEMENTS];
        encodedLength = ContextHuffman.encode(plane, 0, ELEMENTS, ctx, encoded, 0, scratch, state);
        if (encodedLength < 0) {
            throw new IllegalStateException("the plane does not code smaller by context");
        }
        if (!counts.count(raw, 0, raw.length, width, ChunkBase.ofRaw(base, 0, base.length))
                || ContextHuffman.encode(ELEMENTS, counts, new byte[ELEMENTS], 0, scratch, state) != encodedLength) {
            throw new IllegalStateException("coding from counts made ahead differs");
        }
        out = new byte[ELEMENTS];
        ContextHuffman.decode(encoded, 0, encodedLength, out, 0, ELEMENTS, ctx, scratch, state);
        if (!Arrays.equals(plane, out)) {
            throw new IllegalStateException("round trip differs");
        }
        byte[] fromPlanes = new byte[ELEMENTS];
        ContextHuffman.contextsOfPlanes(basePlanes, ELEMENTS, fromPlanes);
        if (!Arrays.equals(ctx, fromPlanes)) {
            throw new IllegalStateException("contexts from planes differ from contexts from elements");
        }
        System.out.printf(Locale.ROOT, "%n# fp32 plane 1 of an XOR step: %d -> %d bytes (%.3f bits per element)%n", ELEMENTS,
                encodedLength, 8.0 * encodedLength / ELEMENTS);
    }

    @Benchmark
    public int encode(Throughput t) {
        int n = ContextHuffman.encode(plane, 0, ELEMENTS, ctx, encoded, 0, scratch, state);
        t.add(ELEMENTS);
        return n;
    }

    /** The encoding thread's part when the counts were made ahead ({@link ContextCounts}): the codes, then the streams. */
    @Benchmark
    public int encodeFromCounts(Throughput t) {
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
