package dev.coral.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Listings beside writers. Branches and tags while refs are updated: the updates' lock and
 * temporary files appear and vanish beside the refs (a commit's branch update, in another thread
 * or process); one that vanishes between the folder's read and its own never fails the listing
 * (it did: {@code UncheckedIOException: NoSuchFileException ... main.lock}, met by the perf
 * collection scenario's collector reading the branches beside two committing processes). Weight
 * files of a working folder (status, add of a folder) while a training job or a checkout
 * replaces files through temporary ones: the same.
 */
class ListingBesideWritersTest {
    @TempDir
    Path dir;

    /** A step of work, repeated. */
    @FunctionalInterface
    private interface Step {
        void run(int n) throws Exception;
    }

    @Test
    void listingBesideRefUpdatesNeverFailsAndSeesOnlyRefs() throws Exception {
        Path heads = dir.resolve("refs/heads");
        Path tags = dir.resolve("refs/tags");
        Files.createDirectories(heads.resolve("team"));
        Files.createDirectories(tags);
        for (Path ref : List.of(heads.resolve("main"), heads.resolve("team/exp"), tags.resolve("v1"))) {
            Files.writeString(ref, "x");
        }
        Refs refs = new Refs(dir);
        listBeside(i -> {
            for (Path d : List.of(heads, heads.resolve("team"), tags)) {
                Path lock = d.resolve("main.lock");
                Path tmp = d.resolve(".tmp-main-" + i % 4);
                Files.writeString(lock, "coral-lock 1 host");
                Files.writeString(tmp, "y");
                Files.delete(lock);
                Files.delete(tmp);
            }
        }, n -> {
            assertEquals(List.of("main", "team/exp"), refs.branches(), "listing " + n);
            assertEquals(List.of("v1"), refs.tags(), "listing " + n);
        });
    }

    @Test
    void weightFilesListedBesideFilesComingAndGoing() throws Exception {
        Path ckpt = dir.resolve("ckpt");
        Files.createDirectories(ckpt.resolve("sub"));
        Files.writeString(ckpt.resolve("model.safetensors"), "x");
        Files.writeString(ckpt.resolve("sub/head.npy"), "x");
        WorkTree wt = new WorkTree(dir);
        listBeside(i -> {
            for (Path d : List.of(ckpt, ckpt.resolve("sub"))) {
                Path tmp = d.resolve("step-" + i % 4 + ".safetensors.tmp");
                Path part = d.resolve(".tmp-model.safetensors-" + i % 4);
                Files.writeString(tmp, "y");
                Files.writeString(part, "y");
                Files.delete(tmp);
                Files.delete(part);
            }
        }, n -> assertEquals(List.of("ckpt/model.safetensors", "ckpt/sub/head.npy"), wt.weightFilesUnder(ckpt), "listing " + n));
    }

    /** Runs {@code check} 3,000 times while another thread repeats {@code churn}; rethrows the churn's failure. */
    private static void listBeside(Step churn, Step check) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            Future<?> f = other.submit(() -> {
                for (int i = 0; !stop.get(); i++) {
                    churn.run(i);
                }
                return null;
            });
            for (int n = 0; n < 3000; n++) {
                check.run(n);
            }
            stop.set(true);
            f.get();
        } finally {
            stop.set(true);
            other.shutdownNow();
        }
    }
}
