package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.CoralException;
import dev.coral.maintenance.FsckReport;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import dev.coral.io.Folders;
import dev.coral.testutil.Damage;
import dev.coral.testutil.Trees;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Any file of a repository's {@code .coral} damaged at random ({@link Damage}: changed bytes, lying
 * edge values, cut short), one per round, seeded (the seed and the file are in every failure):
 * opening it, reading every committed file of every commit, log, status, fsck, a new commit, gc
 * (no grace period) and repack each either work, giving exactly the bytes committed, or fail with
 * a one-line error. Never other bytes, never another exception; a commit that cannot be read is a
 * finding of fsck; and every committed file that read before gc and repack reads after each
 * (damage never makes them delete what is still reachable).
 */
class RepositoryDamageTest {
    private static final int ELEMENTS = 6_000;

    @TempDir
    Path dir;

    /** A committed file's expected bytes: its SHA-256 at a commit. */
    private record Committed(String commit, String path, String sha256) {
    }

    @Test
    @Timeout(300)
    void anyFileOfTheRepositoryDamagedGivesTheCommittedBytesOrAOneLineError() throws Exception {
        Path base = dir.resolve("base");
        List<Committed> committed = history(base);
        List<Path> files;
        try (Stream<Path> s = Files.walk(base.resolve(".coral"))) {
            files = s.filter(Files::isRegularFile).map(base::relativize).sorted().toList();
        }
        int rounds = Integer.getInteger("coral.damageRounds", 60);
        long first = Long.getLong("coral.damageSeed", 1);
        Map<String, Integer> outcomes = new LinkedHashMap<>();
        for (int round = 0; round < rounds; round++) {
            long seed = first + round;
            Random r = new Random(seed);
            Path copy = dir.resolve("round" + round);
            Trees.copy(base, copy);
            Path damaged = files.get(r.nextInt(files.size()));
            Files.write(copy.resolve(damaged), Damage.of(Files.readAllBytes(copy.resolve(damaged)), r));
            String where = "seed " + seed + ", damaged " + damaged;
            String outcome;
            try {
                outcome = readEverything(copy, committed, where);
            } catch (RuntimeException | Error e) {
                throw new AssertionError(where + ": " + e, e);
            }
            outcomes.merge(outcome, 1, Integer::sum);
            Folders.deleteTree(copy);
        }
        System.out.println(files.size() + " files in .coral, " + rounds + " rounds from seed " + first + ": " + outcomes);
    }

    /** Six steps of a drifting model (chunks of 4 KB, so delta links), an HDF5 file in the last three, a branch and a tag. */
    private static List<Committed> history(Path root) throws IOException {
        List<Committed> out = new ArrayList<>();
        try (Repository repo = Repository.init(root)) {
            repo.setConfig("chunk.bytes", "4096");
            List<byte[]> versions = DriftingTensor.versions(ELEMENTS, 6, 11);
            for (int v = 0; v < versions.size(); v++) {
                String id;
                if (v < 3) {
                    id = repo.commitTensors("m.safetensors", List.of(Tensors.of("w", TensorSpec.of(DType.F32, ELEMENTS), versions.get(v))),
                            Map.of(), CommitRequest.of("v" + v)).hex();
                } else {
                    repo.commitTensors("m.safetensors", List.of(Tensors.of("w", TensorSpec.of(DType.F32, ELEMENTS), versions.get(v))),
                            Map.of(), CommitRequest.of("v" + v));
                    TestModels.writeHdf5(root.resolve("k.h5"), TestModels.randomTensors(v, 3, 700));
                    repo.add(List.of(root.resolve("k.h5")));
                    id = repo.commit(CommitRequest.of("v" + v + " with k.h5")).hex();
                    out.add(new Committed(id, "k.h5", TestModels.sha256(root.resolve("k.h5"))));
                }
                ByteArrayOutputStream m = new ByteArrayOutputStream();
                repo.export(id, "m.safetensors", m, null);
                out.add(new Committed(id, "m.safetensors", sha256(m.toByteArray())));
                if (v == 2) {
                    repo.createBranch("old", id);
                    repo.createTag("v2", id, "step 2");
                }
            }
        }
        return out;
    }

    /** What the damaged copy at {@code root} does; returns a word for the tally (what failed first, or "read"). */
    private static String readEverything(Path root, List<Committed> committed, String where) throws IOException {
        Repository repo;
        try {
            repo = Repository.open(root);
        } catch (IOException e) {
            return failed("open", e, where);
        }
        try (repo) {
            String[] first = {null};
            List<Committed> readable = readable(repo, committed, where, first);
            int unreadable = committed.size() - readable.size();
            String outcome = first[0] == null ? "read" : first[0];
            for (String rev : List.of("main", "old", "v2")) {
                try {
                    repo.log(rev, -1);
                } catch (IOException e) {
                    outcome = outcome.equals("read") ? failed("log", e, where) : outcome;
                }
            }
            try {
                repo.status();
            } catch (IOException e) {
                outcome = outcome.equals("read") ? failed("status", e, where) : outcome;
            }
            try {
                FsckReport report = repo.fsck(false);
                if (unreadable > 0) {
                    assertFalse(report.clean(), where + ": " + unreadable + " committed files unreadable, and fsck found nothing");
                }
            } catch (IOException e) {
                outcome = outcome.equals("read") ? failed("fsck", e, where) : outcome;
            }
            byte[] next = DriftingTensor.versions(ELEMENTS, 7, 11).get(6);
            try {
                String id = repo.commitTensors("m.safetensors", List.of(Tensors.of("w", TensorSpec.of(DType.F32, ELEMENTS), next)),
                        Map.of(), CommitRequest.of("after the damage")).hex();
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                repo.export(id, "m.safetensors", out, null);
                byte[] file = out.toByteArray();
                assertTrue(file.length > next.length && java.util.Arrays.equals(next, 0, next.length, file, file.length - next.length, file.length),
                        where + ": the commit made after the damage reads as other bytes");
            } catch (IOException e) {
                outcome = outcome.equals("read") ? failed("commit", e, where) : outcome;
            }
            try {
                repo.gc(false, java.time.Duration.ZERO);
            } catch (IOException e) {
                outcome = outcome.equals("read") ? failed("gc", e, where) : outcome;
            }
            List<Committed> afterGc = readable(repo, committed, where + ", after gc", new String[1]);
            assertTrue(afterGc.containsAll(readable), where + ": gc lost committed files that read before it: "
                    + readable.stream().filter(c -> !afterGc.contains(c)).toList());
            try {
                repo.repack();
            } catch (IOException e) {
                outcome = outcome.equals("read") ? failed("repack", e, where) : outcome;
            }
            List<Committed> afterRepack = readable(repo, committed, where + ", after repack", new String[1]);
            assertTrue(afterRepack.containsAll(readable), where + ": repack lost committed files that read before it: "
                    + readable.stream().filter(c -> !afterRepack.contains(c)).toList());
            return outcome;
        }
    }

    /**
     * The committed files that read, each checked to be the bytes committed; a failure must be a
     * one-line message, and the first one's tally word goes to {@code firstFailure[0]}.
     */
    private static List<Committed> readable(Repository repo, List<Committed> committed, String where, String[] firstFailure) {
        List<Committed> out = new ArrayList<>();
        for (Committed c : committed) {
            try {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                repo.export(c.commit(), c.path(), bytes, null);
                assertEquals(c.sha256(), sha256(bytes.toByteArray()), where + ": " + c.path() + " at " + c.commit() + " read as other bytes");
                out.add(c);
            } catch (IOException e) {
                String word = failed("export", e, where);
                firstFailure[0] = firstFailure[0] == null ? word : firstFailure[0];
            }
        }
        return out;
    }

    /** Checks that {@code e} is a one-line message; returns the tally's word for it. */
    private static String failed(String what, IOException e, String where) {
        String m = e.getMessage();
        assertTrue(m != null && !m.isBlank() && !m.contains("\n"), where + ": " + what + " failed without a one-line message: " + e);
        return what + " refused" + (e instanceof CoralException ? "" : " (" + e.getClass().getSimpleName() + ")");
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
