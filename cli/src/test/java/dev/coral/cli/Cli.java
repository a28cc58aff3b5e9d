package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coral.api.Tensors;
import dev.coral.format.TensorSource;
import dev.coral.format.WeightFormats;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Runs {@link Main#run} in a folder with captured output; builds weight files for tests. */
final class Cli {
    private final Path dir;

    Cli(Path dir) {
        this.dir = dir;
    }

    /** What one run printed and returned. */
    record Result(int code, String out, String err, byte[] outBytes) {
        Result ok() {
            assertEquals(0, code, () -> "exit code; stderr: " + err + "\nstdout: " + out);
            return this;
        }

        List<String> errLines() {
            return err.isEmpty() ? List.of() : List.of(err.split("\n"));
        }
    }

    Result run(String... args) {
        String[] full = new String[args.length + 2];
        full[0] = "-C";
        full[1] = dir.toString();
        System.arraycopy(args, 0, full, 2, args.length);
        return runRaw(full);
    }

    static Result runRaw(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), args);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), out.toByteArray());
    }

    /** A safetensors model with F32 tensors from {@code seed}. */
    static void writeModel(Path file, long seed, String... names) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        List<TensorSource> tensors = new ArrayList<>();
        for (String n : names) {
            tensors.add(f32(n, r, 64, 32));
        }
        write(file, "safetensors", tensors);
    }

    static TensorSource f32(String name, SplittableRandom r, long... dims) {
        TensorSpec spec = TensorSpec.of(DType.F32, dims);
        ByteBuffer b = ByteBuffer.allocate((int) spec.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            b.putFloat((float) r.nextGaussian());
        }
        b.flip();
        return Tensors.of(name, spec, b);
    }

    static void write(Path file, String format, List<TensorSource> tensors) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (OutputStream out = Files.newOutputStream(file)) {
            WeightFormats.byName(format).orElseThrow().write(tensors, Map.of(), out);
        }
    }
}
