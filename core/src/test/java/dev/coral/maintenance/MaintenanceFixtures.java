package dev.coral.maintenance;

import dev.coral.api.Tensors;
import dev.coral.format.TensorSource;
import dev.coral.format.WeightFormats;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Weight files, folder copies and listings for the fsck and gc tests. */
final class MaintenanceFixtures {
    private MaintenanceFixtures() {
    }

    /** A safetensors file of F32 tensors {@code layer0.weight ...}, {@code floats} random values each (seeded). */
    static Path writeModel(Path file, long seed, int tensors, int floats) throws IOException {
        Random r = new Random(seed);
        List<TensorSource> ts = new ArrayList<>();
        for (int i = 0; i < tensors; i++) {
            byte[] b = new byte[floats * 4];
            for (int k = 0; k < floats; k++) {
                int bits = Float.floatToIntBits((float) r.nextGaussian());
                b[4 * k] = (byte) bits;
                b[4 * k + 1] = (byte) (bits >>> 8);
                b[4 * k + 2] = (byte) (bits >>> 16);
                b[4 * k + 3] = (byte) (bits >>> 24);
            }
            ts.add(Tensors.of("layer" + i + ".weight", TensorSpec.of(DType.F32, floats), b));
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (OutputStream out = Files.newOutputStream(file)) {
            WeightFormats.byName("safetensors").orElseThrow().write(ts, Map.of(), out);
        }
        return file;
    }

    /** Model {@code seed} with every value nudged a little: its chunks delta well against the original. */
    static Path writeNudgedModel(Path file, long seed, int tensors, int floats) throws IOException {
        writeModel(file, seed, tensors, floats);
        byte[] b = Files.readAllBytes(file);
        long headerLen = (b[0] & 0xFFL) | (b[1] & 0xFFL) << 8 | (b[2] & 0xFFL) << 16 | (b[3] & 0xFFL) << 24;
        for (int i = (int) (8 + headerLen); i < b.length; i += 4) {
            b[i] ^= 1; // lowest mantissa bit
        }
        Files.write(file, b);
        return file;
    }

    static String sha256(Path f) throws IOException {
        return HexFormat.of().formatHex(dev.coral.repo.FileIngest.FileStat.sha256(f));
    }

    /** Every file under {@code .coral} (but its locks) with size and modification time. */
    static String listing(Path root) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (var s = Files.walk(root.resolve(".coral"))) {
            for (Path p : s.sorted().toList()) {
                if (Files.isRegularFile(p) && !p.toString().contains("/locks/")) {
                    sb.append(root.relativize(p)).append(' ').append(Files.size(p)).append(' ')
                            .append(Files.getLastModifiedTime(p).toMillis()).append('\n');
                }
            }
        }
        return sb.toString();
    }

    static List<Path> files(Path dir, String suffix) throws IOException {
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
        }
    }
}
