package dev.coral.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prints what the multi-pack index buys (never asserts a time): opening a store over 1000 small
 * packs with and without it, look-ups per second, bytes per entry. As a test it measures in a
 * warm JVM; {@code main} measures one open in a fresh JVM:
 * <pre>
 * java -cp core/target/classes:core/target/test-classes:ZSTD_JAR dev.coral.store.MultiPackIndexFiguresTest make DIR
 * java -cp ... dev.coral.store.MultiPackIndexFiguresTest open DIR      (with the multi-pack index)
 * java -cp ... dev.coral.store.MultiPackIndexFiguresTest open-idx DIR  (without: it is moved aside)
 * </pre>
 */
class MultiPackIndexFiguresTest {
    static final int PACKS = 1000;
    static final int OBJECTS_PER_PACK = 8;

    @TempDir
    Path tmp;

    @Test
    void figures() throws IOException {
        Path packs = tmp.resolve(".coral/packs");
        List<ObjectId> ids = make(packs);
        Path mpxFile = packs.resolve(MultiPackIndex.FILE_NAME);

        long[] noMpx = new long[6];
        for (int i = 0; i < noMpx.length; i++) {
            long t = System.nanoTime();
            try (ObjectStore s = new ObjectStore(packs, 3)) {
                noMpx[i] = System.nanoTime() - t;
            }
        }
        long tw;
        try (ObjectStore s = new ObjectStore(packs, 3)) {
            long t = System.nanoTime();
            s.writeMultiPackIndex();
            tw = System.nanoTime() - t;
        }
        long[] withMpx = new long[6];
        for (int i = 0; i < withMpx.length; i++) {
            long t = System.nanoTime();
            try (ObjectStore s = new ObjectStore(packs, 3)) {
                withMpx[i] = System.nanoTime() - t;
            }
        }
        System.out.printf("store over %d packs x %d objects%n", PACKS, OBJECTS_PER_PACK);
        System.out.printf("open without multi-pack index: first %.1f ms, median of next 5 %.1f ms%n",
                noMpx[0] / 1e6, median(noMpx) / 1e6);
        System.out.printf("write multi-pack index: %.1f ms%n", tw / 1e6);
        System.out.printf("open with multi-pack index: first %.2f ms, median of next 5 %.2f ms%n",
                withMpx[0] / 1e6, median(withMpx) / 1e6);

        try (ObjectStore s = new ObjectStore(packs, 3)) {
            MultiPackIndex m = s.multiPackIndex();
            System.out.printf("multi-pack index: %d bytes for %d objects in %d packs = %.1f bytes/object "
                    + "(entry %d, pack %d, fixed %d)%n", m.fileBytes(), m.size(), m.packCount(),
                    (double) m.fileBytes() / m.size(), MultiPackIndex.ENTRY_BYTES, MultiPackIndex.PACK_BYTES,
                    MultiPackIndex.HEADER_BYTES + 4 + 4 + 1024 + MultiPackIndex.CRC_BYTES);
            System.out.printf("look-ups with multi-pack index: hit %.2f M/s, miss %.2f M/s%n",
                    rate(s, ids, true), rate(s, ids, false));
        }
        Files.move(mpxFile, tmp.resolve("aside"));
        try (ObjectStore s = new ObjectStore(packs, 3)) {
            System.out.printf("look-ups over %d pack indexes: hit %.3f M/s, miss %.3f M/s%n",
                    PACKS, rate(s, ids, true), rate(s, ids, false));
        }
    }

    private static List<ObjectId> make(Path packs) throws IOException {
        Random r = new Random(1000);
        List<ObjectId> ids = new ArrayList<>();
        for (int p = 0; p < PACKS; p++) {
            List<byte[]> objects = PackFixtures.randomObjects(r, OBJECTS_PER_PACK, 64);
            PackFixtures.writePack(packs, objects);
            for (byte[] o : objects) {
                ids.add(ObjectId.hashOf(o));
            }
        }
        return ids;
    }

    /** Million look-ups per second over ~300 ms. */
    private static double rate(ObjectStore s, List<ObjectId> ids, boolean hit) {
        Random r = new Random(5);
        List<ObjectId> probe = new ArrayList<>();
        for (int i = 0; i < 4096; i++) {
            if (hit) {
                probe.add(ids.get(r.nextInt(ids.size())));
            } else {
                byte[] b = new byte[ObjectId.BYTES];
                r.nextBytes(b);
                probe.add(ObjectId.fromBytes(b));
            }
        }
        long n = 0;
        long found = 0;
        long t0 = System.nanoTime();
        long t;
        do {
            for (ObjectId id : probe) {
                found += s.findLoaded(id) != null ? 1 : 0;
            }
            n += probe.size();
            t = System.nanoTime();
        } while (t - t0 < 300_000_000L);
        if (found != (hit ? n : 0)) {
            throw new AssertionError("look-ups went wrong: " + found + " of " + n);
        }
        return n / ((t - t0) / 1e9) / 1e6;
    }

    private static double median(long[] a) {
        long[] b = Arrays.copyOfRange(a, 1, a.length);
        Arrays.sort(b);
        return b[b.length / 2];
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[1]);
        Path packs = dir.resolve(".coral/packs");
        switch (args[0]) {
            case "make" -> {
                make(packs);
                try (ObjectStore s = new ObjectStore(packs, 3)) {
                    s.writeMultiPackIndex();
                }
            }
            case "open", "open-idx" -> {
                Path mpx = packs.resolve(MultiPackIndex.FILE_NAME);
                Path aside = dir.resolve("mpx-aside");
                boolean without = args[0].equals("open-idx");
                if (without) {
                    Files.move(mpx, aside);
                }
                try {
                    long t = System.nanoTime();
                    try (ObjectStore s = new ObjectStore(packs, 3)) {
                        long opened = System.nanoTime() - t;
                        System.out.printf("%s: open %.1f ms (%d pack indexes read, multi-pack index %s)%n", args[0],
                                opened / 1e6, s.indexFilesRead(), s.multiPackIndex() == null ? "absent" : "read");
                    }
                } finally {
                    if (without) {
                        Files.move(aside, mpx);
                    }
                }
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
    }
}
