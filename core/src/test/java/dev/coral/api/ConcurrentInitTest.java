package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.io.TempDir;

/**
 * Threads of one JVM initializing one folder at once (the daemon runs each caller's command on a
 * thread): one makes the repository, whole; the others are told it is there, and nothing of theirs
 * is left in it or beside it (they shared one staging folder and left temporary files in the new
 * repository, found by fuzzing the daemon against plain commands); an init that finds the
 * repository made between its check and its rename says so as any other (it failed with
 * "Directory not empty" naming its staging folder, found by the same fuzzer with processes).
 */
class ConcurrentInitTest {
    @TempDir
    Path dir;

    @RepeatedTest(20)
    void oneOfManyInitsAtOnceMakesTheRepositoryAndNothingIsLeftBehind() throws Exception {
        int threads = 6;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<String>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            results.add(pool.submit(() -> {
                go.await();
                try (Repository r = Repository.init(dir)) {
                    return "made";
                } catch (java.io.IOException e) {
                    return e.getMessage();
                }
            }));
        }
        go.countDown();
        int made = 0;
        for (Future<String> f : results) {
            String r = f.get();
            if (r.equals("made")) {
                made++;
            } else {
                assertEquals(dir.toAbsolutePath().normalize() + ": already a Coral repository", r);
            }
        }
        pool.shutdown();
        assertEquals(1, made, "one init made it");
        try (Stream<Path> beside = Files.list(dir)) {
            assertEquals(List.of(".coral"), beside.map(p -> p.getFileName().toString()).toList(), "no staging folder left");
        }
        try (Stream<Path> all = Files.walk(dir.resolve(".coral"))) {
            List<String> temporary = all.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".tmp")).toList();
            assertEquals(List.of(), temporary, "no temporary file left in the repository");
        }
        try (Repository r = Repository.open(dir)) {
            assertEquals("main", r.currentBranch());
        }
    }
}
