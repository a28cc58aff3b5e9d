package dev.coral.codec;

import dev.coral.perf.jmh.Data;
import dev.coral.perf.jmh.Throughput;
import java.util.Arrays;
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
 * {@link PlaneTransform} on 4 MiB of elements, one thread: {@code split} (elements, combined
 * with a base by the operation, into byte planes: every encode) and {@code merge} (planes back
 * into elements: every decode; without a base, the end of every chain read in plane space),
 * and {@code xorInto} (a delta's plane XOR'ed into the planes accumulated along a chain). In
 * the codec's package: the class is not public. The bytes are the next training step of
 * {@link Data}'s fp32 weights and the weights as the base (the loops do not branch on them).
 *
 * <p>Scores: the {@code :mb} line is MB/s of element bytes (10^6 bytes). A run with
 * {@code -jvmArgs -XX:TieredStopAtLevel=1} measures the loops as the launcher's checkout runs
 * them (C1 alone).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class PlaneTransformBenchmark {
    static final int BYTES = 4 << 20;

    /** Element width in bytes: 2 (BF16, F16), 4 (fp32), 8 (fp64, int64). */
    @Param({"2", "4", "8"})
    public int width;

    /** How the base combines: NONE (a keyframe), XOR, SUB (integer difference). */
    @Param({"NONE", "XOR", "SUB"})
    public String op;

    private int n;
    private int code;
    private byte[] raw;
    private byte[] base;
    private byte[] planes;
    private byte[][] planeArrays;
    private int[] planeOffsets;
    private byte[] out;

    @Setup(Level.Trial)
    public void setup() {
        float[][] w = Data.steps(BYTES / 4, 42);
        raw = Data.fp32(w[1]);
        base = Data.fp32(w[0]);
        n = BYTES / width;
        code = switch (op) {
            case "NONE" -> PlaneTransform.NONE;
            case "XOR" -> PlaneTransform.XOR;
            case "SUB" -> PlaneTransform.SUB;
            default -> throw new IllegalArgumentException(op);
        };
        planes = new byte[BYTES];
        planeArrays = new byte[width][];
        planeOffsets = new int[width];
        for (int k = 0; k < width; k++) {
            planeArrays[k] = planes;
            planeOffsets[k] = k * n;
        }
        out = new byte[BYTES];
        PlaneTransform.split(raw, 0, base, 0, n, width, code, planes, 0);
        PlaneTransform.merge(planeArrays, planeOffsets, base, 0, n, width, code, out, 0);
        if (!Arrays.equals(raw, out)) {
            throw new IllegalStateException("split then merge differs");
        }
    }

    @Benchmark
    public byte[] split(Throughput t) {
        PlaneTransform.split(raw, 0, base, 0, n, width, code, planes, 0);
        t.add(BYTES);
        return planes;
    }

    @Benchmark
    public byte[] merge(Throughput t) {
        PlaneTransform.merge(planeArrays, planeOffsets, base, 0, n, width, code, out, 0);
        t.add(BYTES);
        return out;
    }

    /** The same work for every width and op: compare it across runs, not across parameters. */
    @Benchmark
    public byte[] xorInto(Throughput t) {
        PlaneTransform.xorInto(raw, 0, out, 0, BYTES);
        t.add(BYTES);
        return out;
    }
}
