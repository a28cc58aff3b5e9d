package dev.coral.perf.jmh;

import dev.coral.repo.RepositoryConfig;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectInserter;
import dev.coral.store.ObjectKind;
import dev.coral.store.ObjectStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Object look-ups in a store of {@code packs} packs of {@code objectsPerPack} small objects each
 * (200 x 50 = 10,000 ids), with the multi-pack index covering every pack ({@code mpx=true},
 * after {@link ObjectStore#writeMultiPackIndex()}) or without one ({@code mpx=false}: the file
 * is deleted and every pack's own index is searched in turn). Hits cycle through every stored
 * id; misses are random ids. Note that a miss in {@link ObjectStore#find} rescans the packs
 * folder once (a directory listing): that is the real cost of a miss. Score: ns per look-up.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
@State(Scope.Thread)
public class IndexBenchmark {
    @Param({"true", "false"})
    public boolean mpx;

    @Param({"200"})
    public int packs;

    @Param({"50"})
    public int objectsPerPack;

    private Path root;
    private ObjectStore store;
    private ObjectId[] present;
    private ObjectId[] absent;
    private int hit;
    private int miss;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        root = Files.createTempDirectory("coral-jmh-index");
        Path packsDir = root.resolve(".coral").resolve("packs");
        present = new ObjectId[packs * objectsPerPack];
        SplittableRandom r = new SplittableRandom(3);
        try (ObjectStore build = new ObjectStore(packsDir, RepositoryConfig.DEFAULT_ZSTD_LEVEL)) {
            int k = 0;
            for (int p = 0; p < packs; p++) {
                try (ObjectInserter ins = build.newInserter()) {
                    for (int o = 0; o < objectsPerPack; o++) {
                        byte[] content = new byte[64];
                        r.nextBytes(content);
                        present[k++] = ins.insert(ObjectKind.FILE, content);
                    }
                    ins.flush();
                }
            }
            if (mpx) {
                build.writeMultiPackIndex();
            }
        }
        if (!mpx) {
            try (Stream<Path> s = Files.list(packsDir)) {
                s.filter(f -> f.getFileName().toString().startsWith("multi-pack-index")).forEach(f -> {
                    try {
                        Files.delete(f);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
        }
        store = new ObjectStore(packsDir, RepositoryConfig.DEFAULT_ZSTD_LEVEL);
        if (store.packCount() != packs) {
            throw new IllegalStateException(store.packCount() + " packs, expected " + packs);
        }
        for (int i = 0; i < present.length; i++) {
            int j = r.nextInt(i + 1);
            ObjectId t = present[i];
            present[i] = present[j];
            present[j] = t;
        }
        absent = new ObjectId[4096];
        for (int i = 0; i < absent.length; i++) {
            byte[] b = new byte[ObjectId.BYTES];
            r.nextBytes(b);
            absent[i] = ObjectId.fromBytes(b);
        }
        for (ObjectId id : present) {
            if (store.find(id) == null) {
                throw new IllegalStateException("stored id not found: " + id);
            }
        }
        try (Stream<Path> s = Files.list(packsDir)) {
            System.out.printf("%n# mpx=%s: %d packs, %d objects, files in packs/: %d%n", mpx, store.packCount(), present.length,
                    s.count());
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        store.close();
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    private ObjectId nextHit() {
        ObjectId id = present[hit];
        hit = hit + 1 == present.length ? 0 : hit + 1;
        return id;
    }

    private ObjectId nextMiss() {
        ObjectId id = absent[miss];
        miss = (miss + 1) & (absent.length - 1);
        return id;
    }

    @Benchmark
    public ObjectStore.Found findHit() throws IOException {
        return store.find(nextHit());
    }

    @Benchmark
    public ObjectStore.Found findMiss() throws IOException {
        return store.find(nextMiss());
    }

    @Benchmark
    public boolean containsHit() throws IOException {
        return store.contains(nextHit());
    }

    @Benchmark
    public boolean containsMiss() throws IOException {
        return store.contains(nextMiss());
    }
}
