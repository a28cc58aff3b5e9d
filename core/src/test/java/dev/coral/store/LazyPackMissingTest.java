package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pack the multi-pack index told of (lazy, never opened) that was later given its own index
 * ({@code ObjectStore} reads it when the multi-pack index is dropped as stale), then deleted by
 * another writer's pack merge before its first read: the read fails as a missing pack, which the
 * store answers by looking the object up again. Found by fuzzing mixed commands: it failed with
 * the bare {@link NoSuchFileException}, which nothing retried, so export, show and log beside
 * committing processes failed with "pack-X.pack: no such file or folder".
 */
class LazyPackMissingTest {
    @TempDir
    Path dir;

    @Test
    void aLazyPackGivenItsIndexThenDeletedIsAMissingPack() throws Exception {
        Path packs = dir.resolve("packs");
        PackIndex idx = PackFixtures.writePack(packs, PackFixtures.randomObjects(new Random(4), 3, 500));
        PackFile p = PackFile.lazy(packs, idx.packId(), idx.packLength(), null);
        p.attachIndex(idx);
        Files.delete(packs.resolve(PackLayout.packFileName(idx.packId())));
        assertThrows(PackFile.MissingPackException.class, () -> p.readPayload(idx.entryAt(0)));
    }

    @Test
    void aPackOpenedFromItsFileThatIsMissingIsForItsCallerToName() throws Exception {
        Path packs = dir.resolve("packs");
        PackIndex idx = PackFixtures.writePack(packs, List.of(new byte[] {1, 2, 3}));
        Files.delete(packs.resolve(PackLayout.packFileName(idx.packId())));
        assertThrows(NoSuchFileException.class, () -> PackFile.open(packs.resolve(PackLayout.packFileName(idx.packId())), idx));
    }
}
