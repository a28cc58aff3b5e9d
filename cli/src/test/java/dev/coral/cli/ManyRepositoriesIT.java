package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One process committing into several repositories in turn, at a small heap: a {@code coral batch}
 * script here, as the daemon and Java code with a handle per model do. Found by hand on 2026-12-07:
 * every store had a memory budget of its own (recent chunks, idle encoding jobs, spare arrays), so
 * 40 MB checkpoints committed into three repositories in turn at {@code -Xmx300m} failed 4 of 9
 * commits out of heap, at {@code -Xmx200m} 5 of 9, where one repository's commits pass. Now the
 * process has one budget, and every commit passes at {@code -Xmx200m} (the build before: 5 of 9
 * failed, every run), each repository fsck-clean with three commits.
 */
class ManyRepositoriesIT {
    private static final Path ROOT = Path.of(System.getProperty("coral.root", "..")).toAbsolutePath().normalize();
    private static final Path JAR = ROOT.resolve("cli/target/coral.jar");
    private static final int REPOSITORIES = 3;
    private static final int STEPS = 3;
    private static final int ELEMENTS = 10_000_000; // 40 MB

    @TempDir
    Path dir;

    /** The JSON array of a batch line: {@code -C FOLDER} and the words. */
    private static String line(Path folder, String... words) {
        StringBuilder b = new StringBuilder("[\"-C\", \"").append(folder).append('"');
        for (String w : words) {
            b.append(", \"").append(w).append('"');
        }
        return b.append(']').toString();
    }

    @Test
    void commitsIntoRepositoriesInTurnFitTheHeapOneRepositorysDo() throws IOException, InterruptedException {
        SplittableRandom r = new SplittableRandom(2026_12_07L);
        float[] w = new float[ELEMENTS];
        for (int i = 0; i < ELEMENTS; i++) {
            w[i] = (float) r.nextDouble(-0.1, 0.1);
        }
        List<Path> steps = new ArrayList<>();
        for (int s = 0; s < STEPS; s++) {
            Path f = dir.resolve("m" + s + ".npy");
            Files.write(f, NpyFiles.fp32(w));
            steps.add(f);
            for (int i = 0; i < ELEMENTS; i++) {
                w[i] += (float) (1e-4 * r.nextDouble(-1, 1)); // a training step
            }
        }
        List<Path> repos = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        for (int k = 0; k < REPOSITORIES; k++) {
            Path repo = Files.createDirectories(dir.resolve("r" + k));
            for (Path f : steps) {
                Files.createLink(repo.resolve(f.getFileName()), f);
            }
            repos.add(repo);
            lines.add(line(repo, "init", "-q"));
        }
        for (int s = 0; s < STEPS; s++) {
            for (Path repo : repos) {
                lines.add(line(repo, "commit", "-q", "-m", "step " + s, "m" + s + ".npy"));
            }
        }
        for (Path repo : repos) {
            lines.add(line(repo, "fsck"));
            lines.add(line(repo, "log", "--oneline"));
        }
        Path in = dir.resolve("commands");
        Files.write(in, lines, StandardCharsets.UTF_8);
        Path out = dir.resolve("replies");
        Path err = dir.resolve("stderr");
        Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx200m", "-jar", JAR.toString(), "batch"))
                .redirectInput(in.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("coral batch did not end in 300 s");
        }
        assertEquals(0, p.exitValue(), "coral batch: " + Files.readString(err));
        List<String> replies = Files.readAllLines(out, StandardCharsets.UTF_8);
        assertEquals(lines.size(), replies.size(), "a reply a line: " + replies);
        List<String> failed = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (!replies.get(i).startsWith("{\"code\": 0,")) {
                failed.add(lines.get(i) + " -> " + replies.get(i));
            }
        }
        assertEquals(List.of(), failed, failed.size() + " of " + lines.size() + " commands failed at -Xmx200m");
        for (int k = 0; k < REPOSITORIES; k++) {
            String log = replies.get(replies.size() - 2 * REPOSITORIES + 2 * k + 1);
            assertEquals(STEPS, log.split("step ", -1).length - 1, "three commits in " + repos.get(k) + ": " + log);
        }
    }
}
