package dev.coral.perf.stress;

import java.util.Locale;

/**
 * How big a run is. {@code tiny} checks that every scenario runs (the perf module's own test,
 * part of {@code mvn verify}; its figures mean little), {@code small} is a ~2 minute smoke run,
 * {@code default} the suite that should finish in under ~15 minutes on 2 cores, {@code large}
 * adds the 4 GiB tensor and 100k tiny tensors.
 *
 * @param trainSteps commits of the training history
 * @param mlpIn input width of the trained network
 * @param mlpHidden width of its two hidden layers
 * @param dedupModelBytes bytes of each model of the dedup scenario
 * @param tinyTensors number of tiny tensors in the per-tensor overhead test
 * @param largeTensorBytes bytes of the one large tensor
 * @param commitsPerWriter commits of each thread or process in the concurrency scenario
 * @param memoryCommits consecutive commits of the memory stability scenario
 * @param crashTrials child JVMs killed by the crash loop
 */
public record Scale(String name, int trainSteps, int mlpIn, int mlpHidden, long dedupModelBytes, int tinyTensors,
                    long largeTensorBytes, int commitsPerWriter, int memoryCommits, int crashTrials) {

    public static Scale of(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "tiny" -> new Scale("tiny", 24, 16, 64, 256L << 10, 500, 16L << 20, 2, 40, 1);
            case "small" -> new Scale("small", 200, 32, 256, 2L << 20, 10_000, 256L << 20, 6, 200, 6);
            case "default" -> new Scale("default", 1000, 64, 512, 8L << 20, 10_000, 1L << 30, 20, 1000, 15);
            case "large" -> new Scale("large", 2000, 64, 1024, 32L << 20, 100_000, 4L << 30, 40, 2000, 40);
            default -> throw new IllegalArgumentException("--scale " + name + ": expected tiny, small, default or large");
        };
    }

    /** This scale with another number of crash-loop trials ({@code --crash-trials}). */
    public Scale withCrashTrials(int n) {
        return new Scale(name, trainSteps, mlpIn, mlpHidden, dedupModelBytes, tinyTensors, largeTensorBytes, commitsPerWriter,
                memoryCommits, n);
    }
}
