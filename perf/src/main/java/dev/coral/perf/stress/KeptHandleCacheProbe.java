package dev.coral.perf.stress;

import dev.coral.api.CommitRequest;
import dev.coral.api.Repository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * How much of the newest version a long-lived handle leaves in the chunk cache when it closes: a
 * training loop (or the daemon) keeps its newest chunks in memory, up to an eighth of the heap,
 * and writes them to {@code .coral/cache/chunks} when it closes; a chunk the memory did not take
 * is written at its commit (before 2026-12-06: neither then nor at the close). Commits each checkpoint file of CHECKPOINTS
 * (as {@link CheckpointFiles} writes them), in name order, through one handle into a new
 * repository DIR, printing each commit's time; closes; prints the cache's size beside the last
 * checkpoint's. Run with a small heap to see a model larger than that budget: {@code java
 * -Xmx400m -cp ... dev.coral.perf.stress.KeptHandleCacheProbe CHECKPOINTS DIR}.
 */
public final class KeptHandleCacheProbe {
    private KeptHandleCacheProbe() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2 || Files.exists(Path.of(args[1]))) {
            System.err.println("usage: KeptHandleCacheProbe CHECKPOINTS DIR (DIR must not exist)");
            System.exit(2);
        }
        List<Path> checkpoints;
        try (Stream<Path> s = Files.list(Path.of(args[0]))) {
            checkpoints = s.filter(Files::isRegularFile).sorted().toList();
        }
        Path root = Files.createDirectories(Path.of(args[1]));
        Path file = root.resolve("model.safetensors");
        long fileBytes = 0;
        try (Repository repo = Repository.init(root)) {
            for (Path checkpoint : checkpoints) {
                Files.copy(checkpoint, file, StandardCopyOption.REPLACE_EXISTING);
                fileBytes = Files.size(file);
                long t0 = System.nanoTime();
                repo.commit(CommitRequest.of(checkpoint.getFileName().toString()), List.of(file));
                System.out.printf(Locale.ROOT, "commit %s: %.0f ms%n", checkpoint.getFileName(), (System.nanoTime() - t0) / 1e6);
            }
        }
        long cached = Files2.sizeOf(root.resolve(".coral/cache/chunks"));
        System.out.printf(Locale.ROOT, "heap %s, checkpoint %s, chunk cache after close %s (%.0f%% of a version)%n",
                Fmt.mb(Runtime.getRuntime().maxMemory()), Fmt.mb(fileBytes), Fmt.mb(cached), 100.0 * cached / fileBytes);
    }
}
