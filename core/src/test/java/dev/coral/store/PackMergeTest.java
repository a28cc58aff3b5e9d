package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.CorruptObjectException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link PackMerge} copies entries as they are (head, payload and CRC, through one reused buffer):
 * the merged pack verifies, every entry reads back with the same kind, codec, lengths and payload,
 * and a damaged source entry stops the merge with the sources untouched.
 */
class PackMergeTest {
    @TempDir
    Path dir;

    /** Entries of every size from empty to past the buffer's first growth, in packs of random make-up. */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void mergedEntriesAreTheSourceEntries(long seed) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        Path packs = dir.resolve("packs");
        List<ObjectId> packIds = new ArrayList<>();
        Map<ObjectId, byte[]> objects = new HashMap<>();
        int packCount = 2 + r.nextInt(5);
        for (int p = 0; p < packCount; p++) {
            List<byte[]> in = new ArrayList<>();
            int n = 1 + r.nextInt(6);
            for (int i = 0; i < n; i++) {
                int len = switch (r.nextInt(4)) {
                    case 0 -> r.nextInt(3);
                    case 1 -> r.nextInt(100);
                    case 2 -> r.nextInt(5000);
                    default -> 200_000 + r.nextInt(600_000);
                };
                byte[] o = new byte[len];
                r.nextBytes(o);
                if (!objects.isEmpty() && r.nextInt(5) == 0) {
                    o = objects.values().iterator().next(); // an object in two packs: merged once
                }
                in.add(o);
                objects.put(ObjectId.hashOf(o), o);
            }
            packIds.add(PackFixtures.writePack(packs, in).packId());
        }
        Path target = dir.resolve("merged");
        Files.createDirectories(target);
        ObjectId merged = PackMerge.merge(packs, packIds, target);

        PackVerifier.Result v = PackVerifier.verify(target, merged);
        assertEquals(List.of(), v.problems(), "seed " + seed);
        PackIndex index = PackIndex.read(target.resolve(PackLayout.indexFileName(merged)));
        assertEquals(objects.size(), index.size(), "seed " + seed + ": each object once");
        try (PackFile f = PackFile.open(target.resolve(PackLayout.packFileName(merged)), index)) {
            for (int i = 0; i < index.size(); i++) {
                PackIndex.Entry e = index.entryAt(i);
                byte[] want = objects.get(e.id());
                assertArrayEquals(want, f.readPayload(e), "seed " + seed + ": object " + e.id().hex());
                assertEquals(ObjectKind.CHUNK, e.kind());
                assertEquals(0, e.codec());
                assertEquals(want.length, e.rawLength());
                assertEquals(want.length, e.storedLength());
            }
        }
    }

    @Test
    void aDamagedEntryStopsTheMergeAndLeavesTheSources() throws IOException {
        Path packs = dir.resolve("packs");
        PackIndex a = PackFixtures.writePack(packs, List.of(PackFixtures.seededObject(1, 3000), PackFixtures.seededObject(2, 3000)));
        PackIndex b = PackFixtures.writePack(packs, List.of(PackFixtures.seededObject(3, 3000)));
        Path packB = packs.resolve(PackLayout.packFileName(b.packId()));
        byte[] bytes = Files.readAllBytes(packB);
        int at = (int) b.entryAt(0).offset() + PackLayout.ENTRY_HEAD_BYTES + 10;
        bytes[at] ^= 0x10;
        Files.write(packB, bytes);
        List<Path> before = listing(packs);

        CorruptObjectException e = assertThrows(CorruptObjectException.class,
                () -> PackMerge.mergeInPlace(packs, List.of(a.packId(), b.packId())));
        assertTrue(e.getMessage().contains(packB.getFileName().toString()) && e.getMessage().contains("checksum"), e.getMessage());
        assertEquals(before, listing(packs), "no merged pack, no source deleted, no temporary file left");
        assertArrayEquals(bytes, Files.readAllBytes(packB));
    }

    private static List<Path> listing(Path d) throws IOException {
        try (var s = Files.list(d)) {
            return s.map(Path::getFileName).sorted().toList();
        }
    }
}
