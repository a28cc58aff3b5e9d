package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coral.tensor.DType;
import dev.coral.testutil.MissingTool;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.coral.store.ObjectId;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code log -- PATH}, revision ranges ({@code A..B}, {@code A...B}, {@code ^A B C}, with and
 * without paths) and {@code diff --name-status A..B / A...B} against git, the independent client: random histories of branches, commits of
 * one or two of four files in nested folders, and merges settled {@code ours} or {@code theirs}
 * (git's {@code -X ours}/{@code -X theirs}) are made alike in a Coral repository (the Java API) and a
 * git one; then, for every file and every folder above one, the commits each lists are compared (as
 * sorted lists of messages: git orders commits of the same second otherwise). Which commits are
 * listed is where the default history simplification of merges shows. Needs git (.ci/run installs
 * it where missing); without it the test is skipped loudly, or fails under CI=true.
 */
class LogPathsGitInteropTest {
    private static final List<String> FILES = List.of("a.safetensors", "d/b.safetensors", "d/c.safetensors", "e/f/g.safetensors");

    @TempDir
    Path tmp;

    private Path gitDir;
    private long gitTime = 1_700_000_000L;

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void randomHistoriesWithMergesListWhatGitLists(long seed) throws Exception {
        requireGit();
        Random rng = new Random(seed);
        Path coralDir = Files.createDirectories(tmp.resolve("c"));
        gitDir = Files.createDirectories(tmp.resolve("g"));
        git("init", "-q");
        try (Repository repo = Repository.init(coralDir)) {
            List<String> branches = new ArrayList<>(List.of("main"));
            String current = "main";
            for (String f : FILES) {
                write(coralDir, f, seed * 1000);
            }
            commit(repo, coralDir, "c0", FILES);
            for (int i = 1; i < 30; i++) {
                double r = rng.nextDouble();
                if (r < 0.15) {
                    current = "b" + i;
                    branches.add(current);
                    repo.switchBranch(current, true, false);
                    git("checkout", "-q", "-b", current);
                } else if (r < 0.35) {
                    current = branches.get(rng.nextInt(branches.size()));
                    repo.switchBranch(current, false, false);
                    git("checkout", "-q", current);
                } else if (r < 0.55 && branches.size() > 1) {
                    String here = current;
                    List<String> others = branches.stream().filter(b -> !b.equals(here)).toList();
                    String other = others.get(rng.nextInt(others.size()));
                    String side = rng.nextBoolean() ? "ours" : "theirs";
                    gitTime++;
                    git("merge", "-q", "--no-edit", "-X", side, "-m", "m" + i, other);
                    repo.merge(other, MergeStrategy.parse(side), "m" + i, false, CommitRequest.of("m" + i));
                } else {
                    List<String> changed = new ArrayList<>(FILES);
                    java.util.Collections.shuffle(changed, rng);
                    changed = changed.subList(0, 1 + rng.nextInt(2));
                    for (String f : changed) {
                        write(coralDir, f, seed * 1000 + i);
                    }
                    commit(repo, coralDir, "c" + i, changed);
                }
            }
            for (String b : branches) { // the merges settled every file alike (a criss-cross's virtual base too)
                Map<String, ObjectId> files = repo.readTree(repo.resolve(b)).files();
                for (String f : FILES) {
                    byte[] blob = gitBytes("show", b + ":" + f);
                    assertEquals(TestModels.sha256Of(blob), HexFormat.of().formatHex(repo.readFileEntry(files.get(f)).fileSha256()),
                            "seed " + seed + ": " + b + ":" + f);
                }
            }
            TreeSet<String> paths = new TreeSet<>();
            for (String f : FILES) {
                for (Path p = Path.of(f); p != null; p = p.getParent()) {
                    paths.add(p.toString());
                }
            }
            for (String p : paths) {
                List<String> expected = new ArrayList<>(git("log", "--format=%s", "HEAD", "--", p).lines().toList());
                List<String> got = new ArrayList<>(repo.log("HEAD", -1, List.of(coralDir.resolve(p))).stream()
                        .map(e -> e.commit().message()).toList());
                expected.sort(null);
                got.sort(null);
                assertEquals(expected, got, "seed " + seed + ": log -- " + p);
            }
            for (int k = 0; k < 6 && branches.size() > 1; k++) {
                String a = branches.get(rng.nextInt(branches.size()));
                String b = branches.get(rng.nextInt(branches.size()));
                String c = branches.get(rng.nextInt(branches.size()));
                List<List<String>> selections = List.of(List.of(a + ".." + b), List.of(a + "..." + b), List.of("^" + a, b, c),
                        List.of(b, c), List.of(".." + b), List.of(a + "..."));
                List<String> everything = new ArrayList<>(git("log", "--format=%s", "--all", "^" + a).lines().sorted().toList());
                assertEquals(everything, repo.log(RevisionSet.all(repo, List.of("^" + a)), -1, List.of()).stream()
                        .map(e -> e.commit().message()).sorted().toList(), "seed " + seed + ": log --all ^" + a);
                for (List<String> revs : List.of(List.of(b), List.of(a + ".." + b))) {
                    for (String path : java.util.Arrays.asList(null, FILES.get(rng.nextInt(FILES.size())), "d")) {
                        List<String> args = new ArrayList<>(List.of("log", "--format=%s", "--first-parent"));
                        args.addAll(revs);
                        if (path != null) {
                            args.addAll(List.of("--", path));
                        }
                        assertEquals(git(args.toArray(String[]::new)).lines().sorted().toList(),
                                repo.log(RevisionSet.parse(repo, revs), -1, path == null ? List.of() : List.of(coralDir.resolve(path)), true)
                                        .stream().map(e -> e.commit().message()).sorted().toList(),
                                "seed " + seed + ": log --first-parent " + revs + (path == null ? "" : " -- " + path));
                    }
                }
                for (List<String> revs : selections) {
                    assertSameLog(repo, coralDir, seed, revs, null);
                    assertSameLog(repo, coralDir, seed, revs, FILES.get(rng.nextInt(FILES.size())));
                    assertSameLog(repo, coralDir, seed, revs, "d");
                }
                for (String range : List.of(a + ".." + b, a + "..." + b)) {
                    RevisionSet.DiffRange sides = RevisionSet.diffRange(repo, range);
                    List<String> got = repo.diffFiles(DiffSide.revision(sides.from()), DiffSide.revision(sides.to()), List.of()).stream()
                            .map(f -> f.kind().name().charAt(0) + " " + f.path()).toList();
                    List<String> expected = git("diff", "--name-status", range).lines().map(l -> l.replace('\t', ' ')).toList();
                    assertEquals(expected, got, "seed " + seed + ": diff --name-status " + range);
                }
            }
        }
    }

    /** {@code log REVS [-- PATH]} lists the commits git lists (as sorted messages). */
    private void assertSameLog(Repository repo, Path coralDir, long seed, List<String> revs, String path) throws Exception {
        List<String> args = new ArrayList<>(List.of("log", "--format=%s"));
        args.addAll(revs);
        if (path != null) {
            args.addAll(List.of("--", path));
        }
        List<String> expected = new ArrayList<>(git(args.toArray(String[]::new)).lines().toList());
        List<String> got = new ArrayList<>(repo.log(RevisionSet.parse(repo, revs), -1, path == null ? List.of() : List.of(coralDir.resolve(path)))
                .stream().map(e -> e.commit().message()).toList());
        expected.sort(null);
        got.sort(null);
        assertEquals(expected, got, "seed " + seed + ": log " + String.join(" ", revs) + (path == null ? "" : " -- " + path));
    }

    /** The same bytes in both repositories: one F32 tensor drawn from {@code seed}. */
    private void write(Path coralDir, String file, long seed) throws IOException {
        byte[] b = new byte[16 * 4];
        new Random(seed).nextBytes(b);
        Path c = coralDir.resolve(file);
        Files.createDirectories(c.getParent());
        TestModels.renameInto(c, List.of(Tensors.of("w", TensorSpec.of(DType.F32, 16), b)));
        Path g = gitDir.resolve(file);
        Files.createDirectories(g.getParent());
        Files.copy(c, g, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private void commit(Repository repo, Path coralDir, String message, List<String> files) throws Exception {
        repo.commit(CommitRequest.of(message), files.stream().map(coralDir::resolve).toList());
        List<String> add = new ArrayList<>(List.of("add"));
        add.addAll(files);
        git(add.toArray(String[]::new));
        gitTime++;
        git("commit", "-q", "-m", message);
    }

    /** Runs git in the git repository, with no user or system configuration; its output, or the test fails. */
    private String git(String... args) throws IOException, InterruptedException {
        return new String(gitBytes(args), StandardCharsets.UTF_8);
    }

    /** As {@link #git}, the output's bytes (standard output alone). */
    private byte[] gitBytes(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("git", "-c", "user.name=x", "-c", "user.email=x@y", "-c", "init.defaultBranch=main",
                "-c", "commit.gpgsign=false", "-c", "core.autocrlf=false"));
        cmd.addAll(List.of(args));
        Path err = tmp.resolve("git.err");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(gitDir.toFile()).redirectError(err.toFile());
        Map<String, String> env = pb.environment();
        env.put("GIT_CONFIG_NOSYSTEM", "1");
        env.put("GIT_CONFIG_GLOBAL", "/dev/null");
        env.put("GIT_AUTHOR_DATE", gitTime + " +0000");
        env.put("GIT_COMMITTER_DATE", gitTime + " +0000");
        env.put("LC_ALL", "C");
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        Assertions.assertTrue(p.waitFor(60, TimeUnit.SECONDS), "git timed out");
        assertEquals(0, p.exitValue(), () -> "git " + String.join(" ", args) + ": " + new String(out, StandardCharsets.UTF_8) + readOrNothing(err));
        return out;
    }

    private static String readOrNothing(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            return "";
        }
    }

    /** Skips the test loudly without git, or fails it under CI=true. */
    private static void requireGit() {
        try {
            Process p = new ProcessBuilder("git", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
                return;
            }
        } catch (IOException e) {
            // not there
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        MissingTool.skipLoudly("SKIPPED log -- PATH against git: no git found (Debian's git; .ci/run installs it)");
    }
}
