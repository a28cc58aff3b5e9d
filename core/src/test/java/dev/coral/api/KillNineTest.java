package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.maintenance.FsckReport;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 50 child JVMs committing in a loop, each killed with SIGKILL at a random instant: every commit
 * a child acknowledged checks out bit-exact afterwards, the next child can always commit, and
 * fsck is clean once gc removed what the dead writers left.
 */
class KillNineTest {
    private static final int TRIALS = 50;

    @TempDir
    Path dir;

    @Test
    void commitsAcknowledgedBeforeAKillNineSurviveIt() throws Exception {
        Repository.init(dir).close();
        Random r = new Random(20261123);
        Map<Integer, String> acknowledged = new TreeMap<>();
        int next = 0;
        int trialsWithCommits = 0;
        for (int trial = 0; trial < TRIALS; trial++) {
            Process p = CrashCommitChild.command(dir, String.valueOf(next))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            List<String> lines = new ArrayList<>();
            Thread reader = new Thread(() -> readLines(p.getInputStream(), lines));
            reader.start();
            // killed at a random instant after its first commit (not a fixed time: on a loaded machine the child's JVM had not
            // committed by then, and the test saw too few commits to mean anything)
            awaitFirstLine(lines, p, 60_000);
            Thread.sleep(r.nextInt(900));
            p.destroyForcibly();
            p.waitFor();
            reader.join();
            int before = acknowledged.size();
            synchronized (lines) {
                for (String line : lines) {
                    String[] f = line.split(" ");
                    if (f.length == 4 && f[0].equals("ACK") && f[3].equals("END")) {
                        int v = Integer.parseInt(f[2]);
                        acknowledged.put(v, f[1]);
                        next = Math.max(next, v + 1);
                    }
                }
            }
            trialsWithCommits += acknowledged.size() > before ? 1 : 0;
            next++; // a killed child may have committed its next version without saying so
        }
        System.out.printf("kill -9: %d trials, %d with commits, %d commits acknowledged%n", TRIALS, trialsWithCommits, acknowledged.size());
        assertTrue(trialsWithCommits >= TRIALS / 2, "most children committed before being killed: " + trialsWithCommits);
        try (Repository repo = Repository.open(dir)) {
            for (Map.Entry<Integer, String> e : acknowledged.entrySet()) {
                try (InputStream in = repo.tensor(e.getValue(), "w.safetensors", "w").openVerifiedStream()) {
                    assertArrayEquals(CrashCommitChild.content(e.getKey()), in.readAllBytes(), "acknowledged version " + e.getKey());
                }
            }
            repo.gc(false, Duration.ZERO);
            FsckReport report = repo.fsck(false);
            assertTrue(report.clean(), report.toString());
        }
    }

    /** Waits until the child has written a line (its first commit's), ended, or {@code millis} passed. */
    private static void awaitFirstLine(List<String> lines, Process p, long millis) throws InterruptedException {
        long until = System.nanoTime() + millis * 1_000_000;
        while (System.nanoTime() < until && p.isAlive()) {
            synchronized (lines) {
                if (!lines.isEmpty()) {
                    return;
                }
            }
            Thread.sleep(10);
        }
    }

    private static void readLines(InputStream in, List<String> out) {
        try (BufferedReader b = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = b.readLine()) != null) {
                synchronized (out) {
                    out.add(line);
                }
            }
        } catch (IOException e) {
            // the child was killed mid-line: what was read is what it acknowledged
        }
    }
}
