package dev.coral.perf.stress;

import dev.coral.api.CommitRequest;
import dev.coral.api.Repository;
import dev.coral.api.Tensors;
import dev.coral.format.TensorSource;
import dev.coral.repo.RepositoryConfig;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Commits of a model of many equal tensors, each step through a handle of its own, as a
 * command-line commit makes them: no decision of the codec chooser is remembered from the step
 * before, so every chunk of every step chooses its codec afresh (in a warm JVM, so that the JIT
 * does not weigh in). Each step moves every weight by about 1e-3, as an Adam step does. Prints the
 * median and mean commit of the second half of the steps, the median by the step's place in a
 * run of the chain layout (the first of each run a skip link), and the bytes stored.
 *
 * <p>Run: {@code java -cp core/target/classes:perf/target/classes:DEPS
 * dev.coral.perf.stress.FreshHandleCommits DIR [STEPS [TENSORS [ELEMENTS [fp32|bf16]]]]} (defaults 40
 * steps of 200 tensors of 16,384 fp32 elements, 64 KiB each). DIR must not exist.
 */
public final class FreshHandleCommits {
    private FreshHandleCommits() {
    }

    public static void main(String[] args) throws IOException {
        ProbeArgs a = ProbeArgs.of(args, "FreshHandleCommits DIR [STEPS [TENSORS [ELEMENTS [fp32|bf16]]]]");
        Path dir = a.dir();
        int steps = a.intAt(1, 40);
        int tensors = a.intAt(2, 200);
        int elements = a.intAt(3, 16_384);
        DType dtype = a.dtypeAt(4);
        SplittableRandom r = new SplittableRandom(5);
        float[][] weights = new float[tensors][elements];
        for (float[] t : weights) {
            for (int i = 0; i < elements; i++) {
                t[i] = (float) (r.nextGaussian() * 0.05);
            }
        }
        Repository.init(dir).close();
        List<Double> ms = new ArrayList<>();
        Map<Integer, List<Double>> byPlace = new TreeMap<>();
        long raw = 0;
        for (int s = 0; s < steps; s++) {
            List<TensorSource> step = new ArrayList<>();
            for (int k = 0; k < tensors; k++) {
                float[] t = weights[k];
                for (int i = 0; i < elements; i++) {
                    t[i] -= (float) (1e-3 * (r.nextBoolean() ? 1 : -1) * (0.5 + r.nextDouble()));
                }
                byte[] b = dtype == DType.BF16 ? Mlp.bf16(t) : Mlp.fp32(t);
                raw += b.length;
                step.add(Tensors.of("layer" + k, TensorSpec.of(dtype, new long[] {elements}), b));
            }
            long t0 = System.nanoTime();
            try (Repository repo = Repository.open(dir)) {
                repo.commitTensors("model.safetensors", step, Map.of(), CommitRequest.of("step " + s));
            }
            if (System.getenv("FRESH_EACH") != null) {
                System.out.printf(Locale.ROOT, "step %d: %.1f ms%n", s, (System.nanoTime() - t0) / 1e6);
            }
            if (s >= steps / 2) {
                double took = (System.nanoTime() - t0) / 1e6;
                ms.add(took);
                byPlace.computeIfAbsent(s % RepositoryConfig.DEFAULT_DELTA_RUN, k -> new ArrayList<>()).add(took);
            }
        }
        double mean = ms.stream().mapToDouble(Double::doubleValue).average().orElse(0);
        Collections.sort(ms);
        long stored;
        try (Repository repo = Repository.open(dir)) {
            stored = repo.stats(false, false).storedBytes();
        }
        System.out.printf(Locale.ROOT, "%d tensors of %d %s elements, %d steps, each committed through a fresh handle: median %.1f ms "
                        + "(min %.1f, max %.1f) over steps %d..%d; %.1f MB stored of %.1f MB (%.2fx)%n", tensors, elements, dtype.name(), steps,
                ms.get(ms.size() / 2), ms.get(0), ms.get(ms.size() - 1), steps / 2, steps - 1, stored / 1e6, raw / 1e6, (double) raw / stored);
        StringBuilder places = new StringBuilder();
        byPlace.forEach((place, times) -> {
            Collections.sort(times);
            places.append(String.format(Locale.ROOT, " %d: %.1f", place, times.get(times.size() / 2)));
        });
        System.out.printf(Locale.ROOT, "mean %.1f ms; median by place in a run of %d (0 is the skip link):%s%n",
                mean, RepositoryConfig.DEFAULT_DELTA_RUN, places);
    }
}
