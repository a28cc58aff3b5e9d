package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.CoralException;
import dev.coral.error.CorruptObjectException;
import dev.coral.io.FaultPoints;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** Damage to one metadata file costs what depends on it, not the whole repository. */
class DamagedMetadataTest {
    @TempDir
    Path dir;

    private static void flip(Path f) throws IOException {
        byte[] b = Files.readAllBytes(f);
        b[b.length / 2] ^= 0x40;
        Files.write(f, b);
    }

    /** gc fails with a message holding {@code part} and saying nothing was removed, and the packs are all there. */
    private void assertGcRefusesRemovingNothing(Repository repo, String part) throws IOException {
        long packs;
        try (Stream<Path> s = Files.list(dir.resolve(".coral/packs"))) {
            packs = s.count();
        }
        CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> repo.gc(false, java.time.Duration.ZERO));
        assertTrue(e.getMessage().contains(part) && e.getMessage().contains("nothing was removed"), e.getMessage());
        try (Stream<Path> s = Files.list(dir.resolve(".coral/packs"))) {
            assertEquals(packs, s.count(), "gc removed nothing");
        }
    }

    private String commitTwo(Repository repo) throws IOException {
        Path m = dir.resolve("m.safetensors");
        TestModels.writeSafetensors(m, TestModels.randomTensors(1, 3, 500));
        repo.add(List.of(m));
        repo.commit(CommitRequest.of("one"));
        String one = TestModels.sha256(m);
        TestModels.writeSafetensors(m, TestModels.randomTensors(2, 3, 500));
        repo.add(List.of(m));
        repo.commit(CommitRequest.of("two"));
        return one;
    }

    @Test
    void aDamagedConfigStillLetsEveryCommitBeReadButRefusesWrites() throws IOException {
        String one;
        try (Repository repo = Repository.init(dir)) {
            one = commitTwo(repo);
        }
        flip(dir.resolve(".coral/config"));
        try (Repository repo = Repository.open(dir)) {
            assertEquals(2, repo.log("HEAD", -1).size());
            repo.checkout("HEAD~1", true);
            assertEquals(one, TestModels.sha256(dir.resolve("m.safetensors")));
            CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> repo.add(List.of(dir.resolve("m.safetensors"))));
            assertTrue(e.getMessage().contains("config") && e.getMessage().contains("checksum"), e.getMessage());
        }
    }

    /** A config file written with a valid checksum around {@code body} (as a hand edit through a tool would leave it). */
    private static void writeConfig(Path f, String body) throws IOException {
        Files.delete(f);
        dev.coral.io.ChecksummedFile.write(f, "CORALCFG", 1, body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * Every way the config can be unreadable (found by fuzzing: a missing one, a link loop and a
     * backslash-u made every command fail, the last as an internal error) is a damaged config:
     * every commit reads, writes are refused naming the file and the repair, and
     * {@code setConfig} rewrites it. A value that does not parse names its key.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"missing", "a link loop", "a folder", "backslash-u", "a bad number", "a bad boolean"})
    void anUnreadableConfigStillLetsEveryCommitBeReadAndSettingAKeyRewritesIt(String damage) throws IOException {
        String one;
        try (Repository repo = Repository.init(dir)) {
            one = commitTwo(repo);
        }
        Path config = dir.resolve(".coral/config");
        String expected = switch (damage) {
            case "missing" -> {
                Files.delete(config);
                yield "config: missing";
            }
            case "a link loop" -> {
                Files.delete(config);
                Files.createSymbolicLink(config, config.getFileName());
                yield "config: cannot be read";
            }
            case "a folder" -> {
                Files.delete(config);
                Files.createDirectories(config.resolve("x"));
                yield "config: cannot be read";
            }
            case "backslash-u" -> {
                writeConfig(config, "zstd.level=3\nnote=C:\\u12\n");
                yield "Malformed";
            }
            case "a bad number" -> {
                writeConfig(config, "zstd.level=three\n");
                yield "config: zstd.level: not a whole number: 'three'";
            }
            default -> {
                writeConfig(config, "codec.zigzag=yes\n");
                yield "config: codec.zigzag: must be true or false: 'yes'";
            }
        };
        try (Repository repo = Repository.open(dir)) {
            assertTrue(repo.configProblem() != null && repo.configProblem().contains(expected), repo.configProblem());
            assertEquals(2, repo.log("HEAD", -1).size());
            repo.checkout("HEAD~1", true);
            assertEquals(one, TestModels.sha256(dir.resolve("m.safetensors")));
            CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> repo.add(List.of(dir.resolve("m.safetensors"))));
            assertTrue(e.getMessage().contains(expected) && e.getMessage().contains("'coral config KEY VALUE'"), e.getMessage());
            String format = Files.exists(dir.resolve(".coral/format")) ? Files.readString(dir.resolve(".coral/format"), java.nio.charset.StandardCharsets.ISO_8859_1) : null;
            CorruptObjectException r = assertThrows(CorruptObjectException.class, repo::repack, "repack re-encodes with the settings");
            assertTrue(r.getMessage().contains(expected), r.getMessage());
            assertEquals(format, Files.exists(dir.resolve(".coral/format")) ? Files.readString(dir.resolve(".coral/format"), java.nio.charset.StandardCharsets.ISO_8859_1) : null,
                    "nothing declared");
            if (damage.equals("a folder")) {
                IOException busy = assertThrows(IOException.class, () -> repo.setConfig("zstd.level", "2"));
                assertTrue(busy.getMessage().contains("config: a folder is in its place"), busy.getMessage());
                Repository.deleteTree(config);
            }
            repo.setConfig("zstd.level", "2");
            assertEquals(null, repo.configProblem());
            repo.add(List.of(dir.resolve("m.safetensors")));
        }
        try (Repository repo = Repository.open(dir)) {
            assertEquals(2, repo.config().zstdLevel());
        }
    }

    /**
     * Keys this Coral does not know (a newer Coral's, or a typo) are kept by 'coral config KEY
     * VALUE' and named by fsck (they were dropped in silence: a newer Coral's setting lost).
     */
    @Test
    void unknownSettingsAreKeptAndNamed() throws IOException {
        try (Repository repo = Repository.init(dir)) {
            commitTwo(repo);
        }
        Path config = dir.resolve(".coral/config");
        writeConfig(config, "zstd.level=3\ncodec.future=false\nzstd.lvel=9\nnote=a b=c:d\\\\e\n");
        try (Repository repo = Repository.open(dir)) {
            assertEquals(null, repo.configProblem());
            assertEquals(3, repo.config().zstdLevel());
            List<dev.coral.maintenance.Finding> warnings = repo.fsck(false).warnings();
            assertTrue(warnings.stream().anyMatch(f -> f.file().equals("config") && f.message().contains("codec.future, note, zstd.lvel")),
                    warnings::toString);
            repo.setConfig("zstd.level", "2");
        }
        assertEquals(java.util.Map.of("codec.future", "false", "zstd.lvel", "9", "note", "a b=c:d\\e"),
                dev.coral.repo.RepositoryConfig.unknownSettings(config));
        try (Repository repo = Repository.open(dir)) {
            assertEquals(2, repo.config().zstdLevel());
        }
    }

    /** A size in a hand-edited config takes the suffixes 'coral config' takes (it said: For input string: "64K"). */
    @Test
    void aHandEditedSizeTakesSuffixes() throws IOException {
        try (Repository repo = Repository.init(dir)) {
            commitTwo(repo);
        }
        writeConfig(dir.resolve(".coral/config"), "chunk.bytes=64K\ncache.bytes=2G\n");
        try (Repository repo = Repository.open(dir)) {
            assertEquals(null, repo.configProblem());
            assertEquals(65536, repo.config().chunkBytes());
            assertEquals(2L << 30, repo.config().cacheBytes());
        }
    }

    @Test
    void aDamagedPackIndexIsSkippedAndNamedWhenItsObjectsAreNeeded() throws IOException {
        try (Repository repo = Repository.init(dir)) {
            commitTwo(repo);
        }
        Path idx;
        try (Stream<Path> s = Files.list(dir.resolve(".coral/packs"))) {
            idx = s.filter(p -> p.toString().endsWith(".idx")).sorted().findFirst().orElseThrow();
        }
        flip(idx);
        try (Repository repo = Repository.open(dir)) {
            CoralException e = assertThrows(CoralException.class, () -> {
                for (var c : repo.log("HEAD", -1)) {
                    for (var t : repo.tensors(c.id().hex(), "m.safetensors")) {
                        try (var in = t.openStream()) {
                            in.readAllBytes();
                        }
                    }
                }
            });
            assertTrue(e.getMessage().contains("fsck --rebuild-index") || e.getMessage().contains(idx.getFileName().toString()), e.getMessage());
        }
    }

    @Test
    void aDamagedStagingIndexIsRebuiltByAForcedCheckout() throws IOException {
        String one;
        try (Repository repo = Repository.init(dir)) {
            one = commitTwo(repo);
        }
        flip(dir.resolve(".coral/index"));
        try (Repository repo = Repository.open(dir)) {
            CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> repo.checkout("HEAD~1", false));
            assertTrue(e.getMessage().contains("--force"), e.getMessage());
            repo.checkout("HEAD~1", true);
            assertEquals(one, TestModels.sha256(dir.resolve("m.safetensors")));
            assertTrue(repo.status().isClean(), "the index is whole again");
        }
    }

    /**
     * A missing staging index, once there are commits, is a lost one, not an empty one: read as
     * empty, status showed every file deleted, the next commit dropped them from the branch and gc
     * deleted the staged objects (found by fuzzing). Now each names the file and changes nothing,
     * fsck reports it, and a forced checkout writes it again.
     */
    @Test
    void aMissingStagingIndexIsDamageOnceThereAreCommits() throws IOException {
        Path m = dir.resolve("m.safetensors");
        Path other = dir.resolve("o.safetensors");
        String two;
        try (Repository repo = Repository.init(dir)) {
            assertTrue(repo.status().isClean(), "no index before the first add is an empty one");
            commitTwo(repo);
            two = TestModels.sha256(m);
            TestModels.writeSafetensors(other, TestModels.randomTensors(3, 2, 300));
            repo.add(List.of(other)); // staged only: gc must not lose it
        }
        Path index = dir.resolve(".coral/index");
        byte[] saved = Files.readAllBytes(index);
        Files.delete(index);
        try (Repository repo = Repository.open(dir)) {
            String head = repo.headCommit().hex();
            for (org.junit.jupiter.api.function.Executable e : List.<org.junit.jupiter.api.function.Executable>of(
                    repo::status, () -> repo.add(List.of(m)), () -> repo.commit(CommitRequest.of("three")),
                    () -> repo.gc(false, java.time.Duration.ZERO))) {
                CorruptObjectException x = assertThrows(CorruptObjectException.class, e);
                assertTrue(x.getMessage().contains(index.toString()) && x.getMessage().contains("missing"), x.getMessage());
            }
            assertEquals(head, repo.headCommit().hex(), "no commit was made");
            dev.coral.maintenance.FsckReport r = repo.fsck(false);
            assertTrue(r.problems().stream().anyMatch(f -> f.file().equals("index") && f.message().contains("missing")), r.toString());
        }
        Files.write(index, saved);
        try (Repository repo = Repository.open(dir)) {
            assertTrue(repo.fsck(false).problems().isEmpty(), "gc removed nothing the index stages");
            assertEquals(1, repo.status().staged().size());
        }
        Files.delete(index);
        try (Repository repo = Repository.open(dir)) {
            repo.checkout("HEAD", true);
            assertEquals(two, TestModels.sha256(m));
            assertTrue(repo.status().isClean(), repo.status().toString());
        }
    }

    /**
     * An index looked for just before another writer's first commit wrote it and moved HEAD is
     * not a lost one (found by ConcurrentCommitTest, 1 run in 12): the commit writes the index
     * before HEAD, so once HEAD names a commit the index is looked for again.
     */
    @Test
    void anIndexWrittenByAFirstCommitWhileItWasLookedForIsRead() throws Exception {
        try (Repository repo = Repository.init(dir); Repository other = Repository.open(dir)) {
            java.util.concurrent.ExecutorService writer = java.util.concurrent.Executors.newSingleThreadExecutor();
            try {
                dev.coral.io.FaultPoints.install(point -> {
                    if (point.equals("index.foundMissing")) {
                        dev.coral.io.FaultPoints.install(null);
                        try {
                            writer.submit(() -> other.commitTensors("a.safetensors", TestModels.randomTensors(1, 1, 10),
                                    java.util.Map.of(), CommitRequest.of("first"))).get();
                        } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
                            throw new IOException(e);
                        }
                    }
                });
                assertEquals(List.of("a.safetensors"), List.copyOf(repo.readIndex().entries().keySet()));
            } finally {
                dev.coral.io.FaultPoints.install(null);
                writer.shutdownNow();
            }
        }
    }

    /**
     * A .coral folder without HEAD is a damaged repository, not none: commands inside it went up to
     * an outer repository and committed its files, and fsck could not name the file (found by
     * fuzzing). Now each names .coral/HEAD, and a forced checkout of a branch writes it again.
     */
    @Test
    void aMissingHeadIsNamedAndNeverSendsCommandsToAnOuterRepository() throws IOException {
        Path inner = dir.resolve("inner");
        try (Repository outer = Repository.init(dir)) {
            commitTwo(outer);
        }
        Path m = inner.resolve("m.safetensors");
        try (Repository repo = Repository.init(inner)) {
            TestModels.writeSafetensors(m, TestModels.randomTensors(5, 2, 100));
            repo.add(List.of(m));
            repo.commit(CommitRequest.of("inner"));
        }
        Files.delete(inner.resolve(".coral/HEAD"));
        assertEquals(inner, Repository.rootOf(inner.resolve("sub")), "the inner repository, damaged, still holds its folder");
        try (Repository repo = Repository.discover(inner)) {
            CorruptObjectException e = assertThrows(CorruptObjectException.class, repo::status);
            assertEquals(inner.resolve(".coral/HEAD") + ": missing (checkout --force BRANCH writes it again)", e.getMessage());
            assertThrows(CorruptObjectException.class, () -> repo.commit(CommitRequest.of("x")));
            dev.coral.maintenance.FsckReport r = repo.fsck(false);
            assertEquals(1, r.problems().size(), r.toString());
            assertTrue(r.problems().get(0).file().equals("HEAD") && r.problems().get(0).message().contains("missing"), r.toString());
            repo.checkout("main", true);
            assertEquals("main", repo.status().branch());
            assertTrue(repo.fsck(false).problems().isEmpty());
        }
    }

    /**
     * A link in the place of HEAD or a ref (to a device, to another ref, to nothing) is damage
     * named at once: a link to /dev/zero was read for ever, growing the heap, and a branch that
     * was a link was left out of fsck's walk, which said "no problems" (found by fuzzing). gc,
     * which must know every root, removes nothing.
     */
    @Test
    void aLinkInPlaceOfHeadOrARefIsNamedNotFollowed() throws IOException {
        try (Repository repo = Repository.init(dir)) {
            commitTwo(repo);
            repo.createBranch("exp", "HEAD~1");
        }
        Path head = dir.resolve(".coral/HEAD");
        Path exp = dir.resolve(".coral/refs/heads/exp");
        Path main = dir.resolve(".coral/refs/heads/main");
        byte[] headBytes = Files.readAllBytes(head);
        for (Path target : List.of(Path.of("/dev/zero"), main, dir.resolve("nowhere"))) {
            if (!Files.exists(target) && target.startsWith("/dev")) {
                continue;
            }
            Files.delete(head);
            Files.createSymbolicLink(head, target);
            try (Repository repo = Repository.open(dir)) {
                CorruptObjectException e = assertThrows(CorruptObjectException.class, repo::status);
                assertTrue(e.getMessage().startsWith(head + ": a symbolic link"), e.getMessage());
            }
            Files.delete(head);
            Files.write(head, headBytes);
            Files.move(exp, dir.resolve("exp.saved"));
            Files.createSymbolicLink(exp, target);
            try (Repository repo = Repository.open(dir)) {
                dev.coral.maintenance.FsckReport r = repo.fsck(false);
                assertTrue(r.problems().stream().anyMatch(f -> f.file().equals("refs/heads/exp") && f.message().contains("symbolic link")),
                        r.toString());
                assertGcRefusesRemovingNothing(repo, "");
            }
            Files.delete(exp);
            Files.move(dir.resolve("exp.saved"), exp);
        }
    }

    /**
     * A first commit that stored its commit object and then could not make its branch (a full
     * disk; found by perf/tools/disk-full-fuzz.py --writers): the commit no ref names is no lost
     * branch's history. The next commit makes the branch, gc runs and removes the failed one, and
     * fsck warns of nothing. Until then every later commit and gc refused ("HEAD names branch
     * 'main', which does not exist, though the repository stores commits"). A branch lost after
     * that is still refused.
     */
    @Test
    void aFirstCommitThatCouldNotMakeItsBranchIsNoLostBranch() throws IOException {
        Path m = dir.resolve("m.safetensors");
        Path main = dir.resolve(".coral/refs/heads/main");
        try (Repository repo = Repository.init(dir)) {
            TestModels.writeSafetensors(m, TestModels.randomTensors(9, 3, 500));
            repo.add(List.of(m));
            FaultPoints.install(point -> {
                if (point.equals("commit.objectsWrittenBeforeRef")) {
                    throw new IOException("No space left on device");
                }
            });
            try {
                assertThrows(IOException.class, () -> repo.commit(CommitRequest.of("one")));
            } finally {
                FaultPoints.install(null);
            }
            assertTrue(Files.notExists(main), "no branch was made");
            ObjectId one = repo.commit(CommitRequest.of("one again"));
            assertEquals(List.of(one), repo.log("HEAD", -1).stream().map(e -> e.id()).toList());
            assertTrue(repo.fsck(false).warnings().isEmpty(), repo.fsck(false).toString());
            repo.gc(false, java.time.Duration.ZERO);
            try (Stream<Path> s = Files.list(dir.resolve(".coral/roots"))) {
                assertEquals(List.of(), s.toList(), "gc removed the failed commit and its record");
            }
            assertTrue(repo.fsck(false).clean(), repo.fsck(false).toString());
        }
        Files.delete(main);
        try (Repository repo = Repository.open(dir)) {
            TestModels.writeSafetensors(m, TestModels.randomTensors(10, 3, 500));
            repo.add(List.of(m));
            CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> repo.commit(CommitRequest.of("two")));
            assertTrue(e.getMessage().startsWith("HEAD names branch 'main', which does not exist"), e.getMessage());
        }
    }

    /**
     * HEAD's branch file lost while commits are stored: a commit started a new root history on
     * it, and gc then deleted the old one (found by fuzzing). Coral makes no unborn branch once
     * commits exist, so the commit is refused, naming the branch, and nothing is written; gc
     * refuses too, removing nothing.
     */
    @Test
    void aCommitOnALostBranchIsRefusedNotARootCommit() throws IOException {
        Path m = dir.resolve("m.safetensors");
        try (Repository repo = Repository.init(dir)) {
            commitTwo(repo);
        }
        Path main = dir.resolve(".coral/refs/heads/main");
        byte[] saved = Files.readAllBytes(main);
        Files.delete(main);
        try (Repository repo = Repository.open(dir)) {
            TestModels.writeSafetensors(m, TestModels.randomTensors(9, 3, 500));
            repo.add(List.of(m));
            CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> repo.commit(CommitRequest.of("three")));
            assertTrue(e.getMessage().startsWith("HEAD names branch 'main', which does not exist, though the repository stores commits"),
                    e.getMessage());
            assertTrue(Files.notExists(main), "no branch was made");
            assertGcRefusesRemovingNothing(repo, "HEAD names branch 'main', which does not exist");
        }
        Files.write(main, saved);
        try (Repository repo = Repository.open(dir)) {
            assertEquals(2, repo.log("HEAD", -1).size());
            repo.commit(CommitRequest.of("three"));
            assertEquals(3, repo.log("HEAD", -1).size());
        }
    }

    /** An object missing because its pack's index is gone names that pack and the fsck that rebuilds it (it named no file). */
    @Test
    void aMissingObjectNamesAPackWithoutAnIndex() throws IOException {
        try (Repository repo = Repository.init(dir)) {
            commitTwo(repo);
        }
        try (Stream<Path> files = Files.list(dir.resolve(".coral/packs"))) {
            for (Path f : files.filter(f -> !f.getFileName().toString().endsWith(".pack")).toList()) {
                Files.delete(f); // every pack index and the multi-pack index
            }
        }
        try (Repository repo = Repository.open(dir)) {
            IOException e = assertThrows(IOException.class, () -> repo.log("HEAD", -1));
            assertTrue(e.getMessage().matches(".*packs/pack-[0-9a-f]{64}\\.pack has no readable index.*fsck --rebuild-index.*"), e.getMessage());
        }
    }

    /**
     * refs/heads or refs/tags replaced by a file, or gone: read as holding no refs, fsck said "no
     * problems" and gc deleted every commit (found by fuzzing). Now fsck names the folder, and gc
     * refuses, removing nothing.
     */
    @Test
    void aRefsFolderThatIsNotAFolderStopsGcAndIsNamedByFsck() throws IOException {
        try (Repository repo = Repository.init(dir)) {
            commitTwo(repo);
            repo.createTag("v1", "HEAD~1", null);
        }
        for (String folder : List.of("refs/tags", "refs/heads", "refs")) {
            Path f = dir.resolve(".coral").resolve(folder);
            Path aside = dir.resolve("aside");
            Files.move(f, aside);
            for (boolean asFile : List.of(true, false)) {
                if (asFile) {
                    Files.write(f, new byte[] {1});
                }
                try (Repository repo = Repository.open(dir)) {
                    assertGcRefusesRemovingNothing(repo, folder);
                    dev.coral.maintenance.FsckReport r = repo.fsck(false);
                    assertTrue(!r.clean() && r.problems().stream().anyMatch(p -> p.message().contains("refs/")), folder + ": " + r);
                }
                Files.deleteIfExists(f);
            }
            Files.move(aside, f);
            try (Repository repo = Repository.open(dir)) {
                assertTrue(repo.fsck(false).clean());
                assertEquals(2, repo.log("HEAD", -1).size());
            }
        }
    }

    /** .coral/packs replaced by a file: every command said only "already exists" (found by fuzzing); now "not a folder". */
    @Test
    void aPacksFolderThatIsAFileIsNamed() throws IOException {
        try (Repository repo = Repository.init(dir)) {
            commitTwo(repo);
        }
        Path packs = dir.resolve(".coral/packs");
        Files.move(packs, dir.resolve("aside"));
        Files.write(packs, new byte[] {1});
        CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> Repository.open(dir));
        assertEquals(packs + ": not a folder (Coral keeps every pack in it; put the folder back)", e.getMessage());
        dev.coral.maintenance.FsckReport r = Maintenance.fsck(dir.resolve(".coral"), false);
        assertTrue(r.problems().stream().anyMatch(f -> f.message().contains("not a folder") && !f.message().contains("rebuild-index")),
                r.toString());
    }
}
