package dev.coral.api;

import dev.coral.format.TensorSource;
import dev.coral.format.WeightFormats;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Builds small weight files for tests, deterministically from a seed. */
final class TestModels {
    private TestModels() {
    }

    static List<TensorSource> randomTensors(long seed, int count, int maxElements) {
        Random r = new Random(seed);
        List<TensorSource> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int n = 1 + r.nextInt(maxElements);
            byte[] b = new byte[n * 4];
            r.nextBytes(b);
            out.add(Tensors.of("layer" + i + ".weight", TensorSpec.of(DType.F32, n), b));
        }
        return out;
    }

    static Path writeSafetensors(Path file, List<TensorSource> tensors) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (OutputStream out = Files.newOutputStream(file)) {
            WeightFormats.byName("safetensors").orElseThrow().write(tensors, Map.of(), out);
        }
        return file;
    }

    /** An HDF5 file of {@code tensors}, as Coral's own writer writes it (each dataset's object header before its data). */
    static Path writeHdf5(Path file, List<TensorSource> tensors) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (OutputStream out = Files.newOutputStream(file)) {
            WeightFormats.byName("hdf5").orElseThrow().write(tensors, Map.of(), out);
        }
        return file;
    }

    /**
     * A Keras 3 {@code .keras} file of {@code tensors}: a zip of stored members, metadata.json,
     * config.json and model.weights.h5 (Coral's own HDF5 writer), as Keras' saving_lib writes one.
     */
    static Path writeKeras(Path file, List<TensorSource> tensors) throws IOException {
        java.io.ByteArrayOutputStream h5 = new java.io.ByteArrayOutputStream();
        WeightFormats.byName("hdf5").orElseThrow().write(tensors, Map.of(), h5);
        return writeStoredZip(file, List.of(
                Map.entry("metadata.json", "{\"keras_version\": \"3.6.0\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                Map.entry("config.json", "{\"class_name\": \"Sequential\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                Map.entry("model.weights.h5", h5.toByteArray())));
    }

    static Path writeNpy(Path file, TensorSource tensor) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (OutputStream out = Files.newOutputStream(file)) {
            WeightFormats.byName("npy").orElseThrow().write(List.of(tensor), Map.of(), out);
        }
        return file;
    }

    /**
     * An npz of {@code tensors} as {@code np.savez} writes it: every member stored (an npy file
     * each), with a zip timestamp of now, so that no zip Coral writes itself can be mistaken for it.
     */
    static Path writeStoredNpz(Path file, List<TensorSource> tensors) throws IOException {
        List<Map.Entry<String, byte[]>> members = new java.util.ArrayList<>();
        for (TensorSource t : tensors) {
            java.io.ByteArrayOutputStream npy = new java.io.ByteArrayOutputStream();
            WeightFormats.byName("npy").orElseThrow().write(List.of(t), Map.of(), npy);
            members.add(Map.entry(t.name() + ".npy", npy.toByteArray()));
        }
        return writeStoredZip(file, members);
    }

    /**
     * An npz of {@code tensors} as {@code np.savez_compressed} writes it: every member deflated at
     * zlib's default level, with a zip timestamp of now.
     */
    static Path writeCompressedNpz(Path file, List<TensorSource> tensors) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(Files.newOutputStream(file))) {
            for (TensorSource t : tensors) {
                java.util.zip.ZipEntry e = new java.util.zip.ZipEntry(t.name() + ".npy");
                e.setTime(System.currentTimeMillis());
                zip.putNextEntry(e);
                WeightFormats.byName("npy").orElseThrow().write(List.of(t), Map.of(), zip);
                zip.closeEntry();
            }
        }
        return file;
    }

    /** A zip of {@code members} (name and bytes, in order), every one stored, with a zip timestamp of now. */
    private static Path writeStoredZip(Path file, List<Map.Entry<String, byte[]>> members) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(Files.newOutputStream(file))) {
            for (Map.Entry<String, byte[]> m : members) {
                byte[] member = m.getValue();
                java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                crc.update(member);
                java.util.zip.ZipEntry e = new java.util.zip.ZipEntry(m.getKey());
                e.setMethod(java.util.zip.ZipEntry.STORED);
                e.setSize(member.length);
                e.setCompressedSize(member.length);
                e.setCrc(crc.getValue());
                e.setTime(System.currentTimeMillis());
                zip.putNextEntry(e);
                zip.write(member);
                zip.closeEntry();
            }
        }
        return file;
    }

    /**
     * As if the working files of the staging index had been written {@code millis} earlier: each
     * file and its entry backdated alike (size, content and unsynced mark kept), so that no entry
     * is racy (see {@link dev.coral.repo.StagingIndex}). For tests of what happens after that.
     */
    static void backdate(Repository repo, long millis) throws IOException {
        java.util.TreeMap<String, dev.coral.repo.StagingIndex.Entry> next = new java.util.TreeMap<>();
        for (Map.Entry<String, dev.coral.repo.StagingIndex.Entry> x : repo.readIndex().entries().entrySet()) {
            dev.coral.repo.StagingIndex.Entry e = x.getValue();
            if (e.size() >= 0) {
                Path f = repo.workTree().file(x.getKey());
                long t = Files.getLastModifiedTime(f).toMillis() - millis;
                Files.setLastModifiedTime(f, java.nio.file.attribute.FileTime.fromMillis(t));
                e = new dev.coral.repo.StagingIndex.Entry(e.fileEntry(), e.size(), t, dev.coral.repo.FileStamp.of(f).change(), e.sha256(),
                        e.unsynced());
            }
            next.put(x.getKey(), e);
        }
        new dev.coral.repo.StagingIndex(next).write(repo.indexFile());
    }

    /**
     * A safetensors file of {@code tensors} put at {@code file} as training code writes a
     * checkpoint: into a temporary file beside it, renamed over it (another inode at the path).
     */
    static Path renameInto(Path file, List<TensorSource> tensors) throws IOException {
        Path tmp = writeSafetensors(file.resolveSibling(".part-" + file.getFileName()), tensors);
        return Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    static String sha256(Path f) throws IOException {
        return java.util.HexFormat.of().formatHex(dev.coral.repo.FileIngest.FileStat.sha256(f));
    }

    static String sha256Of(byte[] bytes) {
        return java.util.HexFormat.of().formatHex(dev.coral.store.ObjectId.sha256().digest(bytes));
    }

    /**
     * Every file under {@code .coral} with its size, to prove a failed command changed nothing;
     * but the chunk cache, derived data a failed commit may have filled or emptied.
     */
    static String listing(Path root) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (var s = Files.walk(root.resolve(".coral"))) {
            for (Path p : s.sorted().toList()) {
                if (Files.isRegularFile(p) && !p.toString().contains("/locks/") && !p.toString().contains("/cache/chunks/")) {
                    sb.append(root.relativize(p)).append(' ').append(Files.size(p)).append('\n');
                }
            }
        }
        return sb.toString();
    }

    static long coralSize(Path root) throws IOException {
        try (var s = Files.walk(root.resolve(".coral"))) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    /** {@code count} consecutive seeds from a random start (each test prints its seed on failure). */
    static List<Long> randomSeeds(int count) {
        List<Long> s = new java.util.ArrayList<>();
        long base = new java.util.Random().nextLong();
        for (int i = 0; i < count; i++) {
            s.add(base + i);
        }
        return s;
    }

    /** Other bytes in place (the last one changed), the same size and time stamp: a racy edit. */
    static void editKeepingSizeAndTime(Path f) throws IOException {
        java.nio.file.attribute.FileTime t = Files.getLastModifiedTime(f);
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(raf.length() - 1);
            int last = raf.read();
            raf.seek(raf.length() - 1);
            raf.write(last ^ 0x40);
        }
        Files.setLastModifiedTime(f, t);
    }
}
