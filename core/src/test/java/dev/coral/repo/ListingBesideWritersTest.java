package dev.coral.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coral.store.ObjectId;
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

    /**
     * A tracked file another process moves or deletes while it is compared (read by content: its
     * stamp differs) reads as gone, not as a failure: {@code coral status} beside {@code coral mv}
     * failed with "no such file or folder" (found by the concurrent fuzz).
     */
    @Test
    void aTrackedFileGoneWhileComparedReadsAsGone() throws Exception {
        Path f = dir.resolve("m.npy");
        WorkTree wt = new WorkTree(dir);
        for (int way = 0; way < 3; way++) {
            Files.write(f, new byte[] {1, 2, 3});
            FileIngest.FileStat st = FileIngest.FileStat.of(f);
            StagingIndex.Entry stale = new StagingIndex.Entry(ObjectId.hashOf(new byte[] {9}), st.size(), st.mtimeMillis() - 5_000, st.sha256());
            WorkTree.RecordedContent movedAway = new WorkTree.RecordedContent() {
                @Override
                public long crc32c(StagingIndex.Entry e) throws IOException {
                    Files.move(f, dir.resolve("elsewhere.npy"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    return -1; // compared by SHA-256, of a file no longer there
                }

                @Override
                public StagingIndex.Entry recordedBytes(StagingIndex.Entry e) {
                    return null;
                }
            };
            switch (way) {
                case 0 -> assertEquals(true, wt.differs("m.npy", stale, movedAway));
                case 1 -> assertEquals(false, wt.compare("m.npy", stale, movedAway).matches());
                default -> assertEquals(false, wt.checkContent("m.npy", stale.unverified(false), movedAway).matches());
            }
            assertEquals(false, wt.exists("m.npy"), "way " + way);
        }
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
