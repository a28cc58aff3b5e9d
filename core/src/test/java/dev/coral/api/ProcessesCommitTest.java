package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Four separate JVM processes committing to one branch at once: every commit present once, none reverted. */
class ProcessesCommitTest {
    private static final int PROCESSES = 4;
    private static final int VERSIONS = 6;

    @TempDir
    Path dir;

    @Test
    void fourProcessesCommitToOneBranchWithoutLosingAnything() throws Exception {
        Repository.init(dir).close();
        List<Process> children = new ArrayList<>();
        for (int k = 0; k < PROCESSES; k++) {
            int first = k * 100;
            children.add(CrashCommitChild.command(dir, String.valueOf(first), "p" + k + ".safetensors",
                    String.valueOf(first + VERSIONS - 1)).redirectError(ProcessBuilder.Redirect.INHERIT).start());
        }
        Set<String> acknowledged = new HashSet<>();
        for (Process p : children) {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), "child exit code");
            out.lines().filter(l -> l.endsWith(" END")).forEach(l -> acknowledged.add(l.split(" ")[1]));
        }
        assertEquals(PROCESSES * VERSIONS, acknowledged.size());
        try (Repository repo = Repository.open(dir)) {
            Set<String> history = new HashSet<>();
            repo.log("HEAD", -1).forEach(e -> history.add(e.id().hex()));
            assertEquals(acknowledged, history, "every acknowledged commit once, nothing else");
            for (int k = 0; k < PROCESSES; k++) {
                try (InputStream in = repo.tensor("HEAD", "p" + k + ".safetensors", "w").openVerifiedStream()) {
                    assertArrayEquals(CrashCommitChild.content(k * 100 + VERSIONS - 1), in.readAllBytes(), "process " + k + "'s last version at HEAD");
                }
            }
        }
    }
}
