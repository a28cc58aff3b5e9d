package dev.coral.store;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;

/**
 * Writes packs in the real layout ({@link PackLayout}, {@link PackIndex}) without fsync, so tests
 * can make a thousand packs quickly. Objects are stored raw as chunks.
 */
final class PackFixtures {
    private PackFixtures() {
    }

    /** Writes one pack of {@code objects} (pack, then index) and returns its index. */
    static PackIndex writePack(Path packsDir, List<byte[]> objects) throws IOException {
        Files.createDirectories(packsDir);
        ByteArrayOutputStream pack = new ByteArrayOutputStream();
        pack.writeBytes(PackLayout.MAGIC.getBytes(StandardCharsets.US_ASCII));
        pack.writeBytes(ByteBuffer.allocate(4).putInt(PackLayout.VERSION).array());
        List<PackIndex.Entry> entries = new ArrayList<>();
        for (byte[] o : objects) {
            ObjectId id = ObjectId.hashOf(o);
            long offset = pack.size();
            ByteBuffer e = ByteBuffer.allocate(PackLayout.ENTRY_HEAD_BYTES + o.length + PackLayout.ENTRY_CRC_BYTES);
            e.put((byte) ObjectKind.CHUNK.code()).put((byte) 0).put(id.toBytes()).putLong(o.length).putInt(o.length).put(o);
            CRC32C crc = new CRC32C();
            crc.update(e.array(), 0, e.position());
            e.putInt((int) crc.getValue());
            pack.writeBytes(e.array());
            entries.add(new PackIndex.Entry(id, ObjectKind.CHUNK, 0, offset, o.length, o.length));
        }
        pack.writeBytes(PackLayout.TRAILER_MAGIC.getBytes(StandardCharsets.US_ASCII));
        pack.writeBytes(ByteBuffer.allocate(4).putInt(objects.size()).array());
        CRC32C crc = new CRC32C();
        crc.update(pack.toByteArray());
        pack.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());

        entries.sort(Comparator.comparing(PackIndex.Entry::id));
        List<PackIndex.Entry> unique = new ArrayList<>();
        MessageDigest md = ObjectId.sha256();
        for (PackIndex.Entry e : entries) {
            if (unique.isEmpty() || !unique.get(unique.size() - 1).id().equals(e.id())) {
                unique.add(e);
                md.update(e.id().toBytes());
            }
        }
        ObjectId packId = ObjectId.fromBytes(md.digest());
        byte[] packBytes = pack.toByteArray();
        Files.write(packsDir.resolve(PackLayout.packFileName(packId)), packBytes);
        Path idx = packsDir.resolve(PackLayout.indexFileName(packId));
        Files.write(idx, PackIndex.encode(packId, packBytes.length, unique));
        return PackIndex.read(idx);
    }

    /** A random object of 1 to {@code maxLength} bytes, the same for the same seed. */
    static byte[] seededObject(long seed, int maxLength) {
        byte[] b = new byte[1 + new Random(seed).nextInt(maxLength)];
        new Random(seed * 31 + 7).nextBytes(b);
        return b;
    }

    /** Stores {@link #seededObject seeded objects} {@code from..to-1} (up to 3,000 bytes) one pack each, through the store's inserters. */
    static void insertPacks(ObjectStore store, int from, int to, List<ObjectId> ids) throws IOException {
        for (int i = from; i < to; i++) {
            byte[] b = seededObject(i, 3000);
            try (ObjectInserter ins = store.newInserter()) {
                ObjectId id = ins.insertChunk(b, 0, b.length);
                ins.flush();
                ids.add(id); // listed once findable
            }
        }
    }

    /** {@code n} random objects of 1 to {@code maxLength} bytes. */
    static List<byte[]> randomObjects(Random r, int n, int maxLength) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] b = new byte[1 + r.nextInt(maxLength)];
            r.nextBytes(b);
            out.add(b);
        }
        return out;
    }
}
