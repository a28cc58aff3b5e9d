package dev.coral.codec;

import dev.coral.perf.jmh.Data;
import dev.coral.perf.jmh.Throughput;
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
 * What the base-prefetch thread does for the next chunk of a training step besides reading its
 * base ({@link ContextCounts}, {@link XorPlanesAhead}), one thread, a 4 MiB chunk of
 * {@link Data}'s weights (fp32, or BF16 with {@code width} 2) and the step before as its base: {@code countThenSplit} counts the
 * context-coded plane and then splits the XOR delta, two passes over the chunk and base;
 * {@code countAndSplit} does both in one pass. In the codec's package: the classes' methods
 * are not public. Scores: the {@code :mb} line is MB/s of chunk bytes.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class ContextCountsBenchmark {
    static final int ELEMENTS = 1 << 20;

    @Param({"4", "2"})
    public int width;

    private byte[] raw;
    private ChunkBase base;
    private final ContextCounts counts = new ContextCounts();
    private final XorPlanesAhead planes = new XorPlanesAhead();

    @Setup(Level.Trial)
    public void setup() {
        float[][] w = Data.steps(4 * ELEMENTS / width, 42);
        byte[] b = width == 4 ? Data.fp32(w[0]) : Data.bf16(w[0]);
        raw = width == 4 ? Data.fp32(w[1]) : Data.bf16(w[1]);
        base = ChunkBase.ofRaw(b, 0, b.length);
    }

    @Benchmark
    public boolean countThenSplit(Throughput t) {
        boolean done = counts.count(raw, 0, raw.length, width, base);
        PlaneTransform.split(raw, 0, base.raw(), 0, raw.length / width, width, PlaneTransform.XOR, planes.buffer(raw.length), 0);
        planes.hold(raw.length / width, width);
        t.add(raw.length);
        return done;
    }

    @Benchmark
    public boolean countAndSplit(Throughput t) {
        boolean done = counts.countAndSplit(raw, 0, raw.length, width, base, planes);
        t.add(raw.length);
        return done;
    }
}
