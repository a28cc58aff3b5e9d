package dev.coral.perf.jmh;

import dev.coral.store.ObjectId;
import java.security.MessageDigest;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
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
 * The hashes Coral runs over every chunk, on 4 MiB of fp32 weights: SHA-256 (object ids, through
 * {@link ObjectId#sha256()}, the JDK's MessageDigest) and CRC32C (framed chunk payload checksums,
 * {@link CRC32C}). Primary score: chunks/s; secondary {@code :mb}: MB/s (10^6 bytes).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
@State(Scope.Thread)
public class HashBenchmark {
    static final int CHUNK = 4 << 20;

    private byte[] data;
    private MessageDigest sha256;
    private final CRC32C crc = new CRC32C();

    @Setup(Level.Trial)
    public void setup() {
        data = Data.fp32(Data.steps(CHUNK / 4, 7)[0]);
        sha256 = ObjectId.sha256();
    }

    @Benchmark
    public byte[] sha256(Throughput t) {
        sha256.reset();
        sha256.update(data, 0, data.length);
        t.add(data.length);
        return sha256.digest();
    }

    @Benchmark
    public long crc32c(Throughput t) {
        crc.reset();
        crc.update(data, 0, data.length);
        t.add(data.length);
        return crc.getValue();
    }
}
