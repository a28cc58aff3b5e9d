package dev.coral.perf.jmh;

import dev.coral.api.Tensors;
import dev.coral.format.ParsedWeightFile;
import dev.coral.format.TensorSource;
import dev.coral.format.WeightFileFormat;
import dev.coral.format.WeightFormats;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * Weight-file writer and reader speed on a ~16.8 MB in-memory model (7 fp32 [512, 1024] weights
 * with their [1024] biases and one BF16 [1024, 1024] head; values as in {@link Data}):
 * {@code write} writes the whole file to a temporary file (page cache, no fsync);
 * {@code read} parses and validates that file and streams every tensor's bytes. Primary score:
 * files/s; secondary {@code :mb}: MB/s of tensor bytes (10^6 bytes).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
@State(Scope.Thread)
public class FormatBenchmark {
    @Param({"safetensors"})
    public String format;

    private WeightFileFormat fmt;
    private List<TensorSource> tensors;
    private long tensorBytes;
    private Path dir;
    private Path written;
    private Path toRead;
    private final byte[] buf = new byte[1 << 20];

    @Setup(Level.Trial)
    public void setup() throws IOException {
        fmt = WeightFormats.byName(format).orElseThrow();
        tensors = new ArrayList<>();
        float[][] w = Data.steps(512 * 1024, 11);
        for (int l = 0; l < 7; l++) {
            tensors.add(Tensors.of("layers." + l + ".weight", TensorSpec.of(DType.F32, 512, 1024), Data.fp32(w[l % 2])));
            float[] b = new float[1024];
            System.arraycopy(w[1 - l % 2], l * 1024, b, 0, 1024);
            tensors.add(Tensors.of("layers." + l + ".bias", TensorSpec.of(DType.F32, 1024), Data.fp32(b)));
        }
        float[] head = Data.steps(1024 * 1024, 12)[0];
        tensors.add(Tensors.of("lm_head.weight", TensorSpec.of(DType.BF16, 1024, 1024), Data.bf16(head)));
        tensorBytes = tensors.stream().mapToLong(t -> t.spec().byteSize()).sum();
        dir = Files.createTempDirectory("coral-jmh-format");
        written = dir.resolve("written." + fmt.extensions().get(0));
        toRead = dir.resolve("model." + fmt.extensions().get(0));
        writeTo(toRead);
        if (read(toRead) != tensorBytes) {
            throw new IllegalStateException("read back a different byte count");
        }
        System.out.printf("%n# %s: %d tensors, %d tensor bytes, file %d bytes%n", format, tensors.size(), tensorBytes,
                Files.size(toRead));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        Files.deleteIfExists(written);
        Files.deleteIfExists(toRead);
        Files.deleteIfExists(dir);
    }

    private void writeTo(Path file) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            fmt.write(tensors, Map.of(), out);
        }
    }

    private long read(Path file) throws IOException {
        long n = 0;
        try (ParsedWeightFile f = fmt.read(file)) {
            for (TensorSource t : f.tensors()) {
                try (InputStream in = t.openStream()) {
                    for (int k; (k = in.read(buf)) > 0; ) {
                        n += k;
                    }
                }
            }
        }
        return n;
    }

    @Benchmark
    public void write(Throughput t) throws IOException {
        writeTo(written);
        t.add(tensorBytes);
    }

    @Benchmark
    public long read(Throughput t) throws IOException {
        long n = read(toRead);
        t.add(n);
        return n;
    }
}
