package dev.coral.repo;

import dev.coral.error.CorruptObjectException;
import dev.coral.format.WeightFileFormat;
import dev.coral.format.WeightFormats;
import dev.coral.io.AtomicFile;
import dev.coral.store.ObjectId;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Writes a tracked file back from its entry: into a temporary sibling, fsynced, renamed over the
 * target, so a failure never leaves a half-written model. Formats that promise byte-identical
 * checkout (safetensors, npy) are checked against the SHA-256 recorded when the file was added.
 */
public final class FileRestore {
    private final ObjectGraph graph;

    public FileRestore(ObjectGraph graph) {
        this.graph = graph;
    }

    /** Formats whose checkout reproduces the added file byte for byte. */
    public static boolean isByteIdentical(String format) {
        return format.equals("safetensors") || format.equals("npy");
    }

    public List<StoredTensor> tensors(FileEntry entry) throws IOException {
        List<StoredTensor> out = new ArrayList<>();
        for (FileEntry.NamedTensor t : entry.tensors()) {
            out.add(new StoredTensor(t.name(), t.tensorId(), graph.tensor(t.tensorId()), graph.store()));
        }
        return out;
    }

    /** Restores {@code entry} to {@code target}; returns the written file's stat. */
    public FileIngest.FileStat restore(FileEntry entry, Path target, String displayPath) throws IOException {
        WeightFileFormat format = WeightFormats.byName(entry.format())
                .orElseThrow(() -> new CorruptObjectException(displayPath + ": unknown format '" + entry.format() + "' in its file entry"));
        List<StoredTensor> sources = tensors(entry);
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = AtomicFile.tempSibling(target);
        MessageDigest md = ObjectId.sha256();
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                OutputStream out = new DigestOutputStream(new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 20), md);
                format.restore(entry.restoreInfo(), sources, out);
                out.flush();
                ch.force(true);
            }
            byte[] sha = md.digest();
            if (isByteIdentical(entry.format()) && !Arrays.equals(sha, entry.fileSha256())) {
                throw new CorruptObjectException(displayPath + ": restored bytes have sha256 " + HexFormat.of().formatHex(sha)
                        + ", the file added had " + HexFormat.of().formatHex(entry.fileSha256()));
            }
            AtomicFile.moveIntoPlace(tmp, target);
            return new FileIngest.FileStat(Files.size(target), Files.getLastModifiedTime(target).toMillis(), sha);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Writes {@code entry}'s tensors as a new file of {@code format} (export). */
    public void export(FileEntry entry, WeightFileFormat format, Path target) throws IOException {
        List<StoredTensor> sources = tensors(entry);
        Path tmp = AtomicFile.tempSibling(target);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 20);
                format.write(sources, entry.metadata(), out);
                out.flush();
                ch.force(true);
            }
            AtomicFile.moveIntoPlace(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
