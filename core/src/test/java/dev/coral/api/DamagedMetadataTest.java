package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.CoralException;
import dev.coral.error.CorruptObjectException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
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
}
