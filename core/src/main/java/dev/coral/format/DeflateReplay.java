package dev.coral.format;

import dev.coral.io.CountingOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A zip member's deflate stream rebuilt from its data: what {@code np.savez_compressed} wrote
 * (Python's zipfile, through zlib, at zlib's default level unless told otherwise) is what
 * java.util.zip's {@link Deflater} (zlib too) writes from the same bytes at the same level, with
 * the same window and memory settings (raw deflate, 15-bit window, memory level 8, the default
 * strategy): deflate is deterministic, and its output does not depend on how the input is cut into
 * calls. So an npz of deflated members need not keep the deflated bytes (which would store each
 * tensor a second time, and would not delta-encode): the level that rebuilds each stream, found
 * when the file is added by deflating the member's data again and comparing, is enough.
 *
 * <p>Another deflate implementation (zlib-ng, as some systems ship in zlib's place; libdeflate;
 * 7-Zip) writes other bytes: no level matches, and the npz is restored value-identical as before.
 * The same holds for the machine that checks a file out: {@link #rebuildsZlibStreams} tests this
 * machine's deflate against streams zlib 1.2.13 wrote, and where it differs such a file is restored
 * value-identical too, never as bytes that would fail their check.
 */
final class DeflateReplay {
    /**
     * Levels tried, most likely first: zlib's default (6), then the fastest and the best, then the
     * rest. Not 0: its stored blocks are as long as the caller's output buffer allows (zlib 1.2.12
     * on), so the bytes depend on the writer's buffers, not only on the data.
     */
    private static final int[] LEVELS = {6, 1, 9, 2, 3, 4, 5, 7, 8};
    private static final int BUFFER = 1 << 16;

    /**
     * CRC-32 of what zlib 1.2.13 writes for {@link #probeInput()} at levels 1 to 9 (raw deflate,
     * default strategy), computed by Python's zlib ({@code NpzDeflatedVerbatimTest} computes them again with python3).
     */
    private static final long[] PROBE_CRCS = {
        0x9a5ec893L, 0x38249493L, 0xfcb70f10L, 0xb5f30978L, 0xbfacb58fL, 0xb786e7f1L, 0xde20c491L, 0xdd320fa3L, 0xdd320fa3L,
    };

    private static volatile Boolean rebuilds;

    private DeflateReplay() {
    }

    /** Where a member's uncompressed bytes come from, as often as asked. */
    @FunctionalInterface
    interface Data {
        InputStream open() throws IOException;
    }

    /**
     * The level at which deflating what {@code data} opens gives exactly the {@code length} bytes at
     * {@code start} of {@code file}, or -1 when none does (or this machine's deflate is not zlib's).
     * A wrong level is usually found wrong at its first block (16 K symbols), so each costs little;
     * the right one costs a full deflate (about 30 MB/s a core).
     */
    static int levelOf(FileChannel file, long start, long length, Data data) throws IOException {
        if (!rebuildsZlibStreams() || length < 1) {
            return -1;
        }
        for (int level : LEVELS) {
            try (InputStream in = data.open()) {
                if (matches(level, in, file, start, length)) {
                    return level;
                }
            }
        }
        return -1;
    }

    /** Whether deflating {@code in} at {@code level} gives the {@code length} bytes at {@code start} of {@code file}. */
    private static boolean matches(int level, InputStream in, FileChannel file, long start, long length) throws IOException {
        Deflater d = new Deflater(level, true);
        try {
            byte[] input = new byte[BUFFER];
            byte[] output = new byte[BUFFER];
            ByteBuffer expected = ByteBuffer.allocate(BUFFER);
            long pos = 0;
            int got;
            while (!d.finished()) {
                if (d.needsInput()) {
                    got = in.readNBytes(input, 0, input.length);
                    if (got > 0) {
                        d.setInput(input, 0, got);
                    } else {
                        d.finish();
                    }
                }
                int n = d.deflate(output);
                if (n == 0) {
                    continue;
                }
                if (pos + n > length) {
                    return false;
                }
                expected.clear().limit(n);
                while (expected.hasRemaining()) {
                    if (file.read(expected, start + pos + expected.position()) < 0) {
                        return false;
                    }
                }
                if (!java.util.Arrays.equals(output, 0, n, expected.array(), 0, n)) {
                    return false;
                }
                pos += n;
            }
            return pos == length;
        } finally {
            d.end();
        }
    }

    /**
     * Deflates {@code header} and then {@code tensor}'s bytes (swapped back to big-endian when
     * {@code swap}) at {@code level} into {@code out} (not closed); returns the stream's length.
     */
    static long deflate(int level, byte[] header, TensorSource tensor, boolean swap, OutputStream out, String where) throws IOException {
        Deflater d = new Deflater(level, true);
        CountingOutputStream counted = new CountingOutputStream(new NonClosingOutputStream(out));
        try (java.util.zip.DeflaterOutputStream z = new java.util.zip.DeflaterOutputStream(counted, d, BUFFER)) {
            z.write(header);
            Streams.copyTensor(tensor, z, null, swap, where);
            z.finish();
        } finally {
            d.end();
        }
        return counted.count();
    }

    /**
     * Whether this machine's {@link Deflater} writes what zlib writes at every level, tested
     * once on a fixed input that exercises stored, literal and match-heavy blocks.
     */
    static boolean rebuildsZlibStreams() {
        Boolean r = rebuilds;
        if (r == null) {
            byte[] input = probeInput();
            boolean all = true;
            for (int level = 1; level <= 9 && all; level++) {
                all = probeCrc(level, input) == PROBE_CRCS[level - 1];
            }
            rebuilds = r = all;
        }
        return r;
    }

    /** Sets what {@link #rebuildsZlibStreams} answers (null: probe again): tests of a machine whose deflate is not zlib's. */
    static void assumeRebuilds(Boolean answer) {
        rebuilds = answer;
    }

    /** The CRC-32 of {@code input} deflated raw at {@code level}. */
    static long probeCrc(int level, byte[] input) {
        Deflater d = new Deflater(level, true);
        try {
            d.setInput(input);
            d.finish();
            CRC32 crc = new CRC32();
            byte[] out = new byte[BUFFER];
            while (!d.finished()) {
                crc.update(out, 0, d.deflate(out));
            }
            return crc.getValue();
        } finally {
            d.end();
        }
    }

    /**
     * 48 KiB as weight files hold them: float32 values near zero (from a fixed linear
     * congruential generator), a run of zeros, and small integers that repeat.
     */
    static byte[] probeInput() {
        byte[] b = new byte[3 << 14];
        long x = 0x2545F4914F6CDD1DL;
        ByteBuffer f = ByteBuffer.wrap(b, 0, 1 << 14).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        while (f.hasRemaining()) {
            x = x * 6364136223846793005L + 1442695040888963407L;
            f.putFloat((float) ((x >>> 40) / (double) (1L << 24) - 0.5) * 0.02f);
        }
        for (int i = 2 << 14; i < b.length; i++) {
            x = x * 6364136223846793005L + 1442695040888963407L;
            b[i] = (byte) ((i / 4) % 97 + ((x >>> 61) == 0 ? 1 : 0));
        }
        return b;
    }
}
