package dev.coral.perf.stress;

import com.github.luben.zstd.Zstd;
import dev.coral.io.BackgroundRelease;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The same-run baselines every figure stands beside: Files.copy (+ fsync, as Coral fsyncs) of the
 * same bytes, SHA-256 of the same bytes, and zstd -3 / -19 of each raw checkpoint. Each method
 * adds into a running total so a scenario can sum over its checkpoints.
 */
public final class Baselines {
    long bytes;
    double copySeconds;
    double hashSeconds;
    long zstd3Bytes;
    double zstd3Seconds;
    long zstd19Bytes;
    long zstd19RawBytes;
    double zstd19Seconds;
    private final Path scratch;

    public Baselines(Path scratch) {
        this.scratch = scratch;
    }

    /** Copy, hash and zstd -3 of {@code data}; zstd -19 too when {@code with19}. */
    public void measure(byte[] data, boolean with19) throws IOException {
        bytes += data.length;
        Path src = scratch.resolve("baseline-src.bin");
        Files.write(src, data);
        long t0 = System.nanoTime();
        copyDurably(src, scratch.resolve("baseline-dst.bin"));
        copySeconds += (System.nanoTime() - t0) / 1e9;
        t0 = System.nanoTime();
        sha256().digest(data);
        hashSeconds += (System.nanoTime() - t0) / 1e9;
        t0 = System.nanoTime();
        zstd3Bytes += Zstd.compress(data, 3).length;
        zstd3Seconds += (System.nanoTime() - t0) / 1e9;
        if (with19) {
            t0 = System.nanoTime();
            zstd19Bytes += Zstd.compress(data, 19).length;
            zstd19Seconds += (System.nanoTime() - t0) / 1e9;
            zstd19RawBytes += data.length;
        }
    }

    /**
     * The offline bound for one tensor: its little-endian elements of {@code width} bytes,
     * XORed with {@code previous} when given, split into byte planes (most significant first),
     * each plane compressed alone by zstd -19. Bytes, summed over the planes. Computed here, apart
     * from Coral's codec, so the bound does not move when the codec learns new tricks.
     */
    static long xorPlanesZstd19(byte[] data, byte[] previous, int width) {
        return xorPlanesZstd(data, previous, width, 19);
    }

    /** As {@link #xorPlanesZstd19}, each plane by zstd at {@code level}; bytes past the last whole element not counted. */
    static long xorPlanesZstd(byte[] data, byte[] previous, int width, int level) {
        int n = data.length / width;
        byte[] plane = new byte[n];
        long total = 0;
        for (int k = 0; k < width; k++) {
            int b = width - 1 - k;
            for (int i = 0; i < n; i++) {
                int at = i * width + b;
                plane[i] = (byte) (previous == null ? data[at] : data[at] ^ previous[at]);
            }
            total += Zstd.compress(plane, level).length;
        }
        return total;
    }

    /**
     * What a checkout does with the bytes, without decoding them: written into a temporary
     * sibling of {@code dst}, fsynced, renamed over it (the file it replaces freed in the
     * background, {@link BackgroundRelease}, as a checkout does). The floor of a durable checkout.
     */
    static void writeDurably(byte[] data, Path dst) throws IOException {
        Path tmp = dst.resolveSibling(dst.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            writeAll(data, ch);
            ch.force(true);
        }
        BackgroundRelease.moveIntoPlace(tmp, dst);
    }

    /**
     * What a checkout on Linux does with the bytes, without decoding them: written into a new
     * temporary sibling of {@code dst} in 4 MiB writes, not fsynced, renamed over it (the file it
     * replaces freed in the background, {@link BackgroundRelease#replaceUnsynced}). The floor of
     * a checkout into the page cache. Files.write is no such floor: it writes 8 KiB at a time
     * (on this VM, 2026-12-06, 84 MB: Files.write 1.45 GB/s, these writes 5.7 GB/s, warm).
     */
    static void writeToPageCache(byte[] data, Path dst) throws IOException {
        Path tmp = dst.resolveSibling(dst.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            writeAll(data, ch);
        }
        BackgroundRelease.replaceUnsynced(tmp, dst);
    }

    private static void writeAll(byte[] data, FileChannel ch) throws IOException {
        for (int off = 0; off < data.length; off += 4 << 20) {
            ByteBuffer b = ByteBuffer.wrap(data, off, Math.min(4 << 20, data.length - off));
            while (b.hasRemaining()) {
                ch.write(b);
            }
        }
    }

    static void copyDurably(Path src, Path dst) throws IOException {
        Files.copy(src, dst, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel ch = FileChannel.open(dst, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    double copyMBps() {
        return bytes / 1e6 / copySeconds;
    }

    double hashMBps() {
        return bytes / 1e6 / hashSeconds;
    }

    double zstd3Ratio() {
        return (double) bytes / zstd3Bytes;
    }

    double zstd3MBps() {
        return bytes / 1e6 / zstd3Seconds;
    }

    /** Ratio of zstd -19 over the checkpoints it was run on (NaN if none). */
    double zstd19Ratio() {
        return zstd19Bytes == 0 ? Double.NaN : (double) zstd19RawBytes / zstd19Bytes;
    }

    double zstd19MBps() {
        return zstd19RawBytes / 1e6 / zstd19Seconds;
    }
}
