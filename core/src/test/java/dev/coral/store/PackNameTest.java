package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pack's name is the SHA-256 of its sorted object ids and its whole-pack checksum: the same
 * objects in the same bytes name one pack (a second writer's copy is dropped), the same objects
 * encoded otherwise name another; packs named the old way, by their ids alone, keep being read
 * and their indexes rebuilt.
 */
class PackNameTest {
    @TempDir
    Path dir;

    private static final ObjectId A = ObjectId.hashOf("a".getBytes(StandardCharsets.UTF_8));
    private static final ObjectId B = ObjectId.hashOf("b".getBytes(StandardCharsets.UTF_8));

    /** A pack of A and B with payloads {@code pa} and {@code pb}. */
    private PackIndex write(Path packs, byte[] pa, byte[] pb) throws IOException {
        try (PackWriter w = new PackWriter(packs)) {
            w.append(ObjectKind.TREE, StoredForm.RAW.code, A, pa.length, pa, pa.length);
            w.append(ObjectKind.TREE, StoredForm.RAW.code, B, pb.length, pb, pb.length);
            return w.finish();
        }
    }

    @Test
    void theSameObjectsInOtherBytesNameAnotherPackAndInTheSameBytesTheSame() throws IOException {
        Path packs = dir.resolve("packs");
        PackIndex first = write(packs, new byte[] {1, 2}, new byte[] {3});
        PackIndex same = write(packs, new byte[] {1, 2}, new byte[] {3});
        assertEquals(first.packId(), same.packId());
        assertEquals(1, PackMerge.packsIn(packs).size(), "the second copy was dropped");
        PackIndex other = write(dir.resolve("other"), new byte[] {1, 2, 0}, new byte[] {3});
        assertNotEquals(first.packId(), other.packId(), "same ids, other bytes: another name");
        assertEquals(PackLayout.legacyIdOf(List.of(A, B).stream().sorted().toList()),
                PackLayout.legacyIdOf(List.of(B, A).stream().sorted().toList()));
        assertNotEquals(PackLayout.legacyIdOf(List.of(A, B).stream().sorted().toList()), first.packId());
    }

    @Test
    void aPackNamedByItsIdsAloneIsReadAndItsIndexRebuilt() throws IOException {
        Path packs = dir.resolve("packs");
        PackIndex written = write(packs, new byte[] {7, 8, 9}, new byte[] {4});
        ObjectId legacy = PackLayout.legacyIdOf(List.of(A, B).stream().sorted().toList());
        Files.move(packs.resolve(PackLayout.packFileName(written.packId())), packs.resolve(PackLayout.packFileName(legacy)));
        Files.delete(packs.resolve(PackLayout.indexFileName(written.packId())));
        assertTrue(PackVerifier.rebuildIndex(packs, legacy), "the old name is the pack's");
        try (ObjectStore store = new ObjectStore(packs, 1)) {
            assertTrue(store.contains(A) && store.contains(B), "the store finds both objects through the rebuilt index");
        }
        ObjectId wrong = ObjectId.hashOf(new byte[] {5});
        Files.move(packs.resolve(PackLayout.packFileName(legacy)), packs.resolve(PackLayout.packFileName(wrong)));
        assertFalse(PackVerifier.rebuildIndex(packs, wrong), "a name that is neither the old nor the new one is not taken");
    }
}
