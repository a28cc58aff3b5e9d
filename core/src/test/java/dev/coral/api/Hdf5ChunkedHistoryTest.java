package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.store.ObjectId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A training history saved by h5py with gzip-compressed, shuffled chunks (as a user who passes
 * {@code compression="gzip"} saves it) through a repository: its datasets are tensors, so the
 * later steps are stored as deltas and the history takes far less than its gzip files; every
 * commit checks out byte for byte and clean to {@code status}; a lossy commit (written anew: gzip
 * chunks cannot take other values in place) keeps its bound and the lossless commit after it is
 * exact; the same weights saved contiguous and uncompressed add no chunk (the tensors are the same
 * whatever the file's chunking).
 */
class Hdf5ChunkedHistoryTest {
    @TempDir
    Path dir;

    private static final int STEPS = 8;

    private static final String WRITE_STEPS = String.join("\n",
            "import sys, h5py, numpy as np",
            "out, steps = sys.argv[1], int(sys.argv[2])",
            "rng = np.random.default_rng(6)",
            "shapes = {'dense/kernel': (256, 96), 'dense/bias': (96,), 'dense_1/kernel': (96, 64), 'dense_1/bias': (64,)}",
            "w = {k: (rng.standard_normal(s) * 0.05).astype('f4') for k, s in shapes.items()}",
            "def save(path, chunked):",
            "    with h5py.File(path, 'w') as f:",
            "        f.attrs['keras_version'] = '2.15.0'",
            "        for k, a in w.items():",
            "            if chunked:",
            "                f.create_dataset('model_weights/' + k, data=a, chunks=tuple(min(n, 32) for n in a.shape),",
            "                                 compression='gzip', shuffle=True, track_times=False)",
            "            else:",
            "                f.create_dataset('model_weights/' + k, data=a, track_times=False)",
            "save(out + '/contiguous-0.h5', False)",
            "for s in range(steps + 1):",
            "    save(out + '/step-%d.h5' % s, True)",
            "    for k in w:  # an Adam-like step: every weight moves by about the learning rate",
            "        w[k] = (w[k] - 1e-3 * np.sign(rng.standard_normal(w[k].shape))).astype('f4')");

    private static float[] floats(dev.coral.format.TensorSource t) throws java.io.IOException {
        try (java.io.InputStream in = t.openStream()) {
            java.nio.FloatBuffer f = java.nio.ByteBuffer.wrap(in.readAllBytes()).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            float[] out = new float[f.remaining()];
            f.get(out);
            return out;
        }
    }

    /**
     * A gzip-chunked file touched but unchanged keeps its entry with its new time, compared by its
     * SHA-256 instead of read again (which deflates every chunk again); changed, it is read again.
     */
    @Test
    void aTouchedGzipChunkedFileIsComparedByContentNotReadAgain() throws Exception {
        String python = dev.coral.testutil.Python.require("h5py, numpy", "chunked HDF5 history",
                "Debian: apt-get install python3-h5py; .ci/run installs it");
        Path steps = Files.createDirectories(dir.resolve("steps"));
        dev.coral.testutil.Python.output(List.of(python, "-c", WRITE_STEPS, steps.toString(), "2"));
        Path work = Files.createDirectories(dir.resolve("work"));
        Path model = Files.copy(steps.resolve("step-0.h5"), work.resolve("model.h5"));
        try (Repository repo = Repository.init(work)) {
            repo.add(List.of(model));
            repo.commit(CommitRequest.of("one"));
            TestModels.backdate(repo, 120_000); // the entry and the file an old time: the entry is not racy
            long later = Files.getLastModifiedTime(model).toMillis() + 60_000;
            Files.setLastModifiedTime(model, java.nio.file.attribute.FileTime.fromMillis(later)); // touched: another time, the same bytes
            Repository.AddResult again = repo.add(List.of(model));
            assertEquals(List.of("model.h5"), again.unchanged());
            assertEquals(0, again.chunksWritten() + again.chunksDeduplicated(), "not read as tensors again");
            assertEquals(later, repo.readIndex().entries().get("model.h5").mtimeMillis(), "the entry takes the file's new time");
            Files.copy(steps.resolve("step-1.h5"), model, StandardCopyOption.REPLACE_EXISTING);
            Files.setLastModifiedTime(model, java.nio.file.attribute.FileTime.fromMillis(later + 60_000));
            Repository.AddResult changed = repo.add(List.of(model));
            assertEquals(List.of(), changed.unchanged());
            assertTrue(changed.chunksWritten() > 0, "step 1 read and stored");
        }
    }

    @Test
    void aGzipChunkedHistoryIsStoredAsDeltasAndEveryCommitChecksOutByteForByte() throws Exception {
        String python = dev.coral.testutil.Python.require("h5py, numpy", "chunked HDF5 history",
                "Debian: apt-get install python3-h5py; .ci/run installs it");
        Path steps = Files.createDirectories(dir.resolve("steps"));
        dev.coral.testutil.Python.output(List.of(python, "-c", WRITE_STEPS, steps.toString(), String.valueOf(STEPS)));
        Path work = Files.createDirectories(dir.resolve("work"));
        Path model = work.resolve("model.h5");
        List<ObjectId> commits = new ArrayList<>();
        long fileBytes = 0;
        try (Repository repo = Repository.init(work)) {
            for (int s = 0; s < STEPS; s++) {
                Path step = steps.resolve("step-" + s + ".h5");
                fileBytes += Files.size(step);
                Files.copy(step, model, StandardCopyOption.REPLACE_EXISTING);
                commits.add(repo.commit(CommitRequest.of("step " + s), List.of(model)));
            }
            RepositoryStats stats = repo.stats(false, false);
            assertTrue(stats.deltaChunks() >= (STEPS - 1) * 4, "later steps are deltas: " + stats.deltaChunks());
            assertTrue(stats.storedBytes() * 2 < fileBytes, "stored " + stats.storedBytes() + " for " + fileBytes + " bytes of gzip files");
            for (int s : new int[] {3, 0, 7, 5, 1}) {
                repo.checkout(commits.get(s).toString(), true);
                assertArrayEquals(Files.readAllBytes(steps.resolve("step-" + s + ".h5")), Files.readAllBytes(model), "step " + s);
                assertTrue(repo.status().isClean(), repo.status().toString());
            }
            // a lossy commit of the next step: its gzip chunks cannot take other values in place, so the file is written anew
            Files.copy(steps.resolve("step-" + STEPS + ".h5"), model, StandardCopyOption.REPLACE_EXISTING);
            ObjectId lossy = repo.commit(CommitRequest.of("lossy step").withLossy("1e-2"), List.of(model));
            repo.checkout(commits.get(0).toString(), true);
            repo.checkout(lossy.toString(), true);
            assertTrue(repo.status().isClean(), repo.status().toString());
            try (dev.coral.format.ParsedWeightFile back = new dev.coral.format.Hdf5Format().read(model);
                 dev.coral.format.ParsedWeightFile exact = new dev.coral.format.Hdf5Format().read(steps.resolve("step-" + STEPS + ".h5"))) {
                assertEquals(List.of(), back.keptAsBytes());
                for (int t = 0; t < exact.tensors().size(); t++) {
                    float[] a = floats(exact.tensors().get(t));
                    float[] b = floats(back.tensors().get(t));
                    for (int i = 0; i < a.length; i++) {
                        assertTrue(Math.abs(a[i] - b[i]) <= 1e-2, exact.tensors().get(t).name() + "[" + i + "]: " + a[i] + " vs " + b[i]);
                    }
                }
            }
            Files.copy(steps.resolve("step-0.h5"), model, StandardCopyOption.REPLACE_EXISTING);
            ObjectId again = repo.commit(CommitRequest.of("step 0 again"), List.of(model));
            repo.checkout(lossy.toString(), true);
            repo.checkout(again.toString(), true);
            assertArrayEquals(Files.readAllBytes(steps.resolve("step-0.h5")), Files.readAllBytes(model), "lossless after lossy");
            stats = repo.stats(false, false);
            long chunks = stats.keyframeChunks() + stats.deltaChunks();
            Path contiguous = Files.copy(steps.resolve("contiguous-0.h5"), work.resolve("contiguous.h5"));
            repo.commit(CommitRequest.of("step 0, contiguous"), List.of(contiguous));
            RepositoryStats after = repo.stats(false, false);
            assertEquals(chunks, after.keyframeChunks() + after.deltaChunks(), "step 0's tensors, saved contiguous, are stored already");
        }
    }
}
