package dev.coral.store;

/**
 * Byte layout of a pack file, shared by {@link PackWriter} and {@link PackFile}.
 *
 * <pre>
 * Pack    --&gt; Header, Entry^EntryCount, Trailer
 * Header  --&gt; "CORALPAK", Version u32
 * Entry   --&gt; Kind u8, Codec u8, Id[32], RawLength u64, StoredLength u32, Payload[StoredLength], EntryCrc u32
 * Trailer --&gt; "CORALEND", EntryCount u32, PackCrc u32
 * </pre>
 *
 * All integers big-endian. EntryCrc is the CRC32C of the entry's bytes before it (checked on
 * every read); PackCrc the CRC32C of every byte of the pack before it (checked by fsck). A pack
 * is named {@code pack-HEX.pack} by its id, the SHA-256 of its sorted object ids then its PackCrc
 * (4 bytes, big-endian); its index {@code pack-HEX.idx} is renamed into place last, so a pack is
 * visible only with its index. Two writers that pack the same objects into the same bytes name
 * one pack; a repack that encodes the same objects otherwise names a new one. Packs written
 * before 2026-12-04 are named by their ids alone ({@link #legacyIdOf}): a repack of a repository
 * already in one pack then took its new pack for the old one and kept the old encodings, whatever
 * the settings (found by fuzzing).
 */
final class PackLayout {
    static final String MAGIC = "CORALPAK";
    static final String TRAILER_MAGIC = "CORALEND";
    static final int VERSION = 1;
    static final int HEADER_BYTES = 12;
    static final int ENTRY_HEAD_BYTES = 1 + 1 + ObjectId.BYTES + 8 + 4;
    static final int ENTRY_CRC_BYTES = 4;
    static final int TRAILER_BYTES = 8 + 4 + 4;
    static final String PACK_SUFFIX = ".pack";
    static final String INDEX_SUFFIX = ".idx";
    static final String PREFIX = "pack-";

    private PackLayout() {
    }

    /** The id of a pack holding {@code sortedIds} (ascending) with whole-pack checksum {@code packCrc}. */
    static ObjectId idOf(java.util.List<ObjectId> sortedIds, int packCrc) {
        java.security.MessageDigest md = idsDigest(sortedIds);
        md.update(new byte[] {(byte) (packCrc >>> 24), (byte) (packCrc >>> 16), (byte) (packCrc >>> 8), (byte) packCrc});
        return ObjectId.fromBytes(md.digest());
    }

    /** The id packs written before {@link #idOf} had: the SHA-256 of their sorted object ids alone. */
    static ObjectId legacyIdOf(java.util.List<ObjectId> sortedIds) {
        return ObjectId.fromBytes(idsDigest(sortedIds).digest());
    }

    /** A SHA-256 fed the sorted ids. */
    private static java.security.MessageDigest idsDigest(java.util.List<ObjectId> sortedIds) {
        java.security.MessageDigest md = ObjectId.sha256();
        sortedIds.forEach(id -> md.update(id.toBytes()));
        return md;
    }

    static String packFileName(ObjectId packId) {
        return PREFIX + packId.hex() + PACK_SUFFIX;
    }

    static String indexFileName(ObjectId packId) {
        return PREFIX + packId.hex() + INDEX_SUFFIX;
    }
}
