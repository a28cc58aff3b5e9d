package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lmdbjava.Dbi;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.Txn;

class LmdbChunkIndexTest {
    private static final Duration RECOVERY_LIMIT = Duration.ofSeconds(30);

    @TempDir
    Path tmp;
    Path cache;
    long seed;
    Random rnd;

    private final long savedInitial = LmdbChunkIndex.initialMapSize;

    @BeforeEach
    void setUp() {
        cache = tmp.resolve(".coral/cache");
        seed = System.nanoTime();
        rnd = new Random(seed);
        System.out.println("seed=" + seed);
    }

    @AfterEach
    void restore() {
        LmdbChunkIndex.initialMapSize = savedInitial;
    }

    private String seedMsg() {
        return "seed=" + seed;
    }

    private static long ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    private void assertHasAll(ChunkIndex index, Map<ObjectId, ObjectLocation> expected) throws IOException {
        for (Map.Entry<ObjectId, ObjectLocation> e : expected.entrySet()) {
            assertEquals(e.getValue(), index.get(e.getKey()), () -> "id " + e.getKey() + ", " + seedMsg());
        }
    }

    @Test
    void putGetManyRandomIdsPersistsAcrossReopen() throws Exception {
        ChunkIndexFakeTruth truth = new ChunkIndexFakeTruth();
        long t0 = System.nanoTime();
        LmdbChunkIndex index = LmdbChunkIndex.open(cache, truth);
        System.out.println("MEASURE create empty env (first LMDB use in this JVM): " + ms(t0) + " ms, outcome " + index.outcome());
        assertEquals(LmdbChunkIndex.Outcome.CREATED, index.outcome(), String.valueOf(index.lastFailure()));

        int threads = 4;
        List<Map<ObjectId, ObjectLocation>> batches = new ArrayList<>();
        Map<ObjectId, ObjectLocation> all = new ConcurrentHashMap<>();
        for (int b = 0; b < 100; b++) {
            Map<ObjectId, ObjectLocation> batch = new ChunkIndexFakeTruth().fill(rnd, 1000).objects;
            batches.add(batch);
            all.putAll(batch);
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            t0 = System.nanoTime();
            List<Future<?>> fs = new ArrayList<>();
            for (Map<ObjectId, ObjectLocation> batch : batches) {
                fs.add(pool.submit(() -> {
                    index.putAll(batch);
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
            System.out.println("MEASURE puts/s (" + threads + " threads, 1000 per txn, fsync per txn): "
                    + all.size() * 1000L / Math.max(1, ms(t0)));
            t0 = System.nanoTime();
            for (int i = 0; i < 200; i++) {
                Map<ObjectId, ObjectLocation> one = new ChunkIndexFakeTruth().fill(rnd, 1).objects;
                index.putAll(one);
                all.putAll(one);
            }
            System.out.println("MEASURE puts/s (1 thread, 1 per txn, fsync per txn): " + 200 * 1000L / Math.max(1, ms(t0)));

            List<ObjectId> ids = new ArrayList<>(all.keySet());
            AtomicInteger wrong = new AtomicInteger();
            t0 = System.nanoTime();
            List<Future<?>> gs = new ArrayList<>();
            int slice = ids.size() / threads;
            for (int t = 0; t < threads; t++) {
                List<ObjectId> mine = ids.subList(t * slice, t == threads - 1 ? ids.size() : (t + 1) * slice);
                gs.add(pool.submit(() -> {
                    for (ObjectId id : mine) {
                        if (!all.get(id).equals(index.get(id))) {
                            wrong.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : gs) {
                f.get();
            }
            System.out.println("MEASURE gets/s (" + threads + " threads): " + ids.size() * 1000L / Math.max(1, ms(t0)));
            assertEquals(0, wrong.get(), seedMsg());
            t0 = System.nanoTime();
            for (ObjectId id : ids) {
                index.get(id);
            }
            System.out.println("MEASURE gets/s (1 thread): " + ids.size() * 1000L / Math.max(1, ms(t0)));
            t0 = System.nanoTime();
            for (int i = 0; i < 100_000; i++) {
                assertNull(index.get(ChunkIndexFakeTruth.randomId(rnd)), seedMsg());
            }
            System.out.println("MEASURE misses/s (1 thread, incl. random id generation): " + 100_000 * 1000L / Math.max(1, ms(t0)));
        } finally {
            pool.shutdown();
        }
        assertEquals(all.size(), index.size(), seedMsg());
        // a second instance in this JVM shares the environment
        try (LmdbChunkIndex second = LmdbChunkIndex.open(cache, truth)) {
            Map<ObjectId, ObjectLocation> more = new ChunkIndexFakeTruth().fill(rnd, 10).objects;
            second.putAll(more);
            all.putAll(more);
            assertHasAll(index, more);
        }
        index.close();
        index.close(); // idempotent

        t0 = System.nanoTime();
        try (LmdbChunkIndex again = LmdbChunkIndex.open(cache, truth)) {
            System.out.println("MEASURE reopen existing env (" + all.size() + " entries, same JVM): " + ms(t0) + " ms");
            assertEquals(LmdbChunkIndex.Outcome.OPENED, again.outcome(), String.valueOf(again.lastFailure()));
            assertEquals(all.size(), again.size(), seedMsg());
            assertHasAll(again, all);
        }
    }

    @Test
    void deletedFolderIsRebuiltFromTruth() throws Exception {
        ChunkIndexFakeTruth truth = new ChunkIndexFakeTruth().fill(rnd, 5_000);
        try (LmdbChunkIndex index = LmdbChunkIndex.open(cache, truth)) {
            assertEquals(LmdbChunkIndex.Outcome.CREATED, index.outcome());
            assertHasAll(index, truth.objects);
            assertEquals(truth.objects.size(), index.size());
        }
        LmdbChunkIndex.delete(cache);
        assertTrue(Files.notExists(cache.resolve(LmdbChunkIndex.DIR)));
        truth.fill(rnd, 1_000);
        long t0 = System.nanoTime();
        try (LmdbChunkIndex index = LmdbChunkIndex.open(cache, truth)) {
            System.out.println("MEASURE create from truth of 6000 objects: " + ms(t0) + " ms");
            assertEquals(LmdbChunkIndex.Outcome.CREATED, index.outcome());
            assertEquals(truth.objects.size(), index.size());
            assertHasAll(index, truth.objects);
        }
        Map<ObjectId, ObjectLocation> notInTruth = new ChunkIndexFakeTruth().fill(rnd, 5).objects;
        try (LmdbChunkIndex index = LmdbChunkIndex.rebuild(cache, truth)) {
            assertEquals(LmdbChunkIndex.Outcome.REBUILT, index.outcome());
            assertHasAll(index, truth.objects);
            index.putAll(notInTruth);
        }
        try (LmdbChunkIndex index = LmdbChunkIndex.open(cache, truth)) {
            assertEquals(LmdbChunkIndex.Outcome.OPENED, index.outcome());
            assertHasAll(index, notInTruth);
        }
    }

    @Test
    void garbageAndDamageAreRebuiltWithoutHanging() throws Exception {
        ChunkIndexFakeTruth truth = new ChunkIndexFakeTruth().fill(rnd, 20_000); // several MB: many pages
        Path env = cache.resolve(LmdbChunkIndex.DIR);
        Path data = env.resolve("data.mdb");
        Files.createDirectories(env);
        byte[] garbage = new byte[1 << 20];
        rnd.nextBytes(garbage);
        Files.write(data, garbage);
        openExpectRebuilt(truth, "random garbage data.mdb");

        // damage a real environment in several ways
        for (int variant = 0; variant < 5; variant++) {
            String what;
            if (variant == 0) {
                what = "data.mdb cut to 3 pages";
                try (FileChannel ch = FileChannel.open(data, StandardOpenOption.WRITE)) {
                    ch.truncate(3 * 4096);
                }
            } else if (variant == 1) {
                what = "both meta pages zeroed";
                try (FileChannel ch = FileChannel.open(data, StandardOpenOption.WRITE)) {
                    ch.write(ByteBuffer.allocate(8192), 0);
                }
            } else if (variant == 2) {
                what = "empty data.mdb";
                try (FileChannel ch = FileChannel.open(data, StandardOpenOption.WRITE)) {
                    ch.truncate(0);
                }
            } else if (variant == 3) {
                // LMDB re-initializes the lock file when no process has it open: opened as is
                byte[] g = new byte[8192];
                rnd.nextBytes(g);
                Files.write(env.resolve("lock.mdb"), g);
                try (LmdbChunkIndex index = LmdbChunkIndex.open(cache, truth)) {
                    assertEquals(LmdbChunkIndex.Outcome.OPENED, index.outcome(), String.valueOf(index.lastFailure()));
                    assertHasAll(index, truth.objects);
                }
                continue;
            } else {
                what = "other format version";
                setFormat(env, "coral-chunk-index/lmdb/0");
            }
            openExpectRebuilt(truth, what);
        }
        try (LmdbChunkIndex index = LmdbChunkIndex.open(cache, truth)) {
            assertEquals(LmdbChunkIndex.Outcome.OPENED, index.outcome(), String.valueOf(index.lastFailure()));
        }
    }

    private void openExpectRebuilt(ChunkIndexFakeTruth truth, String what) {
        assertTimeoutPreemptively(RECOVERY_LIMIT, () -> {
            long t0 = System.nanoTime();
            try (LmdbChunkIndex index = LmdbChunkIndex.open(cache, truth)) {
                System.out.println("MEASURE open over " + what + ": " + ms(t0) + " ms, outcome " + index.outcome()
                        + ", cause " + index.lastFailure());
                assertEquals(LmdbChunkIndex.Outcome.REBUILT, index.outcome(), what);
                assertEquals(truth.objects.size(), index.size(), what);
                assertHasAll(index, truth.objects);
            }
        }, what + ", " + seedMsg());
    }

    /** Overwrites the format key with lmdbjava directly (the index must be closed). */
    private static void setFormat(Path envDir, String format) {
        try (Env<ByteBuffer> env = Env.create().setMaxDbs(4).setMapSize(1L << 30).open(envDir.toFile(), EnvFlags.MDB_NOTLS)) {
            Dbi<ByteBuffer> meta = env.openDbi("meta");
            try (Txn<ByteBuffer> txn = env.txnWrite()) {
                meta.put(txn, direct("format".getBytes(StandardCharsets.UTF_8)), direct(format.getBytes(StandardCharsets.UTF_8)));
                txn.commit();
            }
        }
    }

    private static ByteBuffer direct(byte[] b) {
        ByteBuffer d = ByteBuffer.allocateDirect(b.length);
        d.put(b).flip();
        return d;
    }

    @Test
    void fullMapGrows() throws Exception {
        LmdbChunkIndex.initialMapSize = 1L << 20; // 1 MiB: about 10k entries
        ChunkIndexFakeTruth truth = new ChunkIndexFakeTruth();
        Map<ObjectId, ObjectLocation> all = new HashMap<>();
        try (LmdbChunkIndex index = LmdbChunkIndex.open(cache, truth)) {
            for (int b = 0; b < 10; b++) {
                Map<ObjectId, ObjectLocation> batch = new ChunkIndexFakeTruth().fill(rnd, 10_000).objects;
                index.putAll(batch);
                all.putAll(batch);
            }
            assertEquals(LmdbChunkIndex.Outcome.CREATED, index.outcome(), "grown, not rebuilt: " + index.lastFailure());
            assertEquals(all.size(), index.size());
            assertHasAll(index, all);
        }
        long dataSize = Files.size(cache.resolve(LmdbChunkIndex.DIR).resolve("data.mdb"));
        System.out.println("100k entries: data.mdb " + dataSize / 1024 + " KiB");
        assertTrue(dataSize > (1L << 20), "the map grew past 1 MiB");
        try (LmdbChunkIndex index = LmdbChunkIndex.open(cache, truth)) {
            assertEquals(LmdbChunkIndex.Outcome.OPENED, index.outcome());
            assertHasAll(index, all);
            Map<ObjectId, ObjectLocation> more = new ChunkIndexFakeTruth().fill(rnd, 10_000).objects;
            index.putAll(more);
            assertHasAll(index, more);
        }
    }

    @Test
    void encodingRoundTrips() {
        ObjectLocation loc = ChunkIndexFakeTruth.randomLocation(rnd);
        ByteBuffer v = ByteBuffer.allocate(LmdbChunkIndex.VALUE_BYTES);
        LmdbChunkIndex.encode(loc, v);
        assertEquals(loc, LmdbChunkIndex.decode(v));
        assertNull(LmdbChunkIndex.decode(ByteBuffer.allocate(3)));
    }

    // ------------------------------------------------------------------ child processes

    @Test
    void killedWriterLeavesAUsableIndex() throws Exception {
        ChunkIndexFakeTruth truth = new ChunkIndexFakeTruth();
        for (int trial = 0; trial < 2; trial++) {
            int killAfter = 100 + rnd.nextInt(400);
            Process child = startChild("kill", null, rnd.nextLong());
            Map<ObjectId, ObjectLocation> reported = new ConcurrentHashMap<>();
            CountDownLatch enough = new CountDownLatch(1);
            AtomicInteger count = new AtomicInteger();
            String[] opened = {"?"};
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        if (line.startsWith("PUT ")) {
                            String[] f = line.split(" ");
                            reported.put(ObjectId.fromHex(f[1]), new ObjectLocation(ObjectId.fromHex(f[2]),
                                    Long.parseLong(f[3]), Integer.parseInt(f[4])));
                            if (count.incrementAndGet() >= killAfter) {
                                enough.countDown();
                            }
                        } else if (line.startsWith("OPENED ")) {
                            opened[0] = line;
                        }
                    }
                } catch (IOException e) {
                    // the child died
                }
                enough.countDown();
            });
            reader.start();
            long t0 = System.nanoTime();
            boolean reached = enough.await(20, TimeUnit.SECONDS);
            long putPhase = ms(t0);
            child.destroyForcibly();
            assertTrue(child.waitFor(10, TimeUnit.SECONDS));
            reader.join(10_000);
            assertTrue(reached && count.get() >= killAfter,
                    "the child reported only " + count.get() + " puts; stderr: " + childErr());
            System.out.println("MEASURE child (trial " + trial + "): " + opened[0] + "; " + count.get()
                    + " single-entry txns in " + putPhase + " ms incl. JVM start");
            truth.objects.putAll(reported);
            int trialNo = trial;
            assertTimeoutPreemptively(RECOVERY_LIMIT, () -> {
                long t1 = System.nanoTime();
                try (LmdbChunkIndex index = LmdbChunkIndex.open(cache, truth)) {
                    long openMs = ms(t1);
                    assertEquals(LmdbChunkIndex.Outcome.OPENED, index.outcome(),
                            String.valueOf(index.lastFailure()));
                    assertHasAll(index, truth.objects); // everything the child reported as committed
                    Map<ObjectId, ObjectLocation> more = new ChunkIndexFakeTruth().fill(rnd, 1_000).objects;
                    index.putAll(more);
                    assertHasAll(index, more);
                    truth.objects.putAll(more);
                    System.out.println("MEASURE open after kill -9 (trial " + trialNo + "): " + openMs + " ms, outcome "
                            + index.outcome());
                }
            }, seedMsg());
        }
    }

    /** A fresh JVM opens an existing index (as {@code coral add} would), with HOME pointed at an empty folder. */
    @Test
    void coldOpenInAFreshJvmWritesNothingToHome() throws Exception {
        ChunkIndexFakeTruth truth = new ChunkIndexFakeTruth().fill(rnd, 100_000);
        try (LmdbChunkIndex index = LmdbChunkIndex.open(cache, truth)) {
            assertEquals(100_000, index.size());
        }
        Path home = Files.createDirectories(tmp.resolve("home"));
        for (String mode : new String[] {"open", "open", "create"}) {
            if (mode.equals("create")) {
                LmdbChunkIndex.delete(cache);
            }
            long t0 = System.nanoTime();
            Process child = startChild(mode, home, 1);
            String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            long wall = ms(t0);
            assertEquals(0, child.exitValue(), out + childErr());
            System.out.println("MEASURE cold " + mode + " in a fresh JVM: " + out.trim().replace('\n', ';')
                    + "; whole child process " + wall + " ms (spawn to exit)");
        }
        try (Stream<Path> files = Files.walk(home)) {
            List<String> found = files.filter(p -> !p.equals(home)).map(p -> home.relativize(p).toString()).toList();
            assertEquals(List.of(), found, "nothing written into HOME");
        }
        try (Stream<Path> files = Files.list(tmp.resolve("childtmp"))) {
            System.out.println("the children's java.io.tmpdir holds: " + files.map(p -> p.getFileName().toString()).toList());
        }
    }

    private Process startChild(String mode, Path home, long childSeed) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens") || a.startsWith("--add-exports")) {
                cmd.add(a);
            }
        }
        if (home != null) {
            cmd.add("-Duser.home=" + home);
        }
        cmd.add("-Djava.io.tmpdir=" + Files.createDirectories(tmp.resolve("childtmp")));
        cmd.add("-Xmx256m");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-cp");
        // under Surefire, java.class.path is only the booter jar
        cmd.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        cmd.add(Child.class.getName());
        cmd.add(mode);
        cmd.add(cache.toString());
        cmd.add(Long.toString(childSeed));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectError(tmp.resolve("child-stderr.txt").toFile());
        return pb.start();
    }

    private String childErr() {
        try {
            return Files.readString(tmp.resolve("child-stderr.txt"));
        } catch (IOException e) {
            return "(no stderr)";
        }
    }

    /**
     * The child process: {@code kill <cache> <seed>} opens the index and puts one entry per
     * transaction forever, printing each after its put returned, until killed;
     * {@code open|create <cache> <seed>} opens (or creates) the index, looks up one id, closes,
     * and prints its timings.
     */
    public static final class Child {
        private Child() {
        }

        public static void main(String[] args) throws Exception {
            long t0 = System.nanoTime();
            String mode = args[0];
            Path cache = Path.of(args[1]);
            Random rnd = new Random(Long.parseLong(args[2]));
            LmdbChunkIndex index = LmdbChunkIndex.open(cache, new ChunkIndexFakeTruth());
            long openMs = (System.nanoTime() - t0) / 1_000_000;
            long done = System.currentTimeMillis();
            long sinceStart = done - ManagementFactory.getRuntimeMXBean().getStartTime();
            System.out.println("OPENED " + index.outcome() + (index.lastFailure() == null ? "" : " (" + index.lastFailure() + ")") + " open " + openMs + " ms, JVM start to open done " + sinceStart + " ms");
            System.out.flush();
            if (mode.equals("kill")) {
                while (true) {
                    ObjectId id = ChunkIndexFakeTruth.randomId(rnd);
                    ObjectLocation loc = ChunkIndexFakeTruth.randomLocation(rnd);
                    index.putAll(Map.of(id, loc));
                    System.out.println("PUT " + id.hex() + " " + loc.pack().hex() + " " + loc.offset() + " " + loc.storedLength());
                    System.out.flush();
                }
            }
            long t1 = System.nanoTime();
            index.get(ChunkIndexFakeTruth.randomId(rnd));
            long size = index.size();
            index.close();
            System.out.println("DONE first get+size+close " + (System.nanoTime() - t1) / 1_000_000 + " ms, size " + size);
        }
    }
}
