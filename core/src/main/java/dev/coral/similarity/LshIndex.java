package dev.coral.similarity;

import dev.coral.error.CorruptObjectException;
import dev.coral.error.UnsupportedVersionException;
import dev.coral.io.BinaryReader;
import dev.coral.io.BinaryWriter;
import dev.coral.io.ChecksummedFile;
import dev.coral.io.FailureWords;
import dev.coral.store.ObjectId;
import dev.coral.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Finds stored tensors similar to a new one: tensor ids with their {@link TensorSketch}es,
 * grouped by (dtype, element count), since a delta base must have the same byte length chunk by
 * chunk; inside a group, LSH banding of the 128-bit SimHash (default 16 bands of 8 bits) puts
 * each id in one bucket per band. {@link #candidates} ranks by exact Hamming distance the ids
 * sharing at least one bucket with the query, or, in a group of at most
 * {@link Config#exhaustiveLimit()} ids (the usual case: one model has few tensors of one size),
 * every id of the group, which costs less than the banding misses.
 *
 * <p>Persistence: {@link #save} rewrites the whole file, a {@link ChecksummedFile}
 * ({@code CORALSIM}, version 1) through {@link dev.coral.io.AtomicFile}: ~0.6 KB per tensor, so
 * a repository of 100,000 tensors rewrites ~60 MB per save (tens of ms); cheap next to the
 * tensors that caused the entries, and a reader always sees an old or a new whole file. The
 * index is a cache: {@link #load} of a damaged or newer file gives an empty index and reports
 * why in {@link #loadProblem()}; an ingest goes on with it, warning that tensors indexed before
 * are no longer candidates (a repack re-plans every base). It never gives a wrong answer: every candidate is the id it was stored with,
 * and its use as a base is still decided by {@link SimilarityCheck} and the codec.
 *
 * <pre>
 * Body    --&gt; SketchVersion u8, Count varint, (TensorId[32], Sketch blob)^Count
 * </pre>
 *
 * Thread-safe (one lock).
 */
public final class LshIndex {
    public static final String MAGIC = "CORALSIM";
    public static final int VERSION = 1;

    /**
     * Banding and search parameters; not stored in the file (buckets are rebuilt on load).
     *
     * @param bands           number of bands
     * @param bitsPerBand     SimHash bits per band (bands * bitsPerBand &lt;= 128, bitsPerBand &lt;= 32)
     * @param exhaustiveLimit groups of at most this many ids are searched exhaustively
     */
    public record Config(int bands, int bitsPerBand, int exhaustiveLimit) {
        public static final Config DEFAULT = new Config(16, 8, 4096);

        public Config {
            if (bands < 1 || bitsPerBand < 1 || bitsPerBand > 32 || bands * bitsPerBand > 128 || exhaustiveLimit < 0) {
                throw new IllegalArgumentException("bad LSH configuration: " + bands + " bands of " + bitsPerBand
                        + " bits, exhaustive up to " + exhaustiveLimit);
            }
        }
    }

    /** A candidate base: its id, Hamming distance to the query, and its sketch. */
    public record Candidate(ObjectId id, int distance, TensorSketch sketch) {
    }

    private static final Comparator<Candidate> RANKING =
            Comparator.comparingInt(Candidate::distance).thenComparing(Candidate::id);

    private static final class Group {
        final Map<ObjectId, TensorSketch> members = new LinkedHashMap<>();
        final Map<Long, List<ObjectId>> buckets = new HashMap<>();
    }

    private final Config config;
    private final Map<ObjectId, TensorSketch> entries = new LinkedHashMap<>();
    private final Map<ShapeKey, Group> groups = new HashMap<>();
    private String loadProblem;

    public LshIndex() {
        this(Config.DEFAULT);
    }

    public LshIndex(Config config) {
        this.config = config;
    }

    public Config config() {
        return config;
    }

    /** Adds or replaces the sketch of {@code id}. */
    public synchronized void put(ObjectId id, TensorSketch sketch) {
        remove(id);
        entries.put(id, sketch);
        Group g = groups.computeIfAbsent(key(sketch), k -> new Group());
        g.members.put(id, sketch);
        for (int b = 0; b < config.bands(); b++) {
            g.buckets.computeIfAbsent(bucket(sketch, b), k -> new ArrayList<>(2)).add(id);
        }
    }

    /** Removes {@code id}; true if it was there. */
    public synchronized boolean remove(ObjectId id) {
        TensorSketch old = entries.remove(id);
        if (old == null) {
            return false;
        }
        ShapeKey k = key(old);
        Group g = groups.get(k);
        g.members.remove(id);
        for (int b = 0; b < config.bands(); b++) {
            long bk = bucket(old, b);
            List<ObjectId> ids = g.buckets.get(bk);
            ids.remove(id);
            if (ids.isEmpty()) {
                g.buckets.remove(bk);
            }
        }
        if (g.members.isEmpty()) {
            groups.remove(k);
        }
        return true;
    }

    /** Keeps only the ids in {@code live} (after a gc); returns how many were removed. */
    public synchronized int retainAll(Set<ObjectId> live) {
        List<ObjectId> dead = new ArrayList<>();
        for (ObjectId id : entries.keySet()) {
            if (!live.contains(id)) {
                dead.add(id);
            }
        }
        dead.forEach(this::remove);
        return dead.size();
    }

    public synchronized Optional<TensorSketch> get(ObjectId id) {
        return Optional.ofNullable(entries.get(id));
    }

    public synchronized boolean contains(ObjectId id) {
        return entries.containsKey(id);
    }

    public synchronized int size() {
        return entries.size();
    }

    /** True when some indexed tensor has this dtype and element count (a candidate could exist). */
    public synchronized boolean hasGroup(DType dtype, long elementCount) {
        return groups.containsKey(new ShapeKey(dtype, elementCount));
    }

    /** Every (id, sketch), in insertion order (a copy). */
    public synchronized Map<ObjectId, TensorSketch> entries() {
        return new LinkedHashMap<>(entries);
    }

    /** At most {@code k} candidates for {@code sketch}, nearest first. */
    public List<Candidate> candidates(TensorSketch sketch, int k) {
        return candidates(sketch, k, 128, null);
    }

    /**
     * At most {@code k} ids of the same dtype and element count as {@code sketch}, at Hamming
     * distance at most {@code maxDistance}, other than {@code exclude} (may be null), nearest
     * first (ties by id, so the answer is deterministic).
     */
    public synchronized List<Candidate> candidates(TensorSketch sketch, int k, int maxDistance, ObjectId exclude) {
        Group g = groups.get(key(sketch));
        if (g == null || k <= 0) {
            return List.of();
        }
        // bounded selection: the k best so far in a heap whose head is the worst of them
        PriorityQueue<Candidate> best = new PriorityQueue<>(k + 1, RANKING.reversed());
        if (g.members.size() <= config.exhaustiveLimit()) {
            for (Map.Entry<ObjectId, TensorSketch> e : g.members.entrySet()) {
                offer(best, k, sketch, e.getKey(), e.getValue(), maxDistance, exclude);
            }
        } else {
            Set<ObjectId> seen = new HashSet<>();
            for (int b = 0; b < config.bands(); b++) {
                List<ObjectId> ids = g.buckets.get(bucket(sketch, b));
                if (ids != null) {
                    for (ObjectId id : ids) {
                        if (seen.add(id)) {
                            offer(best, k, sketch, id, g.members.get(id), maxDistance, exclude);
                        }
                    }
                }
            }
        }
        List<Candidate> out = new ArrayList<>(best);
        out.sort(RANKING);
        return out;
    }

    private static void offer(PriorityQueue<Candidate> best, int k, TensorSketch query, ObjectId id, TensorSketch s,
                              int maxDistance, ObjectId exclude) {
        int d = query.distance(s);
        if (d > maxDistance || id.equals(exclude)) {
            return;
        }
        if (best.size() == k) {
            Candidate worst = best.peek();
            if (d > worst.distance() || (d == worst.distance() && id.compareTo(worst.id()) > 0)) {
                return;
            }
            best.poll();
        }
        best.add(new Candidate(id, d, s));
    }

    /**
     * The delta base to use for a tensor with this sketch, if any: among the {@code k} nearest
     * candidates (other than {@code exclude}), those passing {@code check} on the sketches' check
     * bytes, the one with the most equal leading bits (ties: nearer, then smaller id).
     */
    public Optional<Candidate> bestBase(TensorSketch sketch, SimilarityCheck check, int k, ObjectId exclude) {
        Candidate chosen = null;
        double chosenBits = -1;
        for (Candidate c : candidates(sketch, k, 128, exclude)) {
            SimilarityCheck.Result r = check.compare(sketch, c.sketch());
            if (r.similar() && r.meanEqualLeadingBits() > chosenBits) {
                chosen = c;
                chosenBits = r.meanEqualLeadingBits();
            }
        }
        return Optional.ofNullable(chosen);
    }

    /**
     * Why the last {@link #load} found nothing usable (damaged, truncated, newer version,
     * unreadable), or empty when it loaded cleanly or there was no file.
     */
    public synchronized Optional<String> loadProblem() {
        return Optional.ofNullable(loadProblem);
    }

    /** The file body. */
    public synchronized byte[] encodeBody() {
        BinaryWriter w = new BinaryWriter();
        w.u8(TensorSketch.FORMAT_VERSION).varInt(entries.size());
        for (Map.Entry<ObjectId, TensorSketch> e : entries.entrySet()) {
            w.bytes(e.getKey().toBytes()).blob(e.getValue().encode());
        }
        return w.toByteArray();
    }

    /** Writes every entry to {@code file}, atomically and durably (replacing it whole). */
    public void save(Path file) throws IOException {
        ChecksummedFile.write(file, MAGIC, VERSION, encodeBody());
    }

    /** Loads {@code file} with the default configuration; see {@link #load(Path, Config)}. */
    public static LshIndex load(Path file) {
        return load(file, Config.DEFAULT);
    }

    /**
     * Loads {@code file}. A missing file gives an empty index; a file that does not verify
     * (checksum, structure, version) or cannot be read gives an empty index whose
     * {@link #loadProblem()} says why. Never throws for the file's content.
     */
    public static LshIndex load(Path file, Config config) {
        LshIndex index = new LshIndex(config);
        byte[] bytes;
        try {
            bytes = dev.coral.io.RegularFileBytes.read(file, Integer.MAX_VALUE - 8, "a similarity index");
        } catch (NoSuchFileException e) {
            return index;
        } catch (dev.coral.error.CoralException e) { // not a regular file: the message names it
            index.loadProblem = e.getMessage();
            return index;
        } catch (IOException e) {
            index.loadProblem = file + ": cannot be read (" + FailureWords.reason(e) + ")"; // "Is a directory", not java.io's class
            return index;
        }
        try {
            index.decodeInto(ChecksummedFile.decode(file.toString(), bytes, MAGIC, VERSION, VERSION).bytes(), file.toString());
        } catch (IOException | RuntimeException e) {
            LshIndex empty = new LshIndex(config);
            empty.loadProblem = e.getMessage();
            return empty;
        }
        return index;
    }

    /** Loads a body written by {@link #encodeBody()}; for files kept elsewhere. */
    public static LshIndex decodeBody(byte[] body, String source, Config config) throws CorruptObjectException, UnsupportedVersionException {
        LshIndex index = new LshIndex(config);
        index.decodeInto(body, source);
        return index;
    }

    private void decodeInto(byte[] body, String source) throws CorruptObjectException, UnsupportedVersionException {
        BinaryReader r = new BinaryReader(body, source);
        int sketchVersion = r.u8();
        if (sketchVersion != TensorSketch.FORMAT_VERSION) {
            throw new UnsupportedVersionException(source + ": sketch format version " + sketchVersion
                    + " not supported (this Coral reads " + TensorSketch.FORMAT_VERSION + ")");
        }
        int n = r.varInt();
        for (int i = 0; i < n; i++) {
            ObjectId id = ObjectId.fromBytes(r.bytes(ObjectId.BYTES));
            TensorSketch s = TensorSketch.decode(r.blob(), source + ": sketch of " + id.abbreviate(12));
            if (entries.containsKey(id)) {
                throw new CorruptObjectException(source + ": tensor " + id + " appears twice");
            }
            put(id, s);
        }
        r.expectEnd();
    }

    private static ShapeKey key(TensorSketch s) {
        return new ShapeKey(s.dtype(), s.elementCount());
    }

    /** Band {@code b} of the SimHash (bits counted from the low end of lo, then hi), tagged with {@code b}. */
    private long bucket(TensorSketch s, int b) {
        int bits = config.bitsPerBand();
        int start = b * bits;
        long v = bitsAt(s.simHashHi(), s.simHashLo(), start, bits);
        return ((long) b << 32) | v;
    }

    private static long bitsAt(long hi, long lo, int start, int n) {
        long mask = (1L << n) - 1;
        if (start >= 64) {
            return (hi >>> (start - 64)) & mask;
        }
        if (start + n <= 64) {
            return (lo >>> start) & mask;
        }
        int fromLo = 64 - start;
        return ((lo >>> start) | (hi << fromLo)) & mask;
    }
}
