package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.format.Hdf5Format;
import dev.coral.format.ParsedWeightFile;
import dev.coral.format.TensorSource;
import dev.coral.store.ObjectId;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HDF5 files through a repository: a training history of an h5 model commits as deltas and every
 * commit checks out byte for byte; h5py's files come back byte for byte and are clean to
 * {@code status} afterwards; a lossy commit of an h5 file checks out as a valid HDF5 file within
 * its bound, and the lossless commit after it is exact again.
 */
class Hdf5RepositoryTest {
    @TempDir
    Path dir;

    private static final int TENSORS = 6;
    private static final int SIDE = 96;

    /** Weights of a model that trains: each step moves every weight a little (fp32, not noise). */
    private static float[][] step(float[][] w, Random r) {
        float[][] next = new float[w.length][];
        for (int t = 0; t < w.length; t++) {
            next[t] = w[t].clone();
            for (int i = 0; i < next[t].length; i++) {
                next[t][i] -= 1e-3f * (float) r.nextGaussian() * Math.abs(next[t][i]);
            }
        }
        return next;
    }

    private static List<TensorSource> tensors(float[][] w) {
        List<TensorSource> out = new ArrayList<>();
        for (int t = 0; t < w.length; t++) {
            ByteBuffer b = ByteBuffer.allocate(w[t].length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(w[t]);
            out.add(Tensors.of("model_weights/dense_" + t + "/dense_" + t + "/kernel:0", TensorSpec.of(DType.F32, SIDE, SIDE), b));
        }
        return out;
    }

    private static byte[] writeH5(Path file, float[][] w) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            new Hdf5Format().write(tensors(w), Map.of("keras_version", "2.15.0"), out);
        }
        return Files.readAllBytes(file);
    }

    @Test
    void aTrainingHistoryOfAnH5ModelIsStoredAsDeltasAndEveryCommitChecksOutByteForByte() throws IOException {
        long seed = 60;
        Random r = new Random(seed);
        float[][] w = new float[TENSORS][SIDE * SIDE];
        for (float[] t : w) {
            for (int i = 0; i < t.length; i++) {
                t[i] = (float) (r.nextGaussian() * 0.05);
            }
        }
        Path model = dir.resolve("model.h5");
        List<byte[]> versions = new ArrayList<>();
        List<ObjectId> commits = new ArrayList<>();
        try (Repository repo = Repository.init(dir)) {
            for (int v = 0; v < 10; v++) {
                versions.add(writeH5(model, w));
                commits.add(repo.commit(CommitRequest.of("step " + v), List.of(model)));
                w = step(w, r);
            }
            RepositoryStats stats = repo.stats(false, false);
            assertTrue(stats.deltaChunks() >= 9 * TENSORS, "later versions are deltas: " + stats.deltaChunks() + ", seed " + seed);
            assertTrue(stats.ratio() > 1.3, "ratio " + stats.ratio() + ", seed " + seed);
            for (int v : new int[] {3, 0, 9, 5, 8}) {
                repo.checkout(commits.get(v).toString(), false);
                assertArrayEquals(versions.get(v), Files.readAllBytes(model), "step " + v + " byte for byte, seed " + seed);
                assertTrue(repo.status().isClean(), repo.status().toString());
            }
        }
    }

    @Test
    void h5pyFilesComeBackByteForByteAndAreCleanAfterwards() throws IOException {
        Path testdata = Path.of(System.getProperty("coral.testdata", "../testdata"));
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(testdata)) {
            s.filter(p -> p.getFileName().toString().endsWith(".h5")).sorted().forEach(p -> files.add(p));
        }
        assertTrue(files.size() >= 4, files.toString());
        try (Repository repo = Repository.init(dir)) {
            List<Path> added = new ArrayList<>();
            for (Path f : files) {
                added.add(Files.copy(f, dir.resolve(f.getFileName())));
            }
            repo.commit(CommitRequest.of("h5py files"), added);
            for (Path f : added) {
                Files.delete(f);
            }
            repo.checkout("HEAD", true);
            for (int i = 0; i < files.size(); i++) {
                assertArrayEquals(Files.readAllBytes(files.get(i)), Files.readAllBytes(added.get(i)), files.get(i).toString());
            }
            assertTrue(repo.status().isClean(), repo.status().toString());
            // the same files again under other names: every tensor chunk deduplicated
            long chunksBefore = repo.stats(false, false).keyframeChunks() + repo.stats(false, false).deltaChunks();
            List<Path> copies = new ArrayList<>();
            for (Path f : files) {
                copies.add(Files.copy(f, dir.resolve("copy-" + f.getFileName())));
            }
            repo.commit(CommitRequest.of("copies"), copies);
            assertEquals(chunksBefore, repo.stats(false, false).keyframeChunks() + repo.stats(false, false).deltaChunks());
        }
    }

    @Test
    void aLossyCommitOfAnH5FileChecksOutWithinItsBoundAndTheNextLosslessOneIsExact() throws IOException {
        long seed = 61;
        Random r = new Random(seed);
        float[][] w = new float[TENSORS][SIDE * SIDE];
        for (float[] t : w) {
            for (int i = 0; i < t.length; i++) {
                t[i] = (float) r.nextGaussian();
            }
        }
        Path model = dir.resolve("model.h5");
        try (Repository repo = Repository.init(dir)) {
            writeH5(model, w);
            repo.commit(CommitRequest.of("exact"), List.of(model));
            float[][] lossyWeights = step(w, r);
            writeH5(model, lossyWeights);
            repo.commit(CommitRequest.of("lossy").withLossy("1e-3"), List.of(model));
            float[][] last = step(lossyWeights, r);
            byte[] exact = writeH5(model, last);
            repo.commit(CommitRequest.of("exact again"), List.of(model));

            repo.checkout("HEAD~1", true);
            Hdf5Format h5 = new Hdf5Format();
            try (ParsedWeightFile parsed = h5.read(model)) {
                assertEquals(TENSORS, parsed.tensors().size());
                assertEquals(Map.of("keras_version", "2.15.0"), parsed.metadata());
                double worst = 0;
                for (int t = 0; t < TENSORS; t++) {
                    float[] got = floats(parsed.tensors().get(t));
                    for (int i = 0; i < got.length; i++) {
                        worst = Math.max(worst, Math.abs(got[i] - lossyWeights[t][i]));
                    }
                }
                assertTrue(worst <= 1e-3 && worst > 0, "largest error " + worst + ", seed " + seed);
            }
            repo.checkout("main", true);
            assertArrayEquals(exact, Files.readAllBytes(model), "the lossless commit after a lossy one, byte for byte");
        }
    }

    private static float[] floats(TensorSource t) throws IOException {
        try (InputStream in = t.openStream()) {
            ByteBuffer b = ByteBuffer.wrap(in.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[b.remaining() / 4];
            b.asFloatBuffer().get(out);
            return out;
        }
    }
}
