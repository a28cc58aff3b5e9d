package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.CorruptObjectException;
import dev.coral.error.UnsupportedVersionException;
import dev.coral.io.ChecksummedFile;
import dev.coral.maintenance.Finding;
import dev.coral.maintenance.Fsck;
import dev.coral.repo.FormatFeatures;
import dev.coral.repo.RepositoryConfig;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code .coral/format}: a repository declares the format features its settings let writers use
 * before the first object that may use them is written; a Coral that finds one it does not know
 * refuses to open the repository with one line naming the file and the feature; a damaged file
 * leaves reading alone and refuses writes until it is deleted.
 */
class FormatFeaturesTest {
    @TempDir
    Path dir;

    private static final int ELEMENTS = 1 << 15;

    /** What a repository of the default settings declares. */
    private static final Set<String> ALL = Set.of(FormatFeatures.ZIGZAG_DELTAS, FormatFeatures.NPZ_VERBATIM,
            FormatFeatures.NPZ_DEFLATED_VERBATIM, FormatFeatures.HDF5_CHUNKED);
    /** What every repository declares, whatever its settings. */
    private static final Set<String> NPZ = Set.of(FormatFeatures.NPZ_VERBATIM, FormatFeatures.NPZ_DEFLATED_VERBATIM,
            FormatFeatures.HDF5_CHUNKED);

    /**
     * Commits step {@code step} of BF16 weights that move by one unit in the last place each step,
     * either way: the encoder stores such steps as zigzag deltas.
     */
    private static void commitStep(Repository repo, int step) throws IOException {
        SplittableRandom r = new SplittableRandom(7);
        byte[] b = new byte[2 * ELEMENTS];
        for (int i = 0; i < ELEMENTS; i++) {
            int bits = Float.floatToIntBits((float) (r.nextGaussian() * 0.02)) >>> 16;
            for (int t = 1; t <= step; t++) {
                bits += r.nextBoolean() ? 1 : -1;
            }
            b[2 * i] = (byte) bits;
            b[2 * i + 1] = (byte) (bits >>> 8);
            for (int t = step; t < 3; t++) {
                r.nextBoolean(); // every element draws alike, whatever the step
            }
        }
        repo.commitTensors("model.safetensors", List.of(Tensors.of("w", TensorSpec.of(DType.BF16, ELEMENTS), b)), Map.of(),
                CommitRequest.of("step " + step));
    }

    private Path coral(Path root) {
        return root.resolve(".coral");
    }

    /** A repository (default settings) with step 0 committed: a keyframe. */
    private Path repositoryWithOneCommit() throws IOException {
        Path root = dir.resolve("r");
        try (Repository repo = Repository.init(root)) {
            commitStep(repo, 0);
        }
        return root;
    }

    @Test
    void aNewRepositoryDeclaresWhatItsSettingsUse() throws IOException {
        try (Repository repo = Repository.init(dir.resolve("on"))) {
            commitStep(repo, 0);
        }
        assertEquals(ALL, FormatFeatures.read(coral(dir.resolve("on"))));
        try (Repository repo = Repository.init(dir.resolve("off"), RepositoryConfig.defaults().withZigzagDeltas(false))) {
            commitStep(repo, 0);
        }
        assertEquals(NPZ, FormatFeatures.read(coral(dir.resolve("off"))), "the npz features whatever the settings");
        try (Repository repo = Repository.open(dir.resolve("off"))) {
            repo.setConfig("codec.zigzag", "true");
            commitStep(repo, 1);
        }
        assertEquals(ALL, FormatFeatures.read(coral(dir.resolve("off"))), "declared at the first write with the setting on");
    }

    /**
     * A repository whose format file was deleted (as {@link FormatFeatures#REPAIR} says to do
     * with a damaged one) declares npz-verbatim again at its next write, whatever it writes: the
     * npz files it holds may need it (found by review: it was declared only when an npz was added).
     */
    @Test
    void npzVerbatimIsDeclaredAgainAfterTheFileWasDeleted() throws IOException {
        Path root = dir.resolve("n");
        try (Repository repo = Repository.init(root, RepositoryConfig.defaults().withZigzagDeltas(false))) {
            repo.add(List.of(TestModels.writeStoredNpz(root.resolve("z.npz"), TestModels.randomTensors(2, 2, 100))));
            repo.commit(CommitRequest.of("one"));
        }
        Files.delete(coral(root).resolve(FormatFeatures.FILE));
        try (Repository repo = Repository.open(root)) {
            repo.add(List.of(TestModels.writeSafetensors(root.resolve("m.safetensors"), TestModels.randomTensors(1, 2, 100))));
            repo.commit(CommitRequest.of("two"));
        }
        assertEquals(NPZ, FormatFeatures.read(coral(root)));
    }

    @Test
    void aRepositoryFromBeforeTheFileGetsItAtItsFirstWriteNotItsReads() throws IOException {
        Path root = dir.resolve("r");
        try (Repository repo = Repository.init(root)) {
            commitStep(repo, 0);
            commitStep(repo, 1); // a zigzag delta against step 0
        }
        Path file = coral(root).resolve(FormatFeatures.FILE);
        assertEquals(List.of(), formatWarnings(root));
        Files.delete(file);
        List<Finding> warned = formatWarnings(root);
        assertEquals(1, warned.size(), warned.toString());
        assertTrue(warned.get(0).message().contains("zigzag-deltas") && warned.get(0).message().contains("does not declare"),
                warned.toString());
        try (Repository repo = Repository.open(root)) {
            assertEquals(2, repo.log("HEAD", 10).size());
            repo.status();
            assertFalse(Files.exists(file), "reads write nothing");
            commitStep(repo, 2);
            assertTrue(Files.exists(file));
        }
        assertEquals(ALL, FormatFeatures.read(coral(root)));
        assertEquals(List.of(), formatWarnings(root), "declared now");
        Files.delete(file);
        try (Repository repo = Repository.open(root)) {
            repo.repack();
        }
        assertEquals(ALL, FormatFeatures.read(coral(root)), "a repack writes chunks too");
    }

    /** What fsck warns about .coral/format (problems, such as a damaged file, come as problems). */
    private List<Finding> formatWarnings(Path root) throws IOException {
        return Fsck.check(coral(root), false).warnings().stream().filter(w -> w.file().equals(FormatFeatures.FILE)).toList();
    }

    @Test
    void aFeatureThisCoralDoesNotKnowIsRefusedAtOpenAndByFsck() throws IOException {
        Path root = repositoryWithOneCommit();
        Path file = coral(root).resolve(FormatFeatures.FILE);
        ChecksummedFile.write(file, "CORALFMT", 1, "predicted-deltas\nzigzag-deltas\n".getBytes(StandardCharsets.UTF_8));
        UnsupportedVersionException e = assertThrows(UnsupportedVersionException.class, () -> Repository.open(root));
        assertTrue(e.getMessage().startsWith(file.toString() + ": ") && e.getMessage().contains("predicted-deltas")
                && !e.getMessage().contains("zigzag-deltas,") && e.getMessage().contains("newer Coral") && !e.getMessage().contains("\n"),
                e.getMessage());
        List<Finding> problems = Fsck.check(coral(root), false).problems();
        assertTrue(problems.stream().anyMatch(p -> p.file().equals(FormatFeatures.FILE) && p.message().contains("predicted-deltas")),
                problems.toString());
        ChecksummedFile.write(file, "CORALFMT", 2, "zigzag-deltas\n".getBytes(StandardCharsets.UTF_8));
        assertThrows(UnsupportedVersionException.class, () -> Repository.open(root), "a newer version of the file itself");
    }

    @Test
    void aDamagedFileLeavesReadingAloneAndRefusesWritesUntilDeleted() throws IOException {
        Path root = repositoryWithOneCommit();
        Path file = coral(root).resolve(FormatFeatures.FILE);
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 0x20;
        Files.write(file, bytes);
        try (Repository repo = Repository.open(root)) {
            assertEquals(1, repo.log("HEAD", 10).size(), "reading works");
            CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> commitStep(repo, 1));
            assertTrue(e.getMessage().contains(FormatFeatures.FILE) && e.getMessage().contains("delete"), e.getMessage());
            assertEquals(1, repo.log("HEAD", 10).size(), "the refused commit wrote nothing");
        }
        List<Finding> found = Fsck.check(coral(root), false).problems().stream().filter(p -> p.file().equals(FormatFeatures.FILE)).toList();
        assertEquals(1, found.size(), found.toString());
        assertTrue(found.get(0).message().contains("delete .coral/format to write"), "fsck says how to write again: " + found);
        Files.delete(file);
        try (Repository repo = Repository.open(root)) {
            commitStep(repo, 1);
            assertEquals(2, repo.log("HEAD", 10).size());
        }
        assertEquals(ALL, FormatFeatures.read(coral(root)));
    }

    @Test
    void namesNoCoralWritesAreDamage() throws IOException {
        Path c = dir.resolve("c");
        Files.createDirectories(c);
        for (String body : new String[] {"Zigzag-Deltas\n", "zigzag-deltas", "zigzag deltas\n", "\u00e9\n", "a".repeat(65) + "\n"}) {
            ChecksummedFile.write(c.resolve(FormatFeatures.FILE), "CORALFMT", 1, body.getBytes(StandardCharsets.UTF_8));
            CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> FormatFeatures.read(c), body);
            assertTrue(e.getMessage().startsWith(c.resolve(FormatFeatures.FILE) + ": "), e.getMessage());
        }
        ChecksummedFile.write(c.resolve(FormatFeatures.FILE), "CORALFMT", 1, new byte[0]);
        assertEquals(Set.of(), FormatFeatures.read(c), "an empty list");
    }

    @Test
    void writersDeclaringAtOnceLeaveOneWholeFile() throws Exception {
        Path c = dir.resolve("c");
        Files.createDirectories(c.resolve("locks"));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> all = new ArrayList<>();
            for (int t = 0; t < 32; t++) {
                all.add(pool.submit(() -> {
                    FormatFeatures.declare(c, FormatFeatures.ZIGZAG_DELTAS);
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(Set.of(FormatFeatures.ZIGZAG_DELTAS), FormatFeatures.read(c));
        assertThrows(IllegalArgumentException.class, () -> FormatFeatures.declare(c, "predicted-deltas"), "only features this Coral writes");
    }
}
