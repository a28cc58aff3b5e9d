package dev.coral.cli;

import dev.coral.api.Tensors;
import dev.coral.format.ParsedWeightFile;
import dev.coral.format.TensorSource;
import dev.coral.format.WeightFileFormat;
import dev.coral.format.WeightFormats;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Predicate;

/**
 * The demo's model: a small transformer-shaped safetensors file with deterministic weights, and a
 * deterministic "training step" that rewrites some of its tensors.
 */
final class DemoModel {
    private DemoModel() {
    }

    /** Writes a ~2 MB model whose F32 weights come from {@code seed}. */
    static void write(Path file, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        List<TensorSource> tensors = new ArrayList<>();
        tensors.add(f32("embed.weight", random, 1024, 128));
        for (int layer = 0; layer < 2; layer++) {
            tensors.add(f32("layers." + layer + ".attn.weight", random, 128, 512));
            tensors.add(f32("layers." + layer + ".mlp.weight", random, 128, 512));
            tensors.add(f32("layers." + layer + ".norm.weight", random, 128));
        }
        ByteBuffer step = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1000);
        tensors.add(Tensors.of("step", TensorSpec.of(DType.I64), step));
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("generator", "coral demo");
        writeAtomically(file, tensors, metadata);
    }

    /**
     * One "training step": adds seeded noise to every F32 tensor whose name {@code touched}
     * accepts, keeps the others byte for byte. Returns how many tensors changed.
     */
    static int trainStep(Path file, long seed, Predicate<String> touched) throws IOException {
        WeightFileFormat st = WeightFormats.byName("safetensors").orElseThrow();
        SplittableRandom random = new SplittableRandom(seed);
        List<TensorSource> next = new ArrayList<>();
        Map<String, String> metadata;
        int changed = 0;
        try (ParsedWeightFile parsed = st.read(file)) {
            metadata = parsed.metadata();
            for (TensorSource t : parsed.tensors()) {
                byte[] bytes;
                try (InputStream in = t.openStream()) {
                    bytes = in.readAllBytes();
                }
                if (t.spec().dtype() == DType.F32 && touched.test(t.name())) {
                    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
                    for (int i = 0; i + 4 <= bytes.length; i += 4) {
                        b.putFloat(i, b.getFloat(i) - 0.001f * (float) random.nextGaussian());
                    }
                    changed++;
                }
                next.add(Tensors.of(t.name(), t.spec(), bytes));
            }
        }
        writeAtomically(file, next, metadata);
        return changed;
    }

    private static TensorSource f32(String name, SplittableRandom random, long... dims) {
        TensorSpec spec = TensorSpec.of(DType.F32, dims);
        ByteBuffer b = ByteBuffer.allocate((int) spec.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            b.putFloat((float) (random.nextGaussian() * 0.02));
        }
        b.flip();
        return Tensors.of(name, spec, b);
    }

    private static void writeAtomically(Path file, List<TensorSource> tensors, Map<String, String> metadata) throws IOException {
        WeightFileFormat st = WeightFormats.byName("safetensors").orElseThrow();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            st.write(tensors, metadata, out);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
