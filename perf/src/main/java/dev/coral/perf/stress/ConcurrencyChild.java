package dev.coral.perf.stress;

import dev.coral.api.Repository;
import dev.coral.store.ObjectId;
import java.nio.file.Path;

/** A child process of the concurrency scenario: {@code REPO WRITER COMMITS FLOATS}; prints {@code ack.W.I=ID} and {@code micros.W.I=} its time per commit. */
public final class ConcurrencyChild {
    private ConcurrencyChild() {
    }

    public static void main(String[] args) throws Exception {
        int writer = Integer.parseInt(args[1]);
        int commits = Integer.parseInt(args[2]);
        int floats = Integer.parseInt(args[3]);
        int failures = 0;
        try (Repository repo = Repository.open(Path.of(args[0]))) {
            repo.setIngestThreads(1);
            long from = epochMicros();
            for (int i = 0; i < commits; i++) {
                try {
                    long t0 = System.nanoTime();
                    ObjectId id = Writers.commit(repo, writer, i, floats);
                    System.out.println("ack." + writer + "." + i + "=" + (id == null ? "absorbed" : id.hex()));
                    System.out.println("micros." + writer + "." + i + "=" + (System.nanoTime() - t0) / 1000);
                } catch (Exception e) {
                    failures++;
                    System.out.println("error " + writer + " " + i + ": " + e);
                }
                System.out.flush();
            }
            // the commit phase on the wall clock (comparable across processes, unlike nanoTime)
            System.out.println("window." + writer + "=" + from + "," + epochMicros());
        }
        System.out.println("failures." + writer + "=" + failures);
    }

    private static long epochMicros() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }
}
