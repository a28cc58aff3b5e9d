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
 * is named {@code pack-HEX.pack} by its id, the SHA-256 of its sorted object ids; its index
 * {@code pack-HEX.idx} is renamed into place last, so a pack is visible only with its index.
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

    static String packFileName(ObjectId packId) {
        return PREFIX + packId.hex() + PACK_SUFFIX;
    }

    static String indexFileName(ObjectId packId) {
        return PREFIX + packId.hex() + INDEX_SUFFIX;
    }
}
