package dev.coral.perf.stress;

import dev.coral.api.Repository;
import dev.coral.store.ObjectId;
import java.nio.file.Path;

/** A child process of the concurrency scenario: {@code REPO WRITER COMMITS FLOATS}; prints {@code ack.W.I=ID} per commit. */
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
            for (int i = 0; i < commits; i++) {
                try {
                    ObjectId id = Writers.commit(repo, writer, i, floats);
                    System.out.println("ack." + writer + "." + i + "=" + (id == null ? "absorbed" : id.hex()));
                } catch (Exception e) {
                    failures++;
                    System.out.println("error " + writer + " " + i + ": " + e);
                }
                System.out.flush();
            }
        }
        System.out.println("failures." + writer + "=" + failures);
    }
}
