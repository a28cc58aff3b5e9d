package dev.coral.repo;

import dev.coral.io.Folders;
import dev.coral.similarity.LshIndex;
import dev.coral.similarity.SimilarityCheck;
import dev.coral.similarity.SketchBuilder;
import dev.coral.similarity.TensorSketch;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectKind;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Delta bases for tensors that have no previous version (a new model, an independent fine-tune,
 * a renamed tensor): the most similar stored tensor by sketch (SimHash over a fixed sample, LSH
 * buckets, then a high-byte agreement check). The index holds the first version of each tensor
 * lineage, is a cache ({@code .coral/cache/similarity}, rebuilt empty when damaged) and is saved
 * when changed. Not thread-safe; one per ingest.
 */
public final class SimilarBases {
    /**
     * Tensors smaller than this are not worth a sketch and a second read. Was 64 KiB: the perf
     * dedup scenario's small-scale BF16 fine-tunes (tensors of 32 KiB) then found no base and
     * stored 4.66x their offline bound; at 16 KiB 1.03x, with {@code add} as fast (452 vs 454 tensors/s).
     */
    public static final long MIN_BYTES = 16 << 10;
    private static final int CANDIDATES = 8;

    private final Path file;
    private final LshIndex index;
    private final SimilarityCheck check;
    private final ObjectGraph graph;
    private final Consumer<String> problems;
    private final java.util.List<ObjectId> indexedHere = new java.util.ArrayList<>();
    private boolean changed;

    private SimilarBases(Path file, LshIndex index, SimilarityCheck check, ObjectGraph graph, Consumer<String> problems) {
        this.file = file;
        this.index = index;
        this.check = check;
        this.graph = graph;
        this.problems = problems;
    }

    /** The index in {@code file}; candidates must pass {@code check} (the repository's {@code similarity.threshold}). */
    public static SimilarBases open(Path file, ObjectGraph graph, SimilarityCheck check) {
        return open(file, graph, check, problem -> { });
    }

    /**
     * As {@link #open(Path, ObjectGraph, SimilarityCheck)}; {@code problems} hears, when the index
     * is saved, that the file it replaces could not be read (the tensors indexed there are lost
     * to new ones until a repack) or that it could not be written. Neither fails the write: the
     * index is derived data.
     */
    public static SimilarBases open(Path file, ObjectGraph graph, SimilarityCheck check, Consumer<String> problems) {
        return new SimilarBases(file, LshIndex.load(file), check, graph, problems);
    }

    public LshIndex index() {
        return index;
    }

    /** Whether {@code spec} is sketched at all. */
    public static boolean eligible(TensorSpec spec) {
        return spec.byteSize() >= MIN_BYTES && !spec.fortranOrder();
    }

    /** Whether a stored tensor could be a base for {@code spec} (so a sketch is worth a read now). */
    public boolean mayHaveBase(TensorSpec spec) {
        return eligible(spec) && index.hasGroup(spec.dtype(), spec.shape().elementCount());
    }

    /** The sketch of a tensor read from {@code in} (which is consumed). */
    public static TensorSketch sketch(TensorSpec spec, InputStream in) throws IOException {
        return SketchBuilder.of(spec.dtype(), spec.shape(), in);
    }

    /** The most similar stored tensor passing the check, if any. */
    public Optional<TensorObject> baseFor(TensorSpec spec, TensorSketch sketch) throws IOException {
        Optional<LshIndex.Candidate> c = index.bestBase(sketch, check, CANDIDATES, null);
        if (c.isEmpty()) {
            return Optional.empty();
        }
        ObjectId id = c.get().id();
        if (graph.kindOf(id) == null) {
            index.remove(id); // collected since it was indexed
            changed = true;
            return Optional.empty();
        }
        TensorObject t = graph.tensor(id);
        return t.spec().dtype() == spec.dtype() && t.byteSize() == spec.byteSize() ? Optional.of(t) : Optional.empty();
    }

    /** Opens a tensor's bytes (again). */
    @FunctionalInterface
    public interface Reopen {
        InputStream open() throws IOException;
    }

    /**
     * For a tensor with no previous version: its base, if a similar stored tensor exists (found
     * from a sketch read now, through {@code reopen}), and how its own sketch is obtained (the one
     * just read, or a builder fed while its chunks are stored). {@link #NO_PLAN} when not eligible.
     */
    public record Plan(TensorObject base, TensorSketch sketch, SketchBuilder builder) {
        /** The tensor's sketch, once all its chunks went through {@link #builder()}. */
        TensorSketch finish() {
            return sketch != null ? sketch : builder.build();
        }

        boolean indexes() {
            return sketch != null || builder != null;
        }
    }

    public static final Plan NO_PLAN = new Plan(null, null, null);

    public Plan plan(TensorSpec spec, Reopen reopen) throws IOException {
        if (!eligible(spec)) {
            return NO_PLAN;
        }
        if (!mayHaveBase(spec)) {
            return new Plan(null, null, new SketchBuilder(spec.dtype(), spec.shape()));
        }
        try (InputStream in = reopen.open()) {
            return planFor(spec, sketch(spec, in));
        }
    }

    /** A plan with the sketch taken: the most similar stored tensor, if one passes the check, as the base. */
    private Plan planFor(TensorSpec spec, TensorSketch sketch) throws IOException {
        return new Plan(baseFor(spec, sketch).orElse(null), sketch, null);
    }

    /**
     * As {@link #plan(TensorSpec, Reopen)}, for a tensor that {@link #mayHaveBase may have a base},
     * whose bytes are all in {@code bytes[0, len)}: the sketch is taken from them.
     */
    public Plan plan(TensorSpec spec, byte[] bytes, int len) throws IOException {
        if (!mayHaveBase(spec) || len != spec.byteSize()) {
            throw new IllegalArgumentException("no sketch from memory for " + spec + " (" + len + " bytes)");
        }
        return planFor(spec, new SketchBuilder(spec.dtype(), spec.shape()).update(0, bytes, 0, len).build());
    }

    /** Indexes the tensor a plan was made for, now stored as {@code tensorId}. */
    public void add(ObjectId tensorId, Plan plan) {
        if (plan.indexes()) {
            add(tensorId, plan.finish());
        }
    }

    /** Indexes a newly stored tensor that started a lineage. */
    public void add(ObjectId tensorId, TensorSketch sketch) {
        if (!index.contains(tensorId)) {
            index.put(tensorId, sketch);
            indexedHere.add(tensorId);
            changed = true;
        }
    }

    /** How many tensors this instance has indexed so far: a mark for {@link #forgetSince}. */
    public int mark() {
        return indexedHere.size();
    }

    /**
     * Takes out of the index the tensors this instance indexed after {@code mark}: those of a
     * read given up (a file replaced while it was read, {@link FileIngest}), which no commit will
     * name, so that the next read of the file neither finds them as its bases nor leaves them indexed.
     */
    public void forgetSince(int mark) {
        while (indexedHere.size() > mark) {
            index.remove(indexedHere.remove(indexedHere.size() - 1));
        }
    }

    /**
     * Writes the index if it changed; a folder or file in the way of it (inside the cache) is
     * removed. A write that fails still is told to {@link #problems}, not thrown.
     */
    public void save() {
        if (!changed) {
            return;
        }
        index.loadProblem().ifPresent(p -> problems.accept(p + ": the similarity index was rebuilt "
                + "empty, so new tensors find delta bases only among those stored from now on ('coral fsck --rebuild-index' rebuilds it "
                + "from the stored tensors; 'coral repack' also re-plans every base)"));
        try {
            try {
                index.save(file);
            } catch (IOException e) {
                clearWayTo(file);
                index.save(file);
            }
            changed = false;
        } catch (IOException | RuntimeException e) {
            problems.accept(file + ": the similarity index was not written (" + e.getMessage() + "); new tensors stored "
                    + "now are not found as delta bases of later ones until it is");
        }
    }

    /**
     * Replaces the index in {@code file} with {@code rebuilt} (built from what is stored: by a
     * repack, or {@code coral fsck --rebuild-index}), plus what the current file holds that
     * {@code rebuilt} lacks and that is still stored (indexed by writers meanwhile). The index is
     * derived data, so this also heals a damaged or lost one.
     */
    public static void install(LshIndex rebuilt, Path file, ObjectGraph graph) throws IOException {
        for (Map.Entry<ObjectId, TensorSketch> e : LshIndex.load(file).entries().entrySet()) {
            if (!rebuilt.contains(e.getKey()) && graph.kindOf(e.getKey()) == ObjectKind.TENSOR) {
                rebuilt.put(e.getKey(), e.getValue());
            }
        }
        try {
            Folders.ensure(file.getParent());
            rebuilt.save(file);
        } catch (IOException e) {
            clearWayTo(file);
            Folders.ensure(file.getParent());
            rebuilt.save(file);
        }
    }

    /** Removes a folder at {@code file}, and a file where its folder should be: names the cache owns. */
    private static void clearWayTo(Path file) throws IOException {
        if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
            Folders.deleteTree(file);
        }
        Path folder = file.getParent();
        if (Files.exists(folder, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(folder)) {
            Files.delete(folder);
        }
    }
}
