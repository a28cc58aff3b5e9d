package dev.coral.perf.stress;

import dev.coral.api.Repository;
import dev.coral.store.ObjectId;
import java.nio.file.Path;

/**
 * A child of the crash loop: {@code REPO FIRST FLOATS}; commits versions FIRST, FIRST+1, ... of
 * writer 0's file until killed, printing {@code ack.0.I=ID} after each commit returns, or
 * {@code error ...} and exit 2 when a commit fails.
 */
public final class CrashChild {
    private CrashChild() {
    }

    public static void main(String[] args) throws Exception {
        int first = Integer.parseInt(args[1]);
        int floats = Integer.parseInt(args[2]);
        try (Repository repo = Repository.open(Path.of(args[0]))) {
            for (int i = first; ; i++) {
                ObjectId id;
                try {
                    id = Writers.commit(repo, 0, i, floats);
                } catch (Exception e) {
                    System.out.println("error commit " + i + ": " + e);
                    System.out.flush();
                    System.exit(2);
                    return;
                }
                System.out.println("ack.0." + i + "=" + (id == null ? "absorbed" : id.hex()));
                System.out.flush();
            }
        }
    }
}
