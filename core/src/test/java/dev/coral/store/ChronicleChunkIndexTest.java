package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChronicleChunkIndexTest {
    private static final Duration RECOVERY_LIMIT = Duration.ofSeconds(30);

    @TempDir
    Path tmp;
    Path cache;
    Path locks;
    long seed;
    Random rnd;

    private final long savedMinEntries = ChronicleChunkIndex.minEntries;

    @org.junit.jupiter.api.AfterEach
    void restore() {
        ChronicleChunkIndex.minEntries = savedMinEntries;
    }

    /** Repair tests do not need the 1M-entry (660 MB sparse) production size. */
    private void smallMaps() {
        ChronicleChunkIndex.minEntries = 20_000;
    }

    @BeforeEach
    void setUp() {
        cache = tmp.resolve(".coral/cache");
        locks = tmp.resolve(".coral/locks");
        seed = System.nanoTime();
        rnd = new Random(seed);
        System.out.println("seed=" + seed);
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
    void putGetRoundTripPersistsAcrossReopen() throws Exception {
        ChunkIndexFakeTruth truth = new ChunkIndexFakeTruth();
        long t0 = System.nanoTime();
        ChronicleChunkIndex index = ChronicleChunkIndex.open(cache, locks, truth);
        System.out.println("MEASURE create fresh map (1M entries; javac cost only if first in this JVM): " + ms(t0) + " ms, outcome "
                + index.outcome());
        assertEquals(ChronicleChunkIndex.Outcome.CREATED, index.outcome());

        int threads = 4;
        int perThread = 25_000;
        Map<ObjectId, ObjectLocation> all = new ConcurrentHashMap<>();
        List<Map<ObjectId, ObjectLocation>> batches = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            for (int b = 0; b < perThread / 1000; b++) {
                Map<ObjectId, ObjectLocation> batch = new HashMap<>();
                for (int i = 0; i < 1000; i++) {
                    batch.put(ChunkIndexFakeTruth.randomId(rnd), ChunkIndexFakeTruth.randomLocation(rnd));
                }
                batches.add(batch);
                all.putAll(batch);
            }
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
            long putMs = Math.max(1, ms(t0));
            System.out.println("MEASURE puts/s (" + threads + " threads, batches of 1000): " + all.size() * 1000L / putMs);
            List<ObjectId> ids = new ArrayList<>(all.keySet());
            t0 = System.nanoTime();
            AtomicInteger wrong = new AtomicInteger();
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
            long getMs = Math.max(1, ms(t0));
            System.out.println("MEASURE gets/s (" + threads + " threads): " + ids.size() * 1000L / getMs);
            assertEquals(0, wrong.get(), seedMsg());
            t0 = System.nanoTime();
            for (ObjectId id : ids) {
                index.get(id);
            }
            System.out.println("MEASURE gets/s (1 thread): " + ids.size() * 1000L / Math.max(1, ms(t0)));
        } finally {
            pool.shutdown();
        }
        for (int i = 0; i < 1000; i++) {
            assertNull(index.get(ChunkIndexFakeTruth.randomId(rnd)), seedMsg());
        }
        assertEquals(all.size(), index.size(), seedMsg());
        index.close();
        assertFalse(Files.exists(cache.resolve(ChronicleChunkIndex.DIRTY_FILE)), "clean close removes the marker");

        t0 = System.nanoTime();
        try (ChronicleChunkIndex again = ChronicleChunkIndex.open(cache, locks, truth)) {
            System.out.println("MEASURE reopen existing map: " + ms(t0) + " ms");
            assertEquals(ChronicleChunkIndex.Outcome.OPENED, again.outcome(), String.valueOf(again.lastFailure()));
            assertEquals(all.size(), again.size(), seedMsg());
            assertHasAll(again, all);
            assertTrue(Files.exists(cache.resolve(ChronicleChunkIndex.DIRTY_FILE)), "an open index has a marker");
            // a second instance in the same JVM shares the file
            try (ChronicleChunkIndex third = ChronicleChunkIndex.open(cache, locks, truth)) {
                assertEquals(ChronicleChunkIndex.Outcome.OPENED, third.outcome());
                Map<ObjectId, ObjectLocation> more = Map.of(ChunkIndexFakeTruth.randomId(rnd),
                        ChunkIndexFakeTruth.randomLocation(rnd));
                third.putAll(more);
                assertHasAll(again, more);
            }
        }
        assertFalse(Files.exists(cache.resolve(ChronicleChunkIndex.DIRTY_FILE)));
    }

    @Test
    void deletedCacheIsRebuiltFromTruth() throws Exception {
        smallMaps();
        ChunkIndexFakeTruth truth = new ChunkIndexFakeTruth().fill(rnd, 5_000);
        try (ChronicleChunkIndex index = ChronicleChunkIndex.open(cache, locks, truth)) {
            assertEquals(ChronicleChunkIndex.Outcome.CREATED, index.outcome());
            assertHasAll(index, truth.objects);
        }
        ChronicleChunkIndex.delete(cache);
        assertFalse(Files.exists(cache.resolve(ChronicleChunkIndex.MAP_FILE)));
        truth.fill(rnd, 1_000);
        try (ChronicleChunkIndex index = ChronicleChunkIndex.open(cache, locks, truth)) {
            assertEquals(ChronicleChunkIndex.Outcome.CREATED, index.outcome());
            assertEquals(truth.objects.size(), index.size());
            assertHasAll(index, truth.objects);
        }
        deleteTree(tmp.resolve(".coral"));
        long t0 = System.nanoTime();
        try (ChronicleChunkIndex index = ChronicleChunkIndex.open(cache, locks, truth)) {
            System.out.println("MEASURE create (20k-entry map) from truth of 6000 objects: " + ms(t0) + " ms");
            assertEquals(ChronicleChunkIndex.Outcome.CREATED, index.outcome());
            assertHasAll(index, truth.objects);
        }
        Map<ObjectId, ObjectLocation> extra = Map.of(ChunkIndexFakeTruth.randomId(rnd), ChunkIndexFakeTruth.randomLocation(rnd));
        try (ChronicleChunkIndex index = ChronicleChunkIndex.rebuild(cache, locks, truth)) {
            assertEquals(ChronicleChunkIndex.Outcome.REBUILT, index.outcome());
            assertHasAll(index, truth.objects);
            index.putAll(extra);
        }
        assertEquals(List.of(ChronicleChunkIndex.MAP_FILE), listNames(cache), "no leftovers in the cache folder");
    }

    @Test
    void garbageMapFileIsRebuiltWithoutHanging() throws Exception {
        smallMaps();
        ChunkIndexFakeTruth truth = new ChunkIndexFakeTruth().fill(rnd, 2_000);
        Files.createDirectories(cache);
        byte[] garbage = new byte[1 << 20];
        rnd.nextBytes(garbage);
        Files.write(cache.resolve(ChronicleChunkIndex.MAP_FILE), garbage);
        assertTimeoutPreemptively(RECOVERY_LIMIT, () -> {
            long t0 = System.nanoTime();
            try (ChronicleChunkIndex index = ChronicleChunkIndex.open(cache, locks, truth)) {
                System.out.println("MEASURE open over random garbage: " + ms(t0) + " ms, outcome " + index.outcome()
                        + ", cause " + index.lastFailure());
                assertEquals(ChronicleChunkIndex.Outcome.REBUILT, index.outcome());
                assertHasAll(index, truth.objects);
            }
        }, seedMsg());

        // a real map cut short, one whose header is zeroed, an empty file (the map is sparse and
        // big, so damage it in place)
        Path map = cache.resolve(ChronicleChunkIndex.MAP_FILE);
        for (int variant = 0; variant < 3; variant++) {
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(map,
                    java.nio.file.StandardOpenOption.WRITE)) {
                if (variant == 0) {
                    ch.truncate(4096);
                } else if (variant == 1) {
                    ch.write(java.nio.ByteBuffer.allocate(8192), 0);
                } else {
                    ch.truncate(0);
                }
            }
            int v = variant;
            assertTimeoutPreemptively(RECOVERY_LIMIT, () -> {
                long t0 = System.nanoTime();
                try (ChronicleChunkIndex index = ChronicleChunkIndex.open(cache, locks, truth)) {
                    System.out.println("MEASURE open over damaged map (variant " + v + "): " + ms(t0) + " ms, outcome "
                            + index.outcome() + ", cause " + index.lastFailure());
                    assertFalse(index.isInMemory());
                    assertHasAll(index, truth.objects);
                }
            }, "variant " + variant);
        }
    }

    @Test
    void deadOwnerTriggersRecovery() throws Exception {
        smallMaps();
        ChunkIndexFakeTruth truth = new ChunkIndexFakeTruth().fill(rnd, 3_000);
        Map<ObjectId, ObjectLocation> notInTruth = new ChunkIndexFakeTruth().fill(rnd, 500).objects;
        try (ChronicleChunkIndex index = ChronicleChunkIndex.open(cache, locks, truth)) {
            index.putAll(notInTruth);
        }
        Path map = cache.resolve(ChronicleChunkIndex.MAP_FILE);
        Path dirty = cache.resolve(ChronicleChunkIndex.DIRTY_FILE);
        long deadPid = deadPid();
        String key = ChronicleChunkIndex.fileKeyOf(map);
        Files.writeString(dirty, deadPid + " 1 " + key + "\n");
        assertTimeoutPreemptively(RECOVERY_LIMIT, () -> {
            long t0 = System.nanoTime();
            try (ChronicleChunkIndex index = ChronicleChunkIndex.open(cache, locks, truth)) {
                System.out.println("MEASURE open with dead owner (recovery of 3500 entries): " + ms(t0) + " ms");
                assertEquals(ChronicleChunkIndex.Outcome.RECOVERED, index.outcome(), String.valueOf(index.lastFailure()));
                assertHasAll(index, truth.objects);
                assertHasAll(index, notInTruth); // recovery keeps what the map had
            }
        }, seedMsg());
        assertFalse(Files.exists(dirty));

        // a dead owner while a live process still has the file open: a fresh file from the truth
        key = ChronicleChunkIndex.fileKeyOf(map);
        ProcessHandle self = ProcessHandle.current();
        long start = self.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(-1L);
        Files.writeString(dirty, deadPid + " 1 " + key + "\n" + self.pid() + " " + start + " " + key + "\n");
        try (ChronicleChunkIndex index = ChronicleChunkIndex.open(cache, locks, truth)) {
            assertEquals(ChronicleChunkIndex.Outcome.REBUILT, index.outcome());
            assertHasAll(index, truth.objects);
            assertFalse(key.equals(ChronicleChunkIndex.fileKeyOf(map)), "a new file was renamed in place");
        }

        // an unreadable marker counts as a dead owner
        Files.writeString(dirty, "not a marker\n");
        try (ChronicleChunkIndex index = ChronicleChunkIndex.open(cache, locks, truth)) {
            assertEquals(ChronicleChunkIndex.Outcome.RECOVERED, index.outcome());
            assertHasAll(index, truth.objects);
        }
        assertFalse(Files.exists(dirty));
    }

    @Test
    void fullMapGrows() throws Exception {
        ChronicleChunkIndex.minEntries = 1_000;
        {
            ChunkIndexFakeTruth truth = new ChunkIndexFakeTruth();
            Map<ObjectId, ObjectLocation> all = new HashMap<>();
            try (ChronicleChunkIndex index = ChronicleChunkIndex.open(cache, locks, truth)) {
                // until the 1000-entry map (4x bloat allowed) overflows and is rebuilt bigger, then a bit more
                int after = -1;
                for (int b = 0; b < 100 && after != 0; b++) {
                    Map<ObjectId, ObjectLocation> batch = new ChunkIndexFakeTruth().fill(rnd, 1_000).objects;
                    index.putAll(batch);
                    all.putAll(batch);
                    if (after > 0) {
                        after--;
                    } else if (after < 0 && index.outcome() == ChronicleChunkIndex.Outcome.REBUILT) {
                        after = 3;
                    }
                }
                System.out.println("full map grew after about " + (all.size() - 3_000) + " entries");
                System.out.println("full map: outcome " + index.outcome() + ", cause " + index.lastFailure());
                assertFalse(index.isInMemory(), String.valueOf(index.lastFailure()));
                assertEquals(ChronicleChunkIndex.Outcome.REBUILT, index.outcome(), "the map had to grow");
                assertEquals(all.size(), index.size());
                assertHasAll(index, all);
            }
            try (ChronicleChunkIndex index = ChronicleChunkIndex.open(cache, locks, truth)) {
                assertEquals(ChronicleChunkIndex.Outcome.OPENED, index.outcome());
                assertHasAll(index, all);
            }
        }
    }

    @Test
    void inMemoryIndex() throws Exception {
        ChunkIndexFakeTruth truth = new ChunkIndexFakeTruth().fill(rnd, 100);
        try (ChunkIndexInMemory index = ChunkIndexInMemory.of(truth)) {
            assertHasAll(index, truth.objects);
            Map<ObjectId, ObjectLocation> more = new ChunkIndexFakeTruth().fill(rnd, 10).objects;
            index.putAll(more);
            assertHasAll(index, more);
            assertEquals(110, index.size());
            assertNull(index.get(ChunkIndexFakeTruth.randomId(rnd)));
        }
    }

    @Test
    void encodingRoundTrips() {
        ObjectLocation loc = ChunkIndexFakeTruth.randomLocation(rnd);
        assertEquals(loc, ChronicleChunkIndex.decode(ChronicleChunkIndex.encode(loc)));
        assertNull(ChronicleChunkIndex.decode(new byte[3]));
    }

    // ------------------------------------------------------------------ child processes

    @Test
    void killedWriterLeavesAUsableIndex() throws Exception {
        ChunkIndexFakeTruth truth = new ChunkIndexFakeTruth();
        for (int trial = 0; trial < 2; trial++) {
            int killAfter = 300 + rnd.nextInt(3_000);
            Process child = startChild("kill", true, null, rnd.nextLong());
            Map<ObjectId, ObjectLocation> reported = new ConcurrentHashMap<>();
            CountDownLatch enough = new CountDownLatch(1);
            AtomicInteger count = new AtomicInteger();
            long[] childOpenMs = {-1};
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
                            System.out.println("child: " + line);
                            childOpenMs[0] = Long.parseLong(line.split(" ")[2]);
                        }
                    }
                } catch (IOException e) {
                    // the child died
                }
                enough.countDown();
            });
            reader.start();
            long t0 = System.nanoTime();
            boolean reached = enough.await(60, TimeUnit.SECONDS);
            long putPhase = System.nanoTime();
            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
            reader.join(10_000);
            assertTrue(reached && count.get() >= killAfter,
                    "the child reported only " + count.get() + " puts; stderr: " + childErr(trial));
            System.out.println("MEASURE child JVM: open " + childOpenMs[0] + " ms, " + count.get()
                    + " single-entry puts (with a stdout line each) in " + (putPhase - t0) / 1_000_000 + " ms incl. JVM start");
            // the packs the child wrote are the truth now
            truth.objects.putAll(reported);
            int trialNo = trial;
            assertTimeoutPreemptively(RECOVERY_LIMIT, () -> {
                long t1 = System.nanoTime();
                try (ChronicleChunkIndex index = ChronicleChunkIndex.open(cache, locks, truth)) {
                    long openMs = ms(t1);
                    assertHasAll(index, truth.objects);
                    // and it keeps working where the child left off
                    Map<ObjectId, ObjectLocation> more = new ChunkIndexFakeTruth().fill(rnd, 1_000).objects;
                    index.putAll(more);
                    assertHasAll(index, more);
                    truth.objects.putAll(more);
                    System.out.println("MEASURE open after kill -9 (trial " + trialNo + "): " + openMs + " ms, outcome "
                            + index.outcome() + ", first access + checks " + ms(t1) + " ms total");
                    assertFalse(index.isInMemory(), String.valueOf(index.lastFailure()));
                }
            }, seedMsg());
        }
    }

    @Test
    void noAnalyticsFileInHome() throws Exception {
        Path realHome = Path.of(System.getProperty("user.home"));
        boolean hadRealFile = Files.exists(realHome.resolve(".chronicle.analytics.client.id"));
        Path home = Files.createDirectories(tmp.resolve("home"));
        // the child gets no -Dchronicle.analytics.disable: ChronicleChunkIndex must set it itself
        Process child = startChild("clean", false, home, rnd.nextLong());
        String out;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            StringBuilder sb = new StringBuilder();
            String line;
            while ((line = r.readLine()) != null) {
                sb.append(line).append('\n');
            }
            out = sb.toString();
        }
        assertTrue(child.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, child.exitValue(), out + childErr(99));
        assertTrue(out.contains("CLOSED OPENED") || out.contains("CLOSED CREATED"), out);
        try (Stream<Path> files = Files.walk(home)) {
            List<String> found = files.filter(p -> !p.equals(home)).map(p -> home.relativize(p).toString()).toList();
            System.out.println("files the child left in its home: " + found);
            assertTrue(found.stream().noneMatch(n -> n.contains("chronicle")), "analytics files in home: " + found);
            assertEquals(List.of(), found, "nothing written into HOME");
        }
        String err = childErr(99);
        if (!err.isBlank()) {
            System.out.println("child stderr (clean run):\n" + err);
        }
        if (!hadRealFile) {
            assertFalse(Files.exists(realHome.resolve(".chronicle.analytics.client.id")),
                    "this JVM wrote an analytics id into the real home");
        }
        assertFalse(Files.exists(cache.resolve(ChronicleChunkIndex.DIRTY_FILE)), "the child closed cleanly");
    }

    private Process startChild(String mode, boolean analyticsFlag, Path home, long childSeed) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens") || a.startsWith("--add-exports")
                    || (a.startsWith("-Dchronicle.") && (analyticsFlag || !a.startsWith("-Dchronicle.analytics")))) {
                cmd.add(a);
            }
        }
        if (analyticsFlag && cmd.stream().noneMatch(a -> a.startsWith("-Dchronicle.analytics.disable"))) {
            cmd.add("-Dchronicle.analytics.disable=true");
        }
        if (home != null) {
            cmd.add("-Duser.home=" + home);
        }
        cmd.add("-Xmx256m");
        cmd.add("-cp");
        // under Surefire, java.class.path is only the booter jar
        cmd.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        cmd.add(ChronicleChunkIndexChild.class.getName());
        cmd.add(mode);
        cmd.add(cache.toString());
        cmd.add(locks.toString());
        cmd.add(Long.toString(childSeed));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectError(tmp.resolve("child-stderr.txt").toFile());
        return pb.start();
    }

    private String childErr(int trial) {
        try {
            return Files.readString(tmp.resolve("child-stderr.txt"));
        } catch (IOException e) {
            return "(no stderr)";
        }
    }

    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-version")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long pid = p.pid();
        p.waitFor();
        if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            fail("pid " + pid + " still alive");
        }
        return pid;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static List<String> listNames(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
