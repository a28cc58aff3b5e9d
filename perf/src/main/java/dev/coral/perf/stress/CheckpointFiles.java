package dev.coral.perf.stress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Writes the checkpoints of the throughput and command-line scenarios as safetensors files, one per
 * Adam step ({@code DIR/step-000.safetensors}, ...: the same MLP, seeds and steps as those
 * scenarios), for timing commands by hand, e.g. commits through {@code ./coral} with a daemon:
 * {@code for f in DIR/step-*; do cp $f model.safetensors; time ./coral commit -q -m s model.safetensors; done}.
 *
 * <p>Run: {@code java -cp core/target/classes:perf/target/classes:DEPS
 * dev.coral.perf.stress.CheckpointFiles DIR [STEPS [small|default|large]]} (defaults 32 steps of the
 * default scale's 84 MB model). DIR must not exist.
 */
public final class CheckpointFiles {
    private CheckpointFiles() {
    }

    public static void main(String[] args) throws IOException {
        ProbeArgs a = ProbeArgs.of(args, "CheckpointFiles DIR [STEPS [small|default|large]]");
        int steps = a.intAt(1, 32);
        Scale scale = Scale.of(args.length > 2 ? args[2] : "default");
        Path dir = Files.createDirectories(a.dir());
        Mlp net = new Mlp(ThroughputScenario.dims(scale), 11);
        SplittableRandom data = new SplittableRandom(99);
        for (int step = 0; step < steps; step++) {
            net.adamStep(data, 2, 1e-3f);
            Path file = dir.resolve(String.format(Locale.ROOT, "step-%03d.safetensors", step));
            Files.write(file, ThroughputScenario.safetensors(net));
            System.out.println(file + " " + Files.size(file) + " bytes");
        }
    }
}
