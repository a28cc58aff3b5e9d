package dev.coral.repo;

import dev.coral.error.CorruptObjectException;
import dev.coral.error.UnsupportedVersionException;
import dev.coral.io.BinaryReader;
import dev.coral.io.BinaryWriter;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectKind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One tracked weight file: its format, what the format needs to give it back, and its tensors in
 * file order. {@code fileSha256} is of the file as added, so a byte-identical checkout can be
 * verified as it is written.
 *
 * <pre>Body --&gt; Format string, FileSize varlong, FileSha256[32], RestoreInfo blob,
 *          MetaCount varint, (Key string, Value string)^MetaCount,
 *          TensorCount varint, (Name string, TensorId[32])^TensorCount,
 *          LossyEps string     (version 2; "" unless the tensors were quantized by a lossy commit),
 *          FileCrc32c+1 varlong (version 3; 0 when unknown)</pre>
 */
public record FileEntry(String format, long fileSize, byte[] fileSha256, byte[] restoreInfo,
                        Map<String, String> metadata, List<NamedTensor> tensors, String lossyEps, long fileCrc32c) {
    static final int VERSION = 3;

    public FileEntry(String format, long fileSize, byte[] fileSha256, long fileCrc32c, byte[] restoreInfo,
                     Map<String, String> metadata, List<NamedTensor> tensors) {
        this(format, fileSize, fileSha256, restoreInfo, metadata, tensors, "", fileCrc32c);
    }

    /** True when the entry records the CRC32C of the file as added (entries from version 3 on). */
    public boolean hasFileCrc32c() {
        return fileCrc32c >= 0;
    }

    public boolean isLossy() {
        return !lossyEps.isEmpty();
    }

    /** A tensor of the file, by name. */
    public record NamedTensor(String name, ObjectId tensorId) {
    }

    public FileEntry {
        metadata = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        tensors = List.copyOf(tensors);
        lossyEps = lossyEps == null ? "" : lossyEps;
        if (fileCrc32c < -1 || fileCrc32c > 0xFFFFFFFFL) {
            throw new IllegalArgumentException("file CRC32C out of range: " + fileCrc32c);
        }
    }

    byte[] encode() {
        BinaryWriter w = ObjectEnvelope.begin(ObjectKind.FILE, VERSION);
        w.string(format).varLong(fileSize).bytes(fileSha256).blob(restoreInfo).varInt(metadata.size());
        metadata.forEach((k, v) -> w.string(k).string(v));
        w.varInt(tensors.size());
        for (NamedTensor t : tensors) {
            w.string(t.name()).bytes(t.tensorId().toBytes());
        }
        w.string(lossyEps);
        w.varLong(fileCrc32c + 1);
        return w.toByteArray();
    }

    static FileEntry decode(byte[] content, ObjectId id) throws CorruptObjectException, UnsupportedVersionException {
        int version = ObjectEnvelope.version(content);
        BinaryReader r = ObjectEnvelope.open(content, ObjectKind.FILE, id, VERSION);
        String format = r.string();
        long size = r.varLong();
        byte[] sha = r.bytes(32);
        byte[] restore = r.blob();
        int m = r.varInt();
        Map<String, String> meta = new LinkedHashMap<>();
        for (int i = 0; i < m; i++) {
            meta.put(r.string(), r.string());
        }
        int n = r.varInt();
        List<NamedTensor> tensors = new ArrayList<>(Math.min(n, 1 << 16));
        for (int i = 0; i < n; i++) {
            tensors.add(new NamedTensor(r.string(), ObjectId.fromBytes(r.bytes(ObjectId.BYTES))));
        }
        String lossy = version >= 2 ? r.string() : "";
        long crc = version >= 3 ? r.varLong() - 1 : -1;
        if (crc < -1 || crc > 0xFFFFFFFFL) {
            throw new CorruptObjectException("file entry " + id.hex() + ": file CRC32C field out of range");
        }
        r.expectEnd();
        return new FileEntry(format, size, sha, restore, meta, tensors, lossy, crc);
    }
}
