package dev.coral.api;

import dev.coral.error.BadInputException;
import dev.coral.error.CoralException;
import dev.coral.error.CorruptObjectException;
import dev.coral.error.NotARepositoryException;
import dev.coral.format.TensorSource;
import dev.coral.format.WeightFileFormat;
import dev.coral.format.WeightFormats;
import dev.coral.io.BackgroundRelease;
import dev.coral.io.FaultPoints;
import dev.coral.io.Folders;
import dev.coral.io.RepositoryLock;
import dev.coral.io.SeenFile;
import dev.coral.io.WriterGate;
import dev.coral.repo.Commit;
import dev.coral.repo.CommitWalk;
import dev.coral.repo.DeltaBases;
import dev.coral.repo.FileEntry;
import dev.coral.repo.FileIngest;
import dev.coral.repo.FileStamp;
import dev.coral.repo.FileRestore;
import dev.coral.repo.FormatFeatures;
import dev.coral.repo.LossyRewrite;
import dev.coral.repo.ObjectGraph;
import dev.coral.repo.RefName;
import dev.coral.repo.Refs;
import dev.coral.repo.RepositoryConfig;
import dev.coral.repo.RevisionResolver;
import dev.coral.repo.SimilarBases;
import dev.coral.repo.StagingIndex;
import dev.coral.repo.StoredTensor;
import dev.coral.repo.TagObject;
import dev.coral.repo.Tree;
import dev.coral.repo.WorkTree;
import dev.coral.store.ChunkSink;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectInserter;
import dev.coral.store.ChunkCache;
import dev.coral.store.ObjectStore;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A Coral repository: the Java API. Open one with {@link #init} or {@link #open}, stage weight
 * files or in-memory tensors, commit, and read any commit back.
 *
 * <pre>{@code
 * try (Repository repo = Repository.init(dir)) {
 *     repo.add(List.of(dir.resolve("model.safetensors")));
 *     ObjectId c1 = repo.commit(CommitRequest.of("epoch 1"));
 *     try (InputStream in = repo.tensor("HEAD", "model.safetensors", "w").openStream()) { ... }
 *     repo.checkout("HEAD~1", false);
 * }
 * }</pre>
 *
 * Thread-safe: many threads may use one instance, and many processes one folder; staging and
 * ref updates are serialized by locks under {@code .coral/locks}, packs are written in parallel.
 */
public final class Repository implements AutoCloseable {
    private final WorkTree workTree;
    private final Path coralDir;
    private volatile RepositoryConfig config;
    private final ObjectStore store;
    private final ObjectGraph graph;
    private final Refs refs;
    private final RevisionResolver resolver;
    private final RepositoryLock indexLock;
    private final WriterGate writerGate;
    private final History history;
    private final PackUpkeep packUpkeep;
    private final StepsBack stepsBack;
    private final RestoredFiles restoredFiles;
    private volatile int ingestThreads = defaultIngestThreads();
    private volatile CorruptObjectException configProblem;
    private final java.util.concurrent.atomic.AtomicReference<String> similarityProblem = new java.util.concurrent.atomic.AtomicReference<>();
    /** What the last status or add could not look at, passed over ({@link #unreadablePaths}). */
    private final java.util.Set<String> unreadable = new java.util.concurrent.ConcurrentSkipListSet<>();
    /** What {@link #declareFormatFeatures} last found declared (null: not looked yet). */
    private volatile Set<String> declaredFeatures;
    /** Guards {@link #asyncCommits} and {@link #closing} (not this handle, which callers may lock). */
    private final Object asyncLock = new Object();
    /** This handle's commit thread ({@link #commitTensorsAsync}), made at the first such commit. */
    private AsyncCommits asyncCommits;
    /** Set by the last holder's {@link #close}: no more asynchronous commits. */
    private boolean closing;
    /** Holders of this handle ({@link #retain}); closed at 0. */
    private final java.util.concurrent.atomic.AtomicInteger holders = new java.util.concurrent.atomic.AtomicInteger(1);
    /** Set by the last {@link #close}, once the asynchronous commits are done: writes are refused from then on. */
    private volatile boolean closed;

    private Repository(Path root, RepositoryConfig config, ObjectStore store) {
        this.workTree = new WorkTree(root);
        this.coralDir = workTree.root().resolve(WorkTree.CORAL_DIR);
        this.config = config;
        this.store = store;
        this.graph = new ObjectGraph(store);
        this.refs = new Refs(coralDir);
        this.resolver = new RevisionResolver(refs, graph);
        this.indexLock = new RepositoryLock(coralDir.resolve("locks"), "index");
        this.writerGate = new WriterGate(coralDir.resolve("locks"));
        this.history = new History(this);
        this.packUpkeep = new PackUpkeep(store, coralDir.resolve("locks"));
        this.stepsBack = new StepsBack(graph, store.versionsAhead());
        this.restoredFiles = new RestoredFiles(coralDir.resolve("cache").resolve("restored"));
    }

    /** Creates a repository in {@code dir} (created if missing) with default settings. */
    public static Repository init(Path dir) throws IOException {
        return init(dir, RepositoryConfig.defaults());
    }

    public static Repository init(Path dir, RepositoryConfig config) throws IOException {
        Path root = dir.toAbsolutePath().normalize();
        Path coral = root.resolve(WorkTree.CORAL_DIR);
        if (Files.exists(coral)) {
            throw new BadInputException(root + ": already a Coral repository");
        }
        Files.createDirectories(root);
        // a folder of this init's own: of this process and this thread (two threads of one JVM, as
        // the daemon runs commands, shared it and left each other's temporary files in the repository)
        Path staging = root.resolve(WorkTree.CORAL_DIR + ".init-" + ProcessHandle.current().pid() + "-" + Thread.currentThread().getId());
        try {
            Files.createDirectories(staging.resolve("refs/heads"));
            Files.createDirectories(staging.resolve("refs/tags"));
            Files.createDirectories(staging.resolve("packs"));
            Files.createDirectories(staging.resolve("locks"));
            Files.createDirectories(staging.resolve("cache"));
            config.write(staging.resolve("config"));
            FormatFeatures.writeNew(staging, FormatFeatures.usedBy(config));
            new Refs(staging).setHeadToBranch("main");
            // The folder appears whole or not at all.
            try {
                Files.move(staging, coral, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                if (Files.exists(coral, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    // another init made it meanwhile (the rename onto its folder fails "Directory not empty", naming ours: found by
                    // fuzzing five `coral init` processes of one folder at once)
                    throw new BadInputException(root + ": already a Coral repository");
                }
                throw e;
            }
        } finally {
            if (Files.exists(staging)) {
                deleteTree(staging);
            }
        }
        return open(root);
    }

    /** Opens the repository whose root is {@code dir}. */
    public static Repository open(Path dir) throws IOException {
        Path root = dir.toAbsolutePath().normalize();
        Path coral = root.resolve(WorkTree.CORAL_DIR);
        if (!Files.isDirectory(coral)) { // without HEAD it is one still, damaged: reading HEAD says so (checkout --force BRANCH writes it)
            throw new NotARepositoryException(root + ": not a Coral repository (no .coral folder; run 'coral init')");
        }
        Set<String> declared = null;
        try {
            declared = FormatFeatures.check(coral); // a feature this Coral does not know: refused before anything is read
        } catch (CorruptObjectException e) {
            // a damaged format file: reading goes on (an object of an unknown kind fails alone, named); writes are refused
        }
        RepositoryConfig config;
        CorruptObjectException configProblem = null;
        try {
            config = RepositoryConfig.read(coral.resolve("config"));
        } catch (CorruptObjectException e) {
            // Reading needs no settings: every commit stays readable; writing waits for a repaired config.
            config = RepositoryConfig.defaults();
            configProblem = e;
        }
        ObjectStore store = new ObjectStore(coral.resolve("packs"), config.zstdLevel());
        if (config.cacheBytes() > 0) {
            store.useChunkCache(new ChunkCache(coral.resolve("cache").resolve("chunks"), config.cacheBytes()));
        }
        Repository repo = new Repository(root, config, store);
        repo.configProblem = configProblem;
        Set<String> used = FormatFeatures.usedBy(config);
        if (declared != null && declared.containsAll(used)) {
            repo.declaredFeatures = used; // the first write need not read the file again
        }
        return repo;
    }

    /** Opens the repository containing {@code start}, looking upwards as git does. */
    public static Repository discover(Path start) throws IOException {
        return open(rootOf(start));
    }

    /** The root of the repository containing {@code start}, looking upwards as git does. */
    public static Path rootOf(Path start) throws NotARepositoryException {
        Path p = start.toAbsolutePath().normalize();
        for (Path q = p; q != null; q = q.getParent()) {
            if (Files.isDirectory(q.resolve(WorkTree.CORAL_DIR))) { // not only one with HEAD: a damaged inner repository sent commands to the outer one
                return q;
            }
        }
        throw new NotARepositoryException(p + ": not inside a Coral repository (run 'coral init')");
    }

    /**
     * One more holder of this handle, which {@link #close} then closes only once every holder
     * has: a process that runs command after command on one handle ({@code coral batch}) keeps
     * what the handle holds between them (the chunks just written, the next commit's bases).
     * Returns this handle.
     */
    /**
     * Refuses a write through a closed handle (found by fuzzing the API: commits, checkouts, gc
     * and repack went on after {@link #close}, the first starting pack merges the close had ended).
     */
    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the repository handle is closed: " + root());
        }
    }

    public Repository retain() {
        if (holders.getAndIncrement() <= 0) {
            holders.decrementAndGet();
            throw new IllegalStateException("retain of a closed repository handle");
        }
        return this;
    }

    /** The repository's {@code .coral} folder. */
    Path coralDir() {
        return coralDir;
    }

    public Path root() {
        return workTree.root();
    }

    public RepositoryConfig config() {
        return config;
    }

    WorkTree workTree() {
        return workTree;
    }

    ObjectStore store() {
        return store;
    }

    /** The checkouts through this handle, read for a reader stepping back ({@link StepsBack}). */
    StepsBack stepsBack() {
        return stepsBack;
    }

    /** The working files restored without staging them ({@code .coral/cache/restored}). */
    RestoredFiles restoredFiles() {
        return restoredFiles;
    }

    /** Bytes the chunk cache ({@code .coral/cache/chunks}) takes now; 0 without one. */
    public long chunkCacheBytes() {
        ChunkCache cache = store.chunkCache();
        return cache == null ? 0 : cache.bytes();
    }

    ObjectGraph graph() {
        return graph;
    }

    Refs refs() {
        return refs;
    }

    Path indexFile() {
        return coralDir.resolve("index");
    }

    RepositoryLock.Held lockIndex() throws IOException {
        return indexLock.lock();
    }

    /**
     * Records in the staging index the entries {@code status} found intact by content, restamped
     * with their files' size and time, so the next status need not read them again (as git's
     * status refreshes its index): files compared by content after a reboot
     * ({@link StagingIndex#UNVERIFIED}), and files whose time changed and bytes did not (touched,
     * or written again the same). Only when the index is free (a writer holding it is not waited
     * for) and only entries that still record the content verified; a failure is no error, the
     * next status tries again.
     */
    void restampVerified(Map<String, StagingIndex.Entry> restamped) {
        try (RepositoryLock.Held l = indexLock.tryLock()) {
            if (l == null) {
                return;
            }
            StagingIndex now = readIndex();
            TreeMap<String, StagingIndex.Entry> next = new TreeMap<>(now.entries());
            boolean changed = false;
            for (Map.Entry<String, StagingIndex.Entry> e : restamped.entrySet()) {
                StagingIndex.Entry cur = next.get(e.getKey());
                // still the content that was verified (staged again meanwhile or not): its new stamp holds
                if (cur != null && cur.size() >= 0 && cur.fileEntry().equals(e.getValue().fileEntry())
                        && Arrays.equals(cur.sha256(), e.getValue().sha256())) {
                    next.put(e.getKey(), e.getValue());
                    changed = true;
                }
            }
            if (changed) {
                new StagingIndex(next).write(indexFile());
            }
        } catch (IOException e) {
            // only a saving: status stays right without it
        }
    }

    /** An operation run inside the writers' gate. */
    @FunctionalInterface
    private interface GatedWrite<T> {
        T run() throws IOException;
    }

    /**
     * Runs {@code write}, which may point HEAD, a ref or the staging index at objects nothing else
     * reaches (new ones, or old ones named again), inside the writers' gate: gc and repack shut it
     * while they read what is reachable and while they delete (see {@link WriterGate}).
     */
    private <T> T gated(GatedWrite<T> write) throws IOException {
        requireOpen();
        try (WriterGate.Held in = writerGate.enter()) {
            return write.run();
        }
    }

    /**
     * As {@link #gated}, for a write that stores objects; then, outside the gate, merges small
     * packs when it is time ({@link PackUpkeep}, in the background).
     */
    private <T> T storing(GatedWrite<T> write) throws IOException {
        T result = gated(write);
        packUpkeep.afterWrite();
        return result;
    }

    /**
     * Waits for a merge of small packs in progress, then says why the last one failed (the writes
     * themselves stand; the next write tries again), or null; asking clears it, as
     * {@link #similarityProblem()}.
     */
    public String packUpkeepProblem() {
        return packUpkeep.awaitProblem();
    }

    StagingIndex readIndex() throws IOException {
        return StagingIndex.readBeside(indexFile(), refs);
    }

    /**
     * How many threads encode chunks when files are added (the LMAX Disruptor pipeline); 1 encodes
     * in the calling thread. Defaults to {@code $CORAL_THREADS}, else 1 on machines of up to two
     * processors, else processors − 1. Measured on 2 cores: in a warm JVM (one handle, 84 MB
     * checkpoints) 2 workers commit at 214-277 MB/s against 231-325 for one, which decodes the
     * next base and hashes on threads of its own; a command-line process committing 210 MB took
     * 2.8-3.9 s with 2 workers against 2.0-2.6 s with one (the JIT's compiler threads compete for
     * the same cores while the process warms up).
     */
    public void setIngestThreads(int threads) {
        if (threads < 1 || threads > 256) {
            throw new IllegalArgumentException("ingest threads must be 1..256: " + threads);
        }
        this.ingestThreads = threads;
    }

    int ingestThreads() {
        return ingestThreads;
    }

    private static int defaultIngestThreads() {
        String env = System.getenv("CORAL_THREADS");
        if (env != null && env.matches("\\d{1,3}") && Integer.parseInt(env) >= 1) {
            return Integer.parseInt(env);
        }
        int cpus = Runtime.getRuntime().availableProcessors();
        return cpus <= 2 ? 1 : cpus - 1;
    }

    /** The similarity index used to find delta bases for new tensors ({@code .coral/cache/similarity}). */
    SimilarBases similarBases() {
        return SimilarBases.open(coralDir.resolve("cache").resolve("similarity"), graph, config.similarityCheck(),
                similarityProblem::set);
    }

    /**
     * What the last {@link #status} or {@link #add} could not look at in the working folder
     * (permission denied), sorted, then forgotten: folders it could not open, each ending in '/',
     * whose weight files are neither untracked nor staged (git warns "could not open directory"
     * and goes on); and tracked files behind a folder it may not search, left as they were staged,
     * neither modified nor deleted (git: "secret/a: Permission denied").
     */
    public List<String> unreadablePaths() {
        List<String> out = new ArrayList<>(unreadable);
        unreadable.removeAll(out);
        return out;
    }

    void noteUnopened(Path folder) {
        unreadable.add(workTree.root().relativize(folder.toAbsolutePath()).toString().replace(java.io.File.separatorChar, '/') + "/");
    }

    void noteUnreadable(String repoPath) {
        unreadable.add(repoPath);
    }

    /**
     * The last problem with the similarity index an add or commit of this handle met since this
     * was last asked (a damaged index it replaced, or one it could not write), or null; asking
     * clears it, so that a handle kept between commands (the daemon, batch) tells each problem
     * once, as a handle of each command does (found by fuzzing the daemon). The writes stand: the
     * index is derived data, and the command line prints this as a warning.
     */
    public String similarityProblem() {
        return similarityProblem.getAndSet(null);
    }

    /** An inserter with this repository's settings (delta chain bound); refused while the config is damaged. */
    ObjectInserter newInserter() throws IOException {
        return newInserter(false);
    }

    /**
     * As {@link #newInserter()}; for a lossy commit ({@code lossy}), its deltas are not made
     * undoable ({@link ObjectInserter#setUndoableDeltas}): that cost lossy histories 1.5-4.5% of
     * their stored size, and they are rarely checked out.
     */
    ObjectInserter newInserter(boolean lossy) throws IOException {
        requireReadableConfig();
        RepositoryConfig c = config;
        declareFormatFeatures(c);
        ObjectInserter ins = store.newInserter(c.zstdLevel());
        ins.setChainShape(c.chainShape());
        ins.setContextCoding(c.contextCoding());
        ins.setZigzagDeltas(c.zigzagDeltas());
        ins.setUndoableDeltas(!lossy);
        ins.setBasesAhead(true);
        return ins;
    }

    /** Refuses to write objects with the defaults in place of settings the config held and may hold again. */
    void requireReadableConfig() throws CorruptObjectException {
        CorruptObjectException p = configProblem;
        if (p != null) {
            throw new CorruptObjectException(p.getMessage() + " (reading works; to write, " + RepositoryConfig.REPAIR + ")");
        }
    }

    /**
     * Declares in {@code .coral/format} the features {@code c} lets a writer use, before the first
     * object that may use them is written ({@link FormatFeatures}); once per handle and settings.
     * A repository made before the file existed gets it at its first write.
     */
    void declareFormatFeatures(RepositoryConfig c) throws IOException {
        Set<String> features = FormatFeatures.usedBy(c);
        if (!features.equals(declaredFeatures)) {
            try {
                for (String f : features) {
                    FormatFeatures.declare(coralDir, f);
                }
            } catch (CorruptObjectException e) {
                throw new CorruptObjectException(e.getMessage() + " (reading works; " + FormatFeatures.REPAIR + ")", e);
            }
            declaredFeatures = features;
        }
    }

    /** The format features {@code .coral/format} declares ({@link FormatFeatures}): empty when it has none. */
    public Set<String> formatFeatures() throws IOException {
        return FormatFeatures.read(coralDir);
    }

    /** Why {@code .coral/config} could not be read (reads then use the defaults; writes are refused), or null if it was. */
    public String configProblem() {
        CorruptObjectException p = configProblem;
        return p == null ? null : p.getMessage();
    }

    /**
     * Sets one setting of {@code .coral/config} ({@link RepositoryConfig#with}: chunk.bytes,
     * zstd.level, delta.max-depth, delta.run), written atomically under the config lock; this
     * handle writes with it at once, other handles once opened again. A damaged config is
     * rewritten from the defaults plus this setting. Stored objects are not touched: new deltas
     * follow the new chain shape, and {@code coral repack} re-plans the old ones.
     *
     * @throws BadInputException for an unknown key or a value out of range
     */
    public RepositoryConfig setConfig(String key, String value) throws IOException {
        Path file = coralDir.resolve("config");
        try (RepositoryLock.Held held = new RepositoryLock(coralDir.resolve("locks"), "config").lock()) {
            RepositoryConfig current;
            try {
                current = RepositoryConfig.read(file);
            } catch (CorruptObjectException e) {
                current = RepositoryConfig.defaults();
            }
            RepositoryConfig next = current.with(key, value);
            next.write(file, RepositoryConfig.unknownSettings(file)); // a newer Coral's keys (or a typo) are kept
            config = next;
            configProblem = null;
            return next;
        }
    }

    // ---------------------------------------------------------------- staging

    /**
     * What {@link #add} did. {@code staged}: every file it staged, {@code unchanged} among them
     * those it found as they were staged (size and time) and did not read again;
     * {@code keptAsBytes}: for each file read whose format kept datasets as bytes instead of
     * tensors (HDF5's chunked or compressed ones), their names; {@code leftAsStaged}: the paths
     * read here that another writer staged anew, from a newer version of the file, before this
     * add took the staging lock, and that are left as it staged them (not in {@code staged} or
     * {@code removed}; see {@link StagedChanges#withoutStale}).
     */
    public record AddResult(List<String> staged, List<String> unchanged, List<String> removed, long chunksWritten,
                            long chunksDeduplicated, long rawBytesWritten, long storedBytesWritten,
                            Map<String, List<String>> keptAsBytes, List<String> leftAsStaged) {
        /** This result with {@code stale} left as another writer staged them. */
        AddResult leaving(List<String> stale) {
            List<String> left = new ArrayList<>(leftAsStaged);
            left.addAll(stale);
            return new AddResult(staged.stream().filter(p -> !stale.contains(p)).toList(),
                    unchanged.stream().filter(p -> !stale.contains(p)).toList(),
                    removed.stream().filter(p -> !stale.contains(p)).toList(), chunksWritten, chunksDeduplicated,
                    rawBytesWritten, storedBytesWritten, keptAsBytes, List.copyOf(left));
        }
    }

    /**
     * Stages weight files; folders are searched recursively. A path that no longer exists but is
     * tracked stages its removal. All or nothing: on any error nothing is staged.
     */
    public AddResult add(Collection<Path> paths) throws IOException {
        return add(paths, ProgressListener.NONE);
    }

    public AddResult add(Collection<Path> paths, ProgressListener progress) throws IOException {
        return storing(() -> {
            StagedChanges changes = ingest(paths, progress);
            FaultPoints.hit("add.storedBeforeLock");
            try (RepositoryLock.Held l = lockIndex()) {
                StagingIndex now = readIndex();
                changes = changes.withoutStale(now, workTree);
                writeIndex(changes.applyTo(now));
            }
            return changes.result();
        });
    }

    /**
     * Commits the weight files under {@code paths} (folders recursively) as they are in the work
     * tree, and only them, as git's {@code commit PATH...} does: the commit is HEAD's tree with
     * these paths' new versions (a tracked path that is gone is removed); whatever else is staged
     * stays staged for a later commit. The paths are staged as committed. One step as far as
     * other writers are concerned: the files are stored first (in parallel with other writers),
     * then, under the staging lock, they are staged and the commit is made onto the branch's tip
     * then, so no other writer's commit can slip in between, or be overwritten by an older
     * snapshot. Files storing up to {@value #CARRIED_PACK_BYTES} bytes in all (the last file's,
     * when there are several) go to disk in one pack with the commit.
     */
    public ObjectId commit(CommitRequest request, Collection<Path> paths) throws IOException {
        return commit(request, paths, true);
    }

    /**
     * As {@link #commit(CommitRequest, Collection)}; with {@code rebase} false the commit fails
     * (as git would) when the branch moved while the files were being stored, instead of being
     * made on top of the new tip.
     */
    public ObjectId commit(CommitRequest request, Collection<Path> paths, boolean rebase) throws IOException {
        return stageAndCommit(request, paths, rebase, History.Scope.ONLY_OWN);
    }

    /**
     * Stages {@code paths} and commits everything staged, as one step ({@code coral commit -a}:
     * the modified and deleted tracked files, with whatever was staged before); otherwise as
     * {@link #commit(CommitRequest, Collection, boolean)}. A path gone from the working folder and
     * from the staging index since the caller listed it (another writer moved or removed it, and
     * staged that) is passed over: {@code commit -a} had failed with "no such file or folder"
     * naming another writer's file (found by the concurrent fuzz).
     */
    public ObjectId addAndCommit(CommitRequest request, Collection<Path> paths, boolean rebase) throws IOException {
        return stageAndCommit(request, paths, rebase, History.Scope.STAGED);
    }

    private ObjectId stageAndCommit(CommitRequest request, Collection<Path> paths, boolean rebase, History.Scope scope) throws IOException {
        ObjectId seen = rebase ? null : headCommit();
        return storing(() -> {
            try (ObjectInserter ins = newInserter(!request.lossyEps().isEmpty())) {
                // commit PATH also commits removals staged by rm: paths HEAD has that are neither staged nor in the folder
                Set<String> committedPaths = scope == History.Scope.ONLY_OWN ? headPaths() : Set.of();
                StagedChanges changes = ingest(paths, ProgressListener.NONE, ins, request.lossyEps(), committedPaths,
                        scope == History.Scope.STAGED);
                return history.commit(request, changes, rebase ? null : java.util.Optional.ofNullable(seen), carried(ins), scope);
            }
        });
    }

    /**
     * {@code ins}, to be flushed with the commit's tree and commit under the staging lock, after
     * flushing it here if its pack is over {@link #CARRIED_PACK_BYTES}: a large pack is made
     * durable before the lock, not under it, so concurrent writers do not wait for its data.
     */
    private static ObjectInserter carried(ObjectInserter ins) throws IOException {
        if (ins.pendingPackBytes() > CARRIED_PACK_BYTES) {
            ins.flush();
        }
        return ins;
    }

    /**
     * Stored files waiting to be staged: index entries to put and paths to remove; the entries a
     * lossy commit's own reading stored ({@code lossy}: not quantized again), and whether one of
     * them quantized a tensor ({@code quantized}: what makes the commit lossy); {@code readOver}:
     * for each path read from the working folder (or found gone), the staged entry it was read over
     * (empty: none), for {@link #withoutStale}.
     */
    record StagedChanges(Map<String, StagingIndex.Entry> put, List<String> remove, AddResult result, Set<ObjectId> lossy,
                         boolean quantized, Map<String, java.util.Optional<StagingIndex.Entry>> readOver) {
        static final StagedChanges NONE = new StagedChanges(Map.of(), List.of(), null);

        /** Changes none of which was stored lossy. */
        StagedChanges(Map<String, StagingIndex.Entry> put, List<String> remove, AddResult result) {
            this(put, remove, result, Set.of(), false, Map.of());
        }

        StagingIndex applyTo(StagingIndex index) {
            TreeMap<String, StagingIndex.Entry> m = new TreeMap<>(index.entries());
            m.putAll(put);
            remove.forEach(m::remove);
            return new StagingIndex(m);
        }

        /**
         * These changes without the working files read stale, for staging under the staging lock
         * over {@code now}: a path whose staged entry another writer changed since it was read here
         * (its commit or add of the path, a checkout of it) and whose file changed since, or, for a
         * removal, came back. Its version here is older than the one that writer staged, read from
         * the file before that writer's (found by the concurrent fuzz: {@code commit -a} beside a
         * training loop's {@code commit PATH} of its checkpoint put an older version back at the tip,
         * one it had read before the loop committed the newer one). Git holds its index lock from
         * the read to the commit; Coral reads and stores before taking it, so that writers do not
         * wait for each other's reads, and leaves such a path as the other writer staged it, as if
         * it had come first. A file changed since it was read whose entry nobody else staged is kept:
         * this is the newest version staged.
         */
        StagedChanges withoutStale(StagingIndex now, WorkTree wt) throws IOException {
            List<String> stale = new ArrayList<>();
            for (Map.Entry<String, java.util.Optional<StagingIndex.Entry>> r : readOver.entrySet()) {
                String path = r.getKey();
                if (sameEntry(r.getValue().orElse(null), now.entries().get(path))) {
                    continue;
                }
                StagingIndex.Entry mine = put.get(path);
                boolean changed = mine == null ? wt.exists(path) : fileChangedSince(wt, path, mine);
                if (changed) {
                    stale.add(path);
                }
            }
            if (stale.isEmpty()) {
                return this;
            }
            Map<String, StagingIndex.Entry> keptPut = new TreeMap<>(put);
            List<String> keptRemove = new ArrayList<>(remove);
            stale.forEach(keptPut::remove);
            keptRemove.removeAll(stale);
            return new StagedChanges(keptPut, keptRemove, result == null ? null : result.leaving(stale), lossy, quantized, Map.of());
        }

        private static boolean fileChangedSince(WorkTree wt, String path, StagingIndex.Entry read) throws IOException {
            if (read.size() < 0) {
                return false; // staged from memory: no working file
            }
            try {
                return !read.stampMatches(FileIngest.FileStat.quick(wt.file(path)));
            } catch (java.nio.file.NoSuchFileException gone) {
                return true;
            }
        }

        /**
         * Whether two staged entries stage the same version (file entry and bytes): a status in
         * another process restamping an entry (its time, after reading the file) stages nothing anew.
         */
        private static boolean sameEntry(StagingIndex.Entry a, StagingIndex.Entry b) {
            return a == null ? b == null : b != null && a.fileEntry().equals(b.fileEntry()) && Arrays.equals(a.sha256(), b.sha256());
        }
    }

    /** Stores the weight files under {@code paths} (folders recursively), durably, without staging them yet. */
    StagedChanges ingest(Collection<Path> paths, ProgressListener progress) throws IOException {
        try (ObjectInserter ins = newInserter()) {
            StagedChanges changes = ingest(paths, progress, ins, "", Set.of(), false);
            ins.flush();
            return changes;
        }
    }

    /**
     * A merge's averaged files, each written beside its working path ({@code aside}: repository
     * path to that file, {@code unsynced} or fsynced as {@code checkout.fsync} says): stored as the
     * files of those paths, each put in place only while the working file is still what was
     * {@code seen} there, and staged. A file another process wrote there since is left as it
     * wrote it, the averaged version staged under it (a local change, as a checkout leaves one).
     * Returns the paths left; {@code stored} receives each file's SHA-256 before it is put in place.
     * Until 2026-12-07 the averaged files were renamed over whatever was
     * there and then added from the working folder, so a checkpoint written meanwhile was lost, or
     * committed as the merge's result.
     */
    List<String> stageWrittenAside(Map<String, Path> aside, Map<String, SeenFile> seen, boolean unsynced,
                                   Map<String, byte[]> stored) throws IOException {
        return storing(() -> {
            StagedChanges changes;
            try (ObjectInserter ins = newInserter()) {
                changes = storeFiles(new LinkedHashMap<>(aside), new java.util.LinkedHashSet<>(), Set.of(), readIndex(),
                        ProgressListener.NONE, ins, "", false);
                ins.flush();
            }
            Map<String, StagingIndex.Entry> entries = new TreeMap<>();
            List<String> left = new ArrayList<>();
            for (Map.Entry<String, Path> e : aside.entrySet()) {
                StagingIndex.Entry s = changes.put().get(e.getKey());
                stored.put(e.getKey(), s.sha256());
                Path target = workTree.file(e.getKey());
                SeenFile was = seen.getOrDefault(e.getKey(), SeenFile.ABSENT);
                boolean placed;
                try {
                    placed = unsynced ? BackgroundRelease.replaceUnsyncedIf(e.getValue(), target, was)
                            : BackgroundRelease.moveIntoPlaceIf(e.getValue(), target, was);
                } catch (IOException failed) {
                    throw dev.coral.io.WriteErrors.naming(target, failed);
                }
                if (placed) {
                    entries.put(e.getKey(), new StagingIndex.Entry(s.fileEntry(), new FileIngest.FileStat(FileStamp.of(target), s.sha256()), unsynced));
                } else {
                    entries.put(e.getKey(), s.unverified(false)); // compared by content, so status sees the other's file as a change
                    left.add(e.getKey());
                }
            }
            try (RepositoryLock.Held l = lockIndex()) {
                TreeMap<String, StagingIndex.Entry> next = new TreeMap<>(readIndex().entries());
                next.putAll(entries);
                writeIndex(new StagingIndex(next));
            }
            return left;
        });
    }

    /**
     * As {@link #ingest(Collection, ProgressListener)}, through {@code ins}, which it leaves with
     * the last file's objects unflushed: the caller makes them durable before anything names them.
     * With {@code lossyEps} not empty ({@code commit --lossy} with paths), a file that HEAD has
     * is stored straight as its lossy version against HEAD's ({@link FileIngest#ingestLossy}),
     * never as a lossless copy that the commit would leave behind as garbage. A path that is gone
     * stages the removal of the files tracked there (a folder's too, as git does): tracked by the
     * index, or, for {@code commit PATH}, in {@code committedPaths} (HEAD's files), whose removal
     * {@code rm} may have staged already. {@code passOverUnknown}: a path neither there nor
     * tracked is passed over instead of refused.
     */
    private StagedChanges ingest(Collection<Path> paths, ProgressListener progress, ObjectInserter ins, String lossyEps,
                                 Set<String> committedPaths, boolean passOverUnknown) throws IOException {
        unreadablePaths(); // this add's, not an earlier command's
        Map<String, Path> files = new LinkedHashMap<>();
        Set<String> missing = new java.util.LinkedHashSet<>();
        StagingIndex before = readIndex();
        Set<String> tracked = new java.util.TreeSet<>(committedPaths);
        before.entries().forEach((k, e) -> {
            if (e.size() >= 0) { // a version staged from memory has no working file to be gone
                tracked.add(k);
            }
        });
        for (Path p : paths) {
            Path abs = (p.isAbsolute() ? p : workTree.root().resolve(p)).normalize();
            String rp = abs.equals(workTree.root()) ? "" : workTree.repoPath(abs);
            workTree.requireReadable(p, abs);
            if (Files.isDirectory(abs)) {
                for (String f : workTree.weightFilesUnder(abs, null, this::noteUnopened)) {
                    files.put(f, workTree.file(f));
                }
                missing.addAll(goneUnder(rp, tracked));
            } else if (Files.isRegularFile(abs)) {
                if (WeightFormats.forPath(abs).isEmpty()) {
                    throw new BadInputException(p + ": not a weight file (Coral tracks " + String.join(", ", extensions()) + ")");
                }
                files.put(rp, abs);
            } else if ((before.entries().containsKey(rp) || committedPaths.contains(rp)) && workTree.isHidden(rp)) {
                throw new java.nio.file.AccessDeniedException(abs.toString()); // named: neither there nor gone, as far as can be told
            } else if (before.entries().containsKey(rp) || committedPaths.contains(rp)) {
                missing.add(rp);
            } else if (Files.exists(abs, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                throw new BadInputException(p + ": not a regular file or folder (a pipe, a device, or a link to one or to nothing)");
            } else {
                List<String> gone = goneUnder(rp, tracked); // a folder of tracked files, deleted
                if (gone.isEmpty() && passOverUnknown) {
                    continue;
                }
                if (gone.isEmpty()) {
                    throw new BadInputException(p + ": no such file or folder");
                }
                missing.addAll(gone);
            }
        }
        return storeFiles(files, missing, tracked, before, progress, ins, lossyEps, passOverUnknown);
    }

    /**
     * The storing half of {@link #ingest(Collection, ProgressListener, ObjectInserter, String, Set, boolean)}:
     * {@code files}, each repository path's file to read (its working file, or a file written
     * aside: a merge's averaged version), and the removals of {@code missing}.
     */
    private StagedChanges storeFiles(Map<String, Path> files, Set<String> missing, Set<String> tracked, StagingIndex before,
                                     ProgressListener progress, ObjectInserter ins, String lossyEps, boolean passOverUnknown)
            throws IOException {
        Map<String, StagingIndex.Entry> put = new TreeMap<>();
        List<String> unchanged = new ArrayList<>();
        Map<String, List<String>> kept = new TreeMap<>();
        Set<ObjectId> storedLossy = new HashSet<>();
        boolean quantized;
        AddResult result;
        try (ChunkSink sink = ins.newChunkSink(ingestThreads)) {
            FileIngest ingest = new FileIngest(ins, sink, config.chunkBytes());
            SimilarBases similar = similarBases();
            ObjectId head = lossyEps.isEmpty() ? null : headCommit();
            Map<String, ObjectId> committed = head == null ? Map.of() : readTree(head).files();
            LossyRewrite lossy = committed.isEmpty() ? null : new LossyRewrite(graph, ins, sink, config.chunkBytes());
            HeadFiles headFiles = new HeadFiles();
            int i = 0;
            for (Map.Entry<String, Path> e : files.entrySet()) {
                progress.step("adding", ++i, files.size(), e.getKey());
                WeightFileFormat format = WeightFormats.forPath(workTree.file(e.getKey())).orElseThrow(); // by the path: a file written aside has another name
                StagingIndex.Entry previous = before.entries().get(e.getKey());
                ObjectId inHead = committed.get(e.getKey());
                StagingIndex.Entry asItIs;
                FileIngest.Ingested f;
                try {
                    FaultPoints.hit("ingest.fileListed");
                    asItIs = stagedAsItIs(e.getKey(), e.getValue(), previous, lossyEps.isEmpty() ? null : inHead);
                    if (asItIs != null) {
                        put.put(e.getKey(), asItIs);
                        unchanged.add(e.getKey());
                        continue;
                    }
                    DeltaBases bases = DeltaBases.from(graph, previous == null ? null : previous.fileEntry());
                    f = inHead != null ? ingest.ingestLossy(e.getValue(), format, lossy, inHead, lossyEps, similar)
                            : ingest.ingest(e.getValue(), format, bases, similar);
                } catch (java.nio.file.NoSuchFileException gone) {
                    if (!passOverUnknown || !e.getValue().toString().equals(gone.getFile())) {
                        throw gone;
                    }
                    if (tracked.contains(e.getKey())) { // moved or removed by another as it was about to be read: gone, as status would say
                        missing.add(e.getKey());
                    }
                    continue;
                }
                if (inHead != null && !f.entryId().equals(inHead)) {
                    storedLossy.add(f.entryId());
                }
                if (inHead == null) {
                    f = new FileIngest.Ingested(earlierEntryOfSameFile(f, previous, e.getKey(), headFiles), f.stat(), null, f.keptAsBytes());
                }
                // A file a checkout wrote without fsync and nobody wrote since may still be in the page cache only
                // (its entry racy, read back unverified: the same bytes as the checkout wrote).
                boolean unsynced = previous != null && previous.unsynced() && previous.size() == f.stat().size()
                        && (previous.stampMatches(f.stat())
                            || previous.mtimeMillis() == StagingIndex.UNVERIFIED && Arrays.equals(previous.sha256(), f.stat().sha256()));
                put.put(e.getKey(), new StagingIndex.Entry(f.entryId(), f.stat(), unsynced));
                if (!f.keptAsBytes().isEmpty()) {
                    kept.put(e.getKey(), f.keptAsBytes());
                }
                if (i < files.size()) {
                    ins.flush(); // later files of this add may take this one's tensors as delta bases
                }
            }
            similar.save();
            quantized = lossy != null && lossy.wroteLossy();
            result = new AddResult(new ArrayList<>(put.keySet()), unchanged, new ArrayList<>(missing), ins.chunksWritten(), ins.chunksDeduplicated(),
                    ins.rawBytesWritten(), ins.storedBytesWritten(), kept, List.of());
        }
        Map<String, java.util.Optional<StagingIndex.Entry>> readOver = new TreeMap<>();
        for (String path : java.util.stream.Stream.concat(files.keySet().stream(), missing.stream()).toList()) {
            readOver.put(path, java.util.Optional.ofNullable(before.entries().get(path)));
        }
        return new StagedChanges(put, new ArrayList<>(missing), result, storedLossy, quantized, readOver);
    }

    /**
     * Whether {@code file} is as its staging entry recorded it, so that staging it again would
     * store the entry it has: the same size and modification time (what {@code status} trusts), an
     * entry of the file's exact bytes (not a lossy one, which a new {@code add} replaces with
     * them), and not unverified (after a reboot, or "racy": a file modified less than
     * {@link WorkTree#RACY_MILLIS} before the index was written may have been written again within
     * the clock's granularity after it was read, keeping size and time; git's rule, applied as
     * the index is read, see {@link StagingIndex}). For {@code commit --lossy} with paths
     * ({@code lossyAgainst} not null: the file's entry in HEAD), the entry must be HEAD's, which
     * the lossy commit keeps for an unchanged file. An entry of a checkout's own encoding (a
     * deflated npz) is also kept for the file as it was added, put back over it (the bytes its file
     * entry records, compared by CRC32C): status calls it unmodified, and add stored it again and
     * said "staged" (found by review). Measured: re-adding a folder of 8 unchanged 84
     * MB checkpoints read and hashed all of them (1.19 s, against 0.41 s for {@code status}).
     * An exact entry whose file's time changed is read again (the same bytes store as the same
     * entry), unless its format reads it again slowly (an npz of deflated members: 5.3 s for an
     * 84 MB one, against a hash of its bytes): then it is compared by SHA-256 and kept, with the
     * file's new time. Returns the entry to stage, or null to read the file.
     */
    private StagingIndex.Entry stagedAsItIs(String path, Path file, StagingIndex.Entry previous, ObjectId lossyAgainst) throws IOException {
        if (previous == null || previous.size() < 0) {
            return null;
        }
        boolean trusted = previous.mtimeMillis() != StagingIndex.UNVERIFIED;
        if (lossyAgainst != null) {
            return trusted && previous.stampMatches(FileIngest.FileStat.quick(file)) && lossyAgainst.equals(previous.fileEntry())
                    ? previous : null;
        }
        FileEntry staged = graph.file(previous.fileEntry());
        boolean exact = Arrays.equals(staged.fileSha256(), previous.sha256());
        // a checkout's own encoding of a value-identical format (npz): read again, it would be stored as a new
        // file entry of the same tensors, and the untouched file would show as modified (found by fuzzing)
        boolean encodedByCheckout = !exact && !staged.isLossy() && !FileRestore.isByteIdentical(staged);
        if (!exact && !encodedByCheckout) {
            return null;
        }
        FileIngest.FileStat quick = FileIngest.FileStat.quick(file);
        if (trusted && previous.stampMatches(quick)) {
            return previous;
        }
        if (exact) {
            return sameBytesAgain(file, previous, staged, quick);
        }
        // the checkout's encoding, or the file as it was added put back over it, is compared by content as status compares them
        return !workTree.differs(path, previous, graph.recordedContent()) ? previous : null;
    }

    /**
     * {@code previous} with {@code file}'s new time when the file holds the very bytes it records
     * (by SHA-256, its time unchanged while it was read) and its format reads it again slowly;
     * else null: the file is read again.
     */
    private static StagingIndex.Entry sameBytesAgain(Path file, StagingIndex.Entry previous, FileEntry staged, FileIngest.FileStat quick)
            throws IOException {
        boolean slow = WeightFormats.byName(staged.format()).map(f -> f.readsAgainSlowly(staged.restoreInfo())).orElse(false);
        if (!slow || quick.size() != previous.size()) {
            return null;
        }
        FileIngest.FileStat read = FileIngest.FileStat.of(file);
        if (!read.sameStamp(quick) || !read.sameStamp(FileIngest.FileStat.quick(file)) || !Arrays.equals(read.sha256(), previous.sha256())) {
            return null;
        }
        // as an entry read again: in the page cache only while the index could not tell (racy, after a reboot)
        return new StagingIndex.Entry(previous.fileEntry(), read, previous.unsynced() && previous.mtimeMillis() == StagingIndex.UNVERIFIED);
    }

    /** HEAD's files, read when first asked for. */
    private final class HeadFiles {
        private Map<String, ObjectId> files;

        ObjectId entry(String path) throws IOException {
            if (files == null) {
                ObjectId head = headCommit();
                files = head == null ? Map.of() : readTree(head).files();
            }
            return files.get(path);
        }
    }

    /**
     * The staged entry or HEAD's of {@code path} when it is the file just stored as
     * {@code stored}; else {@code stored}'s own. It is when it records the very same bytes
     * (format, size and SHA-256: made from them, or for a lossy entry, restoring to them, as a
     * file its checkout wrote does; found by fuzzing: staged again right after that checkout, it
     * became a new version), or, for an entry restored value-identical (an npz
     * with deflated members), when it holds the same values (format, restore info, metadata and
     * tensors): what its checkout wrote, staged again. Keeping it leaves the tree as it was, as
     * git's is for the same file: before, {@code rm --cached} then {@code add} of an npz a
     * checkout wrote staged a new version of it (found by fuzzing), and an npz entry made before
     * npz was restored byte for byte became a new version when the same file was staged again.
     */
    private ObjectId earlierEntryOfSameFile(FileIngest.Ingested stored, StagingIndex.Entry previous, String path, HeadFiles head)
            throws IOException {
        ObjectId staged = previous == null ? null : previous.fileEntry();
        if (stored.entryId().equals(staged) || sameFile(staged, stored)) {
            return staged;
        }
        ObjectId inHead = head.entry(path);
        return inHead != null && !inHead.equals(staged) && sameFile(inHead, stored) ? inHead : stored.entryId();
    }

    /** Whether the entry {@code id} (null: none) is the file {@code stored} (see {@link #earlierEntryOfSameFile}). */
    private boolean sameFile(ObjectId id, FileIngest.Ingested stored) throws IOException {
        if (id == null || stored.entry() == null) {
            return false;
        }
        FileEntry then;
        try {
            then = graph.file(id);
        } catch (CoralException damaged) {
            return false;
        }
        FileEntry now = stored.entry();
        if (!then.format().equals(now.format())) {
            return false;
        }
        if (then.fileSize() == now.fileSize() && Arrays.equals(then.fileSha256(), now.fileSha256())) {
            return true; // a lossy entry records the bytes it restores to: a file of them is its checkout, not an exact version
        }
        if (then.isLossy() || FileRestore.isByteIdentical(then)) {
            return false;
        }
        // the values-only forms: the zip a checkout wrote for an npz restored value-identical is Coral's own, whose
        // deflated members Coral rebuilds, so read again it holds version 3 restore info of the same members
        WeightFileFormat format = WeightFormats.byName(then.format()).orElse(null);
        return format != null && Arrays.equals(format.forOtherValues(then.restoreInfo()), format.forOtherValues(now.restoreInfo()))
                && then.metadata().equals(now.metadata()) && then.tensors().equals(now.tensors());
    }

    /** The paths of {@code tracked} at or under {@code repoPath} ("": all) with no working file. */
    private List<String> goneUnder(String repoPath, Set<String> tracked) throws BadInputException {
        String prefix = repoPath.isEmpty() ? "" : repoPath + "/";
        List<String> gone = new ArrayList<>();
        for (String k : tracked) {
            if ((k.startsWith(prefix) || k.equals(repoPath)) && !workTree.exists(k)) {
                if (workTree.isHidden(k)) {
                    noteUnreadable(k); // not gone: behind a folder the user may not search, left as staged
                } else {
                    gone.add(k);
                }
            }
        }
        return gone;
    }

    /** The files HEAD's commit records (none before the first commit). */
    private Set<String> headPaths() throws IOException {
        ObjectId head = headCommit();
        return head == null ? Set.of() : readTree(head).files().keySet();
    }

    void writeIndex(StagingIndex index) throws IOException {
        index.write(indexFile());
    }

    /**
     * Stages tensors held in memory as the safetensors file {@code path}: checkout writes that
     * file. The working folder is not touched.
     */
    public ObjectId stageTensors(String path, List<? extends TensorSource> tensors, Map<String, String> metadata)
            throws IOException {
        return storing(() -> {
            StagedChanges changes = new MemoryStaging(this, store, false).prepare(TensorInput.check(path, tensors, metadata), tensors,
                    metadata);
            try (RepositoryLock.Held l = lockIndex()) {
                writeIndex(changes.applyTo(readIndex()));
            }
            return changes.put().get(path).fileEntry();
        });
    }

    /**
     * Largest pack of staged objects a one-step commit ({@link #commitTensors},
     * {@link #commit(CommitRequest, Collection)}) carries into the commit's own pack, flushed with
     * the tree and the commit under the staging lock. A small checkpoint's commit then costs one
     * pack's fsyncs, index file and renames instead of two; a larger one is flushed before the
     * lock, so that concurrent writers do not wait for its data to reach the disk.
     */
    static final long CARRIED_PACK_BYTES = 8L << 20;

    /**
     * Stages in-memory tensors as {@code path} and commits them, and only them, as one step (see
     * {@link #commit(CommitRequest, Collection)}: other staged changes stay staged): what training
     * code calls at each checkpoint.
     * A checkpoint of up to {@value #CARRIED_PACK_BYTES} stored bytes is written as one pack
     * with its commit.
     */
    public ObjectId commitTensors(String path, List<? extends TensorSource> tensors, Map<String, String> metadata,
                                  CommitRequest request) throws IOException {
        return commitTensors(path, tensors, metadata, request, false);
    }

    /**
     * {@link #commitTensors}; {@code copies}: the tensors are copies no one else writes (an
     * asynchronous commit's), so their two reads need no check that they agree.
     */
    ObjectId commitTensors(String path, List<? extends TensorSource> tensors, Map<String, String> metadata,
                           CommitRequest request, boolean copies) throws IOException {
        String repoPath = TensorInput.check(path, tensors, metadata, request);
        return storing(() -> {
            try (ObjectInserter ins = newInserter(!request.lossyEps().isEmpty())) {
                StagedChanges changes = new MemoryStaging(this, store, copies).prepare(repoPath, tensors, metadata, ins,
                        request.lossyEps());
                return history.commit(request, changes, null, carried(ins), History.Scope.ONLY_OWN);
            }
        });
    }

    /**
     * {@link #commitTensors} on a thread of its own, so that a training loop goes on while its
     * checkpoint is committed: returns once the tensors are copied into memory (their sources may
     * then change) and the commit is queued. This handle's asynchronous commits run one after
     * another in the order submitted, each onto the branch as it then is; the future gives the
     * commit's id, or what it failed with (later commits still run). Bad input (the path, an empty
     * message, a tensor whose stream does not hold the bytes its spec gives) fails here, in the
     * caller. At most {@value AsyncCommits#PENDING} copies are held, the commit running and one
     * waiting: a call that would hold a third waits for the oldest to finish, so memory stays
     * bounded (two checkpoints) when checkpoints come faster than they commit. A checkpoint
     * larger than an eighth of the heap is not copied but committed in the calling thread, once
     * the commits submitted before it are done (the future it returns is then complete), so a
     * model of any size commits with a small heap. {@link #close}
     * waits for every commit submitted; a program that exits without closing does too (the
     * commit thread is not a daemon). The future is completed on the commit thread, so actions
     * attached to it with {@code thenRun} and the like may run there, before the next commit:
     * give slow ones an executor ({@code thenRunAsync}). From such an action, closing the handle
     * or submitting a checkpoint committed in the calling thread is refused (each would wait for
     * the commit thread itself).
     */
    public java.util.concurrent.CompletableFuture<ObjectId> commitTensorsAsync(String path, List<? extends TensorSource> tensors,
                                                                             Map<String, String> metadata, CommitRequest request)
            throws IOException {
        return asyncCommits().submit(path, tensors, metadata, request);
    }

    private AsyncCommits asyncCommits() {
        synchronized (asyncLock) {
            if (closing) {
                throw new IllegalStateException("the repository handle is closed: " + root());
            }
            if (asyncCommits == null) {
                asyncCommits = new AsyncCommits(this);
            }
            return asyncCommits;
        }
    }

    /** Copies held by asynchronous commits running or waiting (tests). */
    int asyncCopiesHeld() {
        synchronized (asyncLock) {
            return asyncCommits == null ? 0 : asyncCommits.held();
        }
    }

    /** A tracked path {@link #move} moved (repository paths). */
    public record Moved(String from, String to) {
    }

    /**
     * Git's {@code mv}: renames the tracked file or folder {@code sources.get(0)} to
     * {@code destination}, or moves every source into the existing folder {@code destination};
     * their staged entries move with them (nothing is read again; a local change stays one, at the
     * new path). Refuses, before anything moves, an untracked or missing source, a destination
     * that exists (with {@code force}, a file may be replaced by a file), a folder into itself, a
     * destination folder that does not exist, and a new name of another format than the file's.
     * Returns each tracked path moved.
     */
    public List<Moved> move(List<Path> sources, Path destination, boolean force) throws IOException {
        return new Move(this, workTree).run(sources, destination, force);
    }

    /** {@link #remove(Collection, boolean, boolean)}, not forced. */
    public List<String> remove(Collection<Path> paths, boolean cached) throws IOException {
        return remove(paths, cached, false);
    }

    /**
     * Unstages tracked paths; also deletes the working files unless {@code cached}. Unless
     * {@code force}, refuses (before changing anything) what would lose work, as git's rm does:
     * deleting a file with local modifications, or one whose staged version is not HEAD's (it
     * would be in no commit); with {@code cached}, unstaging a version that is neither HEAD's nor
     * the working file's. A file gone from the working folder already is unstaged.
     */
    public List<String> remove(Collection<Path> paths, boolean cached, boolean force) throws IOException {
        return removeFiles(paths, cached, force).removed();
    }

    /**
     * What {@link #removeFiles} did: the paths unstaged, and of those the working files it left
     * because another process wrote them after its check ({@code leftAsFound}: untracked now).
     */
    public record RemoveResult(List<String> removed, List<String> leftAsFound) {
    }

    /**
     * As {@link #remove(Collection, boolean, boolean)}; unless {@code force}, a working file another
     * process writes after the check for lost work (a training loop's new checkpoint) is left as
     * it wrote it, untracked, and named in the result, as a checkout leaves one: until 2026-12-07
     * it was deleted (git's rm has the same window).
     */
    public RemoveResult removeFiles(Collection<Path> paths, boolean cached, boolean force) throws IOException {
        Set<String> removed = new java.util.LinkedHashSet<>(); // overlapping paths name a file once
        Map<String, SeenFile> seen = null;
        try (RepositoryLock.Held l = lockIndex()) {
            TreeMap<String, StagingIndex.Entry> m = new TreeMap<>(readIndex().entries());
            for (Path p : paths) {
                String rp = workTree.repoPath(p);
                List<String> hit = m.keySet().stream().filter(k -> WorkTree.isUnder(k, rp)).toList(); // the root (".") holds every path
                if (hit.isEmpty()) {
                    throw new BadInputException(p + ": not tracked");
                }
                removed.addAll(hit);
            }
            if (!force) {
                if (!cached) {
                    seen = Checkout.seen(workTree, removed); // before the check: a file written after it is another's
                }
                refuseToLoseWork(removed, m, cached);
            }
            removed.forEach(m::remove);
            new StagingIndex(m).write(indexFile());
        }
        FaultPoints.hit("rm.checked");
        List<String> left = cached ? List.of() : deleteAsSeen(removed, seen);
        return new RemoveResult(List.copyOf(removed), List.copyOf(left));
    }

    /**
     * Deletes the working files of {@code paths} and the folders left empty above them, as git rm
     * does; each only while it is still what was {@code seen} there (none seen: nothing there),
     * or whatever is there when {@code seen} is null. Returns the paths left because another
     * process wrote them since.
     */
    private List<String> deleteAsSeen(Collection<String> paths, Map<String, SeenFile> seen) throws IOException {
        List<String> left = new ArrayList<>();
        for (String p : paths) {
            if (workTree.deleteWithEmptyFolders(p, seen == null ? null : seen.getOrDefault(p, SeenFile.ABSENT)) == WorkTree.Deletion.LEFT) {
                left.add(p);
            }
        }
        return left;
    }

    /**
     * A merge's removals: unstages {@code paths} (tracked files) and deletes each working file
     * only while it is still what was {@code seen} there; a file another process wrote since is
     * left, untracked (as a checkout leaves one the target lacks). Returns the paths left.
     */
    List<String> removeAsSeen(Collection<String> paths, Map<String, SeenFile> seen) throws IOException {
        try (RepositoryLock.Held l = lockIndex()) {
            TreeMap<String, StagingIndex.Entry> m = new TreeMap<>(readIndex().entries());
            paths.forEach(m::remove);
            new StagingIndex(m).write(indexFile());
        }
        return deleteAsSeen(paths, seen);
    }

    /**
     * A merge put back, for the files it left as another process wrote them: each path's staged
     * version becomes {@code tipFiles}' (unstaged where the tip has none), while it is still what
     * the merge staged ({@code mergeStaged}; null for none), so that the other process's file is
     * a local change against the tip, not staged as the merge's. A path staged anew since is left.
     */
    void restageAsTip(Map<String, ObjectId> mergeStaged, Map<String, ObjectId> tipFiles) throws IOException {
        gated(() -> {
            try (RepositoryLock.Held l = lockIndex()) {
                TreeMap<String, StagingIndex.Entry> next = new TreeMap<>(readIndex().entries());
                boolean changed = false;
                for (Map.Entry<String, ObjectId> e : mergeStaged.entrySet()) {
                    StagingIndex.Entry cur = next.get(e.getKey());
                    if (!java.util.Objects.equals(cur == null ? null : cur.fileEntry(), e.getValue())) {
                        continue;
                    }
                    ObjectId tip = tipFiles.get(e.getKey());
                    if (tip == null) {
                        next.remove(e.getKey());
                    } else {
                        next.put(e.getKey(), Checkout.leftUnder(tip, graph.file(tip)));
                    }
                    changed = true;
                }
                if (changed) {
                    new StagingIndex(next).write(indexFile());
                }
            }
            return null;
        });
    }

    private void refuseToLoseWork(Collection<String> removed, Map<String, StagingIndex.Entry> index, boolean cached) throws IOException {
        ObjectId head = headCommit();
        Map<String, ObjectId> committed = head == null ? Map.of() : readTree(head).files();
        for (String r : removed) {
            StagingIndex.Entry e = index.get(r);
            if (!cached && !workTree.exists(r)) {
                continue; // gone from the working folder already: unstaging it is what is asked (git's rule)
            }
            boolean uncommitted = !e.fileEntry().equals(committed.get(r));
            boolean modified = holdsOtherWork(r, e);
            if (cached && uncommitted && modified) {
                throw new BadInputException(r + ": its staged version is neither HEAD's nor the working file's; use --force to unstage it");
            }
            if (!cached && modified) {
                throw new BadInputException(r + ": has local modifications; commit them, keep the file with --cached, or use --force");
            }
            if (!cached && uncommitted) {
                throw new BadInputException(r + ": has changes staged for the next commit; keep the file with --cached, or use --force");
            }
        }
    }

    public Status status() throws IOException {
        return new StatusScan(this).scan();
    }

    // ---------------------------------------------------------------- history

    /** Commits the staged tree on the current branch (or detached HEAD); returns the new id. */
    public ObjectId commit(CommitRequest request) throws IOException {
        return storing(() -> history.commit(request, StagedChanges.NONE, null, null, History.Scope.STAGED));
    }

    /**
     * Merges {@code revision} (a branch, tag, commit ...) into the current branch as git's merge
     * does ({@link Merge}): up to date, a fast-forward (unless {@code noFastForward}), or a merge
     * commit whose second parent is {@code revision}'s commit; files changed on both sides are
     * settled by {@code strategy} ({@link MergeStrategy#NONE}: refused, naming them). The working
     * folder must have no staged or unstaged change. {@code message} null: "Merge REVISION";
     * {@code request} gives the author and metrics.
     */
    public MergeResult merge(String revision, MergeStrategy strategy, String message, boolean noFastForward, CommitRequest request)
            throws IOException {
        requireOpen();
        if (revision == null || strategy == null || request == null) {
            throw new dev.coral.error.BadInputException("merge: " + (revision == null ? "the revision" : strategy == null ? "the strategy"
                    : "the commit request") + " is null");
        }
        return new Merge(this).run(revision, strategy, message, noFastForward, request);
    }

    /** Commits what is staged with {@code theirs} as second parent, unless the branch moved from {@code ours}. */
    ObjectId commitMerge(CommitRequest request, ObjectId ours, ObjectId theirs) throws IOException {
        return storing(() -> history.commit(request, StagedChanges.NONE, java.util.Optional.of(ours), null, History.Scope.STAGED,
                List.of(theirs)));
    }

    public ObjectId resolve(String revision) throws IOException {
        return resolver.resolve(revision);
    }

    public Commit readCommit(ObjectId id) throws IOException {
        return graph.commit(id);
    }

    public Tree readTree(ObjectId commit) throws IOException {
        return graph.tree(graph.commit(commit).tree());
    }

    public FileEntry readFileEntry(ObjectId id) throws IOException {
        return graph.file(id);
    }

    /** Commits reachable from {@code revision}, newest first; {@code limit < 0} for all. */
    public List<CommitWalk.Entry> log(String revision, int limit) throws IOException {
        return new CommitWalk(graph).walk(resolve(revision), limit);
    }

    /**
     * As {@link #log(String, int)}, only the commits that changed a file at or under one of
     * {@code paths} (files or folders, which need not exist: a file since removed has a history),
     * history simplified as {@code git log -- PATH} does ({@link CommitWalk#walk(ObjectId, int,
     * java.util.function.Predicate)}).
     */
    public List<CommitWalk.Entry> log(String revision, int limit, Collection<Path> paths) throws IOException {
        return log(RevisionSet.parse(this, List.of(revision)), limit, paths);
    }

    /**
     * The commits of {@code revisions} ({@code git log A..B}, {@code A...B}, {@code A ^B}),
     * newest first, up to {@code limit} ({@code < 0}: all); with {@code paths} (none: every
     * commit) only those that changed a file at or under one of them, history simplified as
     * {@code git log -- PATH} does.
     */
    public List<CommitWalk.Entry> log(RevisionSet revisions, int limit, Collection<Path> paths) throws IOException {
        return log(revisions, limit, paths, false);
    }

    /** As {@link #log(RevisionSet, int, Collection)}; with {@code firstParent}, only each merge's first parent is followed ({@code git log --first-parent}). */
    public List<CommitWalk.Entry> log(RevisionSet revisions, int limit, Collection<Path> paths, boolean firstParent) throws IOException {
        java.util.function.Predicate<String> there = null;
        if (!paths.isEmpty()) {
            List<String> under = new ArrayList<>();
            for (Path p : paths) {
                under.add(workTree().repoPath(p));
            }
            there = path -> under.stream().anyMatch(u -> WorkTree.isUnder(path, u));
        }
        return new dev.coral.repo.RangeWalk(graph).walk(revisions.revisions(), limit, there, firstParent);
    }

    /** The branch HEAD is on, or null when detached. */
    public String currentBranch() throws IOException {
        return refs.head().branch();
    }

    /** The commit HEAD points at, or null before the first commit. */
    public ObjectId headCommit() throws IOException {
        return refs.headCommit();
    }

    // ---------------------------------------------------------------- reading

    /**
     * The tracked weight files that differ from {@code from} to {@code to}, tensor by tensor (as
     * {@code git diff}: {@code INDEX} to {@code WORK_TREE} shows changes not staged, a revision to
     * {@code INDEX} what a commit would record), limited to {@code paths} (files or folders; none:
     * every path). Equal files are left out; a tensor stored under one id on both sides is not read;
     * any other pair of the same dtype and shape is read side by side, two blocks in memory.
     */
    public List<dev.coral.diff.FileChange> diff(DiffSide from, DiffSide to, Collection<Path> paths) throws IOException {
        return new WeightsDiff(this).diff(from, to, paths, true);
    }

    /**
     * As {@link #diff}, the files only ({@code coral diff --name-only}): added, deleted or
     * modified, their tensor lists empty; tensors are read only for a working file of a lossy
     * version, to tell whether it differs.
     */
    public List<dev.coral.diff.FileChange> diffFiles(DiffSide from, DiffSide to, Collection<Path> paths) throws IOException {
        return new WeightsDiff(this).diff(from, to, paths, false);
    }

    /** The file entry of {@code path} in {@code revision}. */
    public FileEntry fileAt(String revision, String path) throws IOException {
        return fileAt(resolve(revision), revision, path);
    }

    private FileEntry fileAt(ObjectId commit, String revision, String path) throws IOException {
        Tree t = readTree(commit);
        ObjectId id = t.files().get(path);
        if (id == null) {
            throw new BadInputException("'" + path + "' is not in " + revision);
        }
        return graph.file(id);
    }

    /**
     * The tensors of {@code path} in {@code revision}, read lazily. A handle that reads them from
     * commit after commit, each the first parent of the one before (an evaluation loop going back
     * through checkpoints), has the next one's read ahead meanwhile ({@link StepsBack#loaded}).
     */
    public List<StoredTensor> tensors(String revision, String path) throws IOException {
        return new FileRestore(graph).tensors(fileToRead(revision, path));
    }

    /**
     * The entry of {@code path} in {@code revision}, about to be read with no file at hand (its
     * tensors, an export): a restore begins ({@link ObjectStore#noteRestore}), and a reader going
     * back through commits has the next one's read ahead ({@link StepsBack#loaded}).
     */
    private FileEntry fileToRead(String revision, String path) throws IOException {
        ObjectId commit = resolve(revision);
        FileEntry entry = fileAt(commit, revision, path);
        store.noteRestore();
        stepsBack.loaded(commit, path);
        return entry;
    }

    /** One tensor of a file in a revision, read lazily. */
    public StoredTensor tensor(String revision, String path, String name) throws IOException {
        for (StoredTensor t : tensors(revision, path)) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        throw new BadInputException("no tensor '" + name + "' in " + revision + ":" + path);
    }

    /** What the repository stores against what was committed ({@code coral stats}); see {@link RepositoryStats}. */
    public RepositoryStats stats(boolean perFile, boolean perCommit) throws IOException {
        return new StatsCollector(this).collect(perFile, perCommit);
    }

    /** Verifies every file and reachable object ({@code coral fsck}); see {@link Maintenance}. */
    public dev.coral.maintenance.FsckReport fsck(boolean rebuildIndex) throws IOException {
        return Maintenance.fsck(this, rebuildIndex);
    }

    /** Removes unreachable packs and leftovers older than {@code grace} ({@code coral gc}); see {@link Maintenance}. */
    public dev.coral.maintenance.GcReport gc(boolean dryRun, java.time.Duration grace) throws IOException {
        requireOpen();
        return Maintenance.gc(this, dryRun, grace);
    }

    /** What {@link #repack()} did: packs and their bytes before, the bytes of the pack it wrote (packs commits beside it wrote are not counted), objects kept, chunks now stored as deltas. */
    public record RepackResult(int packsBefore, long bytesBefore, long bytesAfter, int objects, int deltaChunks) {
    }

    /**
     * Re-plans every delta base and chain (each tensor against its previous version, in commit
     * order, with this repository's chain bound) and rewrites everything reachable into one pack;
     * no object id changes ({@code coral repack}).
     */
    public RepackResult repack() throws IOException {
        return repack(() -> { });
    }

    /** As {@link #repack()}; {@code onWait} runs when the repack must wait for commits in progress. */
    public RepackResult repack(Runnable onWait) throws IOException {
        requireOpen();
        return new Repack(this, onWait).run();
    }

    /** A cluster of similar tensors ({@code coral stats --clusters}): names are {@code path:tensor} as first committed. */
    public record TensorCluster(String base, List<String> members, double meanDistance) {
    }

    /**
     * Groups of similar tensors found by the similarity index (the first version of each tensor
     * lineage): which fine-tunes share a base. Tensors no branch, tag or HEAD reaches are left
     * out. Names are those of the commit that stored a tensor first (a renamed copy is the same
     * tensor), and of two equally central members the first stored is the base.
     */
    public List<TensorCluster> clusters() throws IOException {
        Map<ObjectId, String> names = new java.util.HashMap<>();
        Map<ObjectId, Integer> firstSeen = new java.util.HashMap<>();
        for (CommitWalk.Entry e : Repack.commitsParentsFirst(this)) {
            for (Map.Entry<String, ObjectId> f : graph.tree(e.commit().tree()).files().entrySet()) {
                for (FileEntry.NamedTensor t : graph.file(f.getValue()).tensors()) {
                    if (names.putIfAbsent(t.tensorId(), f.getKey() + ":" + t.name()) == null) {
                        firstSeen.put(t.tensorId(), firstSeen.size());
                    }
                }
            }
        }
        List<TensorCluster> out = new ArrayList<>();
        for (dev.coral.similarity.Clusters.Cluster c : dev.coral.similarity.Clusters.of(similarBases().index(), config.similarityCheck(),
                dev.coral.similarity.Clusters.NEIGHBORS, false,
                java.util.Comparator.comparingInt((ObjectId id) -> firstSeen.getOrDefault(id, Integer.MAX_VALUE)))) {
            List<String> members = c.members().stream().filter(names::containsKey).map(names::get).toList();
            if (members.size() >= 2 && names.containsKey(c.baseId())) {
                out.add(new TensorCluster(names.get(c.baseId()), members, c.meanDistance()));
            }
        }
        return out;
    }

    /** How many deltas are applied to read a stored chunk (0: stored whole). */
    public int chainDepth(ObjectId chunk) throws IOException {
        return store.chainDepth(chunk);
    }

    /** The chunk a stored chunk is a delta against, or null when it is stored whole. */
    public ObjectId deltaBase(ObjectId chunk) throws IOException {
        return store.deltaBase(chunk);
    }

    /** Bytes a stored object takes in its pack. */
    public long storedLength(ObjectId id) throws IOException {
        return store.storedLength(id);
    }

    // ---------------------------------------------------------------- checkout, branches, tags

    /** Restores the whole tracked tree of {@code revision} and moves HEAD to it. */
    public CheckoutResult checkout(String revision, boolean force) throws IOException {
        return checkout(revision, force, ProgressListener.NONE);
    }

    public CheckoutResult checkout(String revision, boolean force, ProgressListener progress) throws IOException {
        requireOpen();
        return gated(() -> new Checkout(this).all(revision, force, progress)); // HEAD may come to name a commit nothing else reaches
    }

    /** Restores only {@code paths} (files or folders) from {@code revision}; HEAD stays. */
    public CheckoutResult checkoutPaths(String revision, Collection<Path> paths) throws IOException {
        return gated(() -> new Checkout(this).paths(revision, paths)); // the staging index may come to name such objects
    }

    /**
     * Unstages {@code paths} (files or folders), as git's {@code restore --staged}: what is staged
     * for each becomes its version in {@code source} (null: HEAD), and a path the source lacks
     * (a file added since) stops being staged; the working files stay as they are. Returns the
     * paths whose staged state changed.
     */
    public List<String> restoreStaged(Collection<Path> paths, String source) throws IOException {
        return gated(() -> new Restore(this).run(paths, source, true, false, p -> false).staged()); // the source may be a commit nothing else reaches
    }

    /**
     * Git's {@code reset [REV] [--] PATH...}: as {@link #restoreStaged}, except that a path
     * matching no tracked file is nothing to do (git's exits 0) when it came after {@code --}
     * ({@code afterDoubleDash}) or names a file or folder in the working folder (an untracked
     * file); any other such path is an error, as git's "neither a revision nor a path".
     */
    public List<String> resetPaths(Collection<Path> paths, String source, boolean afterDoubleDash) throws IOException {
        return gated(() -> new Restore(this).run(paths, source, true, false,
                p -> afterDoubleDash || Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)).staged());
    }

    /**
     * Restores the working files of {@code paths} (files or folders), as git's {@code restore}:
     * from what is staged ({@code source} null) or from revision {@code source}, discarding their
     * changes; with {@code staged}, what is staged is restored from the source (null: HEAD) too.
     * A tracked path the source lacks is deleted (and, with {@code staged}, unstaged).
     */
    public CheckoutResult restoreWorkTree(Collection<Path> paths, String source, boolean staged) throws IOException {
        return gated(() -> {
            Restore.Result r = new Restore(this).run(paths, source, staged, true, p -> false);
            return new CheckoutResult(r.commit(), r.written(), r.deleted(), List.of());
        });
    }

    /** What {@link #reset} changes besides the ref: nothing else, the staging index, or that and the working files. */
    public enum ResetMode { SOFT, MIXED, HARD }

    /**
     * Moves the current branch (HEAD, when detached) to {@code revision}, as git's {@code reset}:
     * {@link ResetMode#SOFT} only that; {@link ResetMode#MIXED} also makes the staging index that
     * commit's tree (the working files stay, now unstaged changes); {@link ResetMode#HARD} also
     * overwrites the tracked working files with it, discarding local changes. The commit left is
     * kept as {@code ORIG_HEAD} (a revision, and a root for gc). Before the first commit a mixed
     * reset to HEAD unstages everything.
     */
    public CheckoutResult reset(String revision, ResetMode mode, ProgressListener progress) throws IOException {
        return gated(() -> new Reset(this).run(revision, mode, progress)); // the branch may come to name a commit nothing else reaches
    }

    /** A merge's fast-forward from {@code from} to {@code to} ({@link Reset#fastForward}). */
    CheckoutResult fastForward(ObjectId from, ObjectId to) throws IOException {
        return gated(() -> new Reset(this).fastForward(from, to));
    }

    /** {@link #checkoutPaths}, over what was {@code seen} at each path only (a merge's). */
    CheckoutResult checkoutPaths(String revision, Collection<Path> paths, Map<String, SeenFile> seen) throws IOException {
        return gated(() -> new Checkout(this).paths(revision, paths, seen));
    }

    /** The commit HEAD was at before the last {@link #reset} moved it, or null. */
    public ObjectId origHead() throws IOException {
        return refs.origHead();
    }

    /** What a checkout wrote and deleted. */
    /**
     * What a checkout did: the files it wrote and deleted, and those it left as another process
     * wrote them after its check for local changes ({@code leftAsFound}: not lost; a file the
     * target tracks then has the target's version staged, and {@code status} calls it modified).
     */
    public record CheckoutResult(ObjectId commit, List<String> written, List<String> deleted, List<String> leftAsFound) {
    }

    public void createBranch(String name, String startRevision) throws IOException {
        gated(() -> { // the start may be a commit nothing else reaches
            ObjectId start = resolveStart(startRevision);
            if (refs.updateBranch(name, null, start) != Refs.UpdateResult.UPDATED) {
                throw new BadInputException("branch '" + name + "' already exists");
            }
            return null;
        });
    }

    /**
     * Where a new branch starts: refuses a start that is exactly a name both a branch and a tag
     * have, as git's {@code branch} does (found by fuzzing against git: Coral took the tag); a
     * revision from such a name ({@code NAME~1}) is the tag's, as any revision is.
     */
    private ObjectId resolveStart(String startRevision) throws IOException {
        if (startRevision.equals(resolver.ambiguousName(startRevision))) {
            throw new BadInputException("ambiguous object name: '" + startRevision + "' is both a branch and a tag (refs/heads/"
                    + startRevision + " or refs/tags/" + startRevision + " says which)");
        }
        return resolve(startRevision);
    }

    /**
     * Points branch {@code name} at {@code startRevision}, creating it or moving it wherever it
     * was (git's {@code branch -f}); refuses the branch HEAD is on, as git does (that is
     * {@link #reset}'s). Returns the commit it was at, or null for a new branch.
     */
    public ObjectId forceBranch(String name, String startRevision) throws IOException {
        return gated(() -> { // the start may be a commit nothing else reaches
            ObjectId start = resolveStart(startRevision);
            RefName.check("branch", name);
            // as a commit, under the staging lock: no commit moves the branch meanwhile, nor HEAD comes onto it
            try (RepositoryLock.Held l = lockIndex(); Refs.HeadUpdate held = refs.lockHead()) {
                if (name.equals(currentBranch())) {
                    throw new BadInputException("cannot force update the branch '" + name + "' HEAD is on (use coral reset)");
                }
                ObjectId was = refs.branch(name);
                if (refs.updateBranch(name, was, start) != Refs.UpdateResult.UPDATED) {
                    throw new dev.coral.error.LockFailedException("branch '" + name + "' moved meanwhile; try again");
                }
                return was;
            }
        });
    }

    /**
     * Renames branch {@code from} to {@code to} (git's {@code branch -m}); HEAD follows when it was
     * on it. Refuses a name that exists unless {@code force} (git's {@code -M}), which replaces that
     * branch, but never the one HEAD is on.
     */
    public void renameBranch(String from, String to, boolean force) throws IOException {
        gated(() -> {
            RefName.check("branch", to);
            try (RepositoryLock.Held l = lockIndex(); Refs.HeadUpdate headUpdate = refs.lockHead()) {
                ObjectId tip = refs.branch(from);
                String current = currentBranch();
                if (tip == null && from.equals(current)) { // HEAD's branch has no commit yet: only HEAD names it
                    if (from.equals(to)) {
                        return null; // as git's: nothing to do (found by fuzzing against git)
                    }
                    if (refs.branch(to) != null) {
                        throw new BadInputException("branch '" + to + "' already exists");
                    }
                    headUpdate.toBranch(to);
                    return null;
                }
                if (tip == null) {
                    throw new BadInputException("branch '" + from + "' not found");
                }
                if (from.equals(to)) {
                    return null;
                }
                ObjectId there = refs.branch(to);
                if (there != null && !force) {
                    throw new BadInputException("branch '" + to + "' already exists (-M replaces it)");
                }
                if (there != null && to.equals(current)) {
                    throw new BadInputException("cannot replace the branch '" + to + "' HEAD is on");
                }
                if (to.startsWith(from + "/") || from.startsWith(to + "/")) {
                    renameNested(from, to, tip, from.equals(current), headUpdate);
                    return null;
                }
                if (refs.updateBranch(to, there, tip) != Refs.UpdateResult.UPDATED) {
                    throw new dev.coral.error.LockFailedException("branch '" + to + "' moved meanwhile; try again");
                }
                if (from.equals(current)) {
                    headUpdate.toBranch(to); // before the old name goes: HEAD never names a missing branch
                }
                if (!refs.deleteBranch(from, tip)) {
                    throw new dev.coral.error.LockFailedException("branch '" + from + "' moved or went meanwhile, so it stays; '" + to
                            + "' is at " + tip.abbreviate(12));
                }
                return null;
            }
        });
    }

    /**
     * Renames {@code from} to a name below it or above it ({@code topic} to {@code topic/x}, or
     * back), as git does: the old ref's file is where the new one's folder goes, or the other way
     * round, so the old one must go first. Meanwhile a branch {@code NAME.renaming-N} (NAME the
     * shorter of the two) holds the tip, and HEAD names it if it named {@code from}: a crash
     * leaves that branch, never a commit no branch reaches.
     */
    private void renameNested(String from, String to, ObjectId tip, boolean headOnIt, Refs.HeadUpdate headUpdate) throws IOException {
        String shorter = from.length() < to.length() ? from : to;
        String hold = shorter + ".renaming-" + Long.toHexString(System.nanoTime());
        if (refs.updateBranch(hold, null, tip) != Refs.UpdateResult.UPDATED) {
            throw new dev.coral.error.LockFailedException("branch '" + hold + "' appeared meanwhile; try again");
        }
        if (headOnIt) {
            headUpdate.toBranch(hold);
        }
        if (!refs.deleteBranch(from, tip)) {
            throw new dev.coral.error.LockFailedException("branch '" + from + "' moved or went meanwhile, so it stays; '" + hold
                    + "' is at " + tip.abbreviate(12));
        }
        if (refs.updateBranch(to, null, tip) != Refs.UpdateResult.UPDATED) {
            throw new dev.coral.error.LockFailedException("branch '" + to + "' appeared meanwhile; '" + hold + "' is at " + tip.abbreviate(12));
        }
        if (headOnIt) {
            try (Refs.HeadUpdate again = refs.lockHead()) { // the first write released HEAD's lock
                again.toBranch(to);
            }
        }
        refs.deleteBranch(hold, tip);
    }

    /** {@link #deleteBranch(String, boolean)}, not forced. */
    public void deleteBranch(String name) throws IOException {
        deleteBranch(name, false);
    }

    /**
     * Deletes branch {@code name}. Unless {@code force}, refuses one whose tip no other branch,
     * tag or HEAD reaches: its commits would be left to gc (git's {@code branch -d} refuses a
     * branch not merged, {@code -D} forces).
     */
    public void deleteBranch(String name, boolean force) throws IOException {
        if (name.equals(currentBranch())) {
            throw new BadInputException("cannot delete branch '" + name + "': HEAD is on it");
        }
        ObjectId tip = refs.branch(name);
        if (tip == null) {
            throw new BadInputException("branch '" + name + "' not found");
        }
        if (!force && !reachedFrom(tip, name)) {
            throw new BadInputException("branch '" + name + "' is not merged: no other branch, tag or HEAD reaches its commits, which gc"
                    + " would then remove; delete it with -D");
        }
        if (!refs.deleteBranch(name)) {
            throw new BadInputException("branch '" + name + "' not found");
        }
    }

    /**
     * Whether HEAD, a branch or a tag reaches {@code commit}: else gc would remove it (a commit
     * made on a detached HEAD that then moved elsewhere).
     */
    public boolean isReachable(ObjectId commit) throws IOException {
        return reachedFrom(commit, null);
    }

    /**
     * Whether the working file at {@code path} holds work that overwriting or deleting it would
     * lose: it exists and is not the staged entry's version {@code e}; and for a version staged
     * from memory (which recorded no file: the file there may be one an earlier checkout wrote, or
     * the user's own), not a version a commit has either.
     */
    boolean holdsOtherWork(String path, StagingIndex.Entry e) throws IOException {
        return workTree.exists(path) && workTree.differs(path, graph.asWritten(e), graph.recordedContent())
                && (e.size() >= 0 || !holdsCommittedVersion(path));
    }

    /**
     * Whether the working file at {@code path} holds a version of it that a commit HEAD, a branch
     * or a tag reaches has (by SHA-256).
     */
    private boolean holdsCommittedVersion(String path) throws IOException {
        byte[] sha = FileIngest.FileStat.sha256(workTree.file(path));
        java.util.Set<ObjectId> seen = new java.util.HashSet<>();
        return new CommitWalk(graph).find(refStarts(null), (id, c) -> {
            ObjectId f = graph.tree(c.tree()).files().get(path);
            return f != null && seen.add(f) && Arrays.equals(graph.file(f).fileSha256(), sha);
        });
    }

    /** Whether HEAD, a tag or a branch other than {@code exceptBranch} reaches {@code commit}. */
    private boolean reachedFrom(ObjectId commit, String exceptBranch) throws IOException {
        return new CommitWalk(graph).reaches(refStarts(exceptBranch), commit);
    }

    /** HEAD's commit, the branches' (but {@code exceptBranch}) and the tags'. */
    List<ObjectId> refStarts(String exceptBranch) throws IOException {
        List<ObjectId> starts = new ArrayList<>();
        ObjectId head = headCommit();
        if (head != null) {
            starts.add(head);
        }
        for (String b : branches()) {
            if (!b.equals(exceptBranch)) {
                starts.add(refs.branch(b));
            }
        }
        for (String t : tags()) {
            starts.add(resolve("refs/tags/" + t));
        }
        starts.removeIf(java.util.Objects::isNull);
        return starts;
    }

    public List<String> branches() throws IOException {
        return refs.branches();
    }

    public ObjectId branchTip(String name) throws IOException {
        return refs.branch(name);
    }

    /**
     * Switches HEAD to branch {@code name}, restoring its files; creates it at HEAD when
     * {@code create} (see {@link #switchToNewBranch}).
     */
    public CheckoutResult switchBranch(String name, boolean create, boolean force) throws IOException {
        if (create) {
            ObjectId head = force ? headCommit() : null;
            // forced, a branch with a commit is checked out again (local changes discarded); else nothing to write
            return head == null ? newBranchAtHead(name, null) : switchToNewBranch(name, head.hex(), true);
        } else if (refs.branch(name) == null) {
            throw new BadInputException("branch '" + name + "' not found (use -c to create it)");
        }
        return checkout(name, force, ProgressListener.NONE);
    }

    /**
     * Creates branch {@code name} at {@code startRevision} and switches to it, restoring its files;
     * a switch that fails (refused, say, to keep local changes) leaves no branch behind, as git's.
     * A start that is the commit HEAD is at (without {@code force}) changes no file: the branch is
     * made there and HEAD moved onto it in one step under the staging index's lock and HEAD's, as
     * git skips the tree merge there. Until 2026-12-07 that too was a branch made at the commit read
     * first, then a checkout of it: a commit landing between the two made the switch a step back,
     * refused over the committing process's next version of its file ({@code head-moves-fuzz.py}).
     */
    public CheckoutResult switchToNewBranch(String name, String startRevision, boolean force) throws IOException {
        if (!force) {
            // HEAD itself is wherever HEAD is when the locks are held
            CheckoutResult here = newBranchAtHead(name, startRevision.equals("HEAD") ? null : resolveStart(startRevision));
            if (here != null) {
                return here;
            }
        }
        createBranch(name, startRevision);
        try {
            return checkout(name, force, ProgressListener.NONE);
        } catch (IOException | RuntimeException e) {
            try {
                deleteBranch(name, true);
            } catch (IOException | RuntimeException d) {
                e.addSuppressed(d);
            }
            throw e;
        }
    }

    /**
     * Branch {@code name} made at the commit HEAD is at, and HEAD moved onto it, under the staging
     * index's lock and HEAD's (no commit lands between, and no file changes); on a branch with no
     * commit yet, HEAD moved onto {@code name}, itself with none. Null when HEAD is not at
     * {@code expected} (null: wherever it is), for a checkout to do it.
     */
    private CheckoutResult newBranchAtHead(String name, ObjectId expected) throws IOException {
        return gated(() -> {
            RefName.check("branch", name);
            FaultPoints.hit("switch.newBranch");
            try (RepositoryLock.Held l = lockIndex(); Refs.HeadUpdate held = refs.lockHead()) {
                ObjectId head = headCommit();
                if (expected != null && !expected.equals(head)) {
                    return null;
                }
                if (head == null ? refs.branch(name) != null : refs.updateBranch(name, null, head) != Refs.UpdateResult.UPDATED) {
                    throw new BadInputException("branch '" + name + "' already exists");
                }
                held.toBranch(name);
                return new CheckoutResult(head, List.of(), List.of(), List.of());
            }
        });
    }

    /** Creates a tag; annotated when {@code message} is not null. */
    public ObjectId createTag(String name, String revision, String message) throws IOException {
        return createTag(name, revision, message, false);
    }

    /**
     * Creates a tag; annotated when {@code message} is not null. With {@code force} (git's
     * {@code tag -f}) a tag of that name is replaced; else one is refused.
     */
    public ObjectId createTag(String name, String revision, String message, boolean force) throws IOException {
        return createTag(name, revision, message, force, CommitRequest.defaultAuthor());
    }

    /** As {@link #createTag(String, String, String, boolean)}, an annotated tag naming {@code tagger}. */
    public ObjectId createTag(String name, String revision, String message, boolean force, String tagger) throws IOException {
        return gated(() -> {
            ObjectId target = resolve(revision);
            ObjectId id = target;
            if (message != null) {
                try (ObjectInserter ins = store.newInserter()) {
                    id = ObjectGraph.write(ins, new TagObject(target, name, tagger, System.currentTimeMillis(), message));
                    ins.flush();
                }
            }
            if (force) {
                refs.replaceTag(name, id);
            } else {
                refs.createTag(name, id);
            }
            return id;
        });
    }

    public void deleteTag(String name) throws IOException {
        if (!refs.deleteTag(name)) {
            throw new BadInputException("tag '" + name + "' not found");
        }
    }

    public List<String> tags() throws IOException {
        return refs.tags();
    }

    /**
     * The branch-and-tag name {@code rev} starts from, or null when its name is not both (as a
     * revision such a name is the tag, as in git; checkout and switch of it take the branch).
     */
    public String ambiguousName(String rev) throws IOException {
        return resolver.ambiguousName(rev);
    }

    /** The id tag {@code name} holds (a commit, or an annotated tag object), or null when there is no such tag. */
    public ObjectId resolveTag(String name) throws IOException {
        return refs.tag(name);
    }

    /** The annotated tag object of {@code name}, or null for a lightweight tag. */
    public TagObject tagObject(String name) throws IOException {
        ObjectId id = refs.tag(name);
        if (id == null) {
            throw new BadInputException("tag '" + name + "' not found");
        }
        return graph.kindOf(id) == dev.coral.store.ObjectKind.TAG ? graph.tag(id) : null;
    }

    /**
     * Writes {@code path} of {@code revision} to {@code given} in {@code formatName} (null: the
     * format of {@code given}'s extension), making its missing folders; through a symbolic link,
     * to the file it names. Not onto a folder, a pipe or a device, nor into this repository's {@code .coral}.
     */
    public void export(String revision, String path, Path given, String formatName) throws IOException {
        Path out = exportTarget(given);
        FileEntry entry = fileToRead(revision, path);
        WeightFileFormat format = formatName != null
                ? namedFormat(formatName)
                : WeightFormats.forPath(given).orElseThrow(() -> new BadInputException(given + ": cannot tell the format from the extension; give --format"));
        Path parent = out.toAbsolutePath().normalize().getParent();
        if (parent != null) {
            Folders.ensure(parent); // its missing folders, once nothing else can fail first
        }
        new FileRestore(graph).export(entry, format, out);
    }

    /**
     * Where an export to {@code given} writes: the file a symbolic link names (the link stays; the
     * export replaces the file it points to, as a program writing through it would), else
     * {@code given}. Refuses a folder, a pipe, a device or a socket (an export writes a new file and
     * renames it into place, which would replace them: found by fuzzing, {@code -o /dev/stdout}
     * inside batch replaced the system's link), and a file in this repository's {@code .coral}
     * (through links too), which would replace a file Coral keeps there (its HEAD, a pack).
     */
    private Path exportTarget(Path given) throws IOException {
        Path out = given;
        if (Files.isSymbolicLink(given)) {
            try {
                out = given.toRealPath();
            } catch (java.nio.file.NoSuchFileException e) { // a link to a file still to be made: made there, as cp does
                out = given.toAbsolutePath().resolveSibling(Files.readSymbolicLink(given)).normalize();
                if (Files.isSymbolicLink(out)) {
                    throw new BadInputException(given + ": a symbolic link to a link to nothing; give the file to write");
                }
            }
        }
        if (Files.exists(out, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(out, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                && !Files.isDirectory(out)) {
            throw new BadInputException(given + ": not a regular file (a pipe, a device or a socket), which an export would replace; "
                    + "give a file, or -o - for standard output");
        }
        checkExportTarget(out);
        return out;
    }

    /** Refuses an export onto a folder, and one into this repository's {@code .coral} (through links too). */
    private void checkExportTarget(Path out) throws IOException {
        Path target = out.toAbsolutePath().normalize();
        if (Files.isDirectory(target)) {
            throw new BadInputException(out + ": a folder; give the name of the file to write");
        }
        Path existing = target.getParent();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        Path real = existing == null ? target : existing.toRealPath().resolve(existing.relativize(target));
        if (real.startsWith(coralDir.toRealPath()) || target.startsWith(coralDir)) {
            throw new BadInputException(out + ": inside " + WorkTree.CORAL_DIR + ", which Coral manages itself");
        }
    }

    /**
     * Writes {@code path} of {@code revision} to {@code out} (flushed, not closed): the file as it
     * was committed when {@code formatName} is null (byte-identical for safetensors, npy and npz of stored members,
     * checked as a checkout checks it), else converted to that format. Every chunk is checked
     * against its id (SHA-256) before its bytes are written: a stream cannot take back what it
     * was given. For {@code coral export REV:PATH -o -} and for reading a checkpoint into another
     * process without a file. As for {@link #tensors}, a handle exporting commit after commit going
     * back has the next one's read ahead.
     */
    public void export(String revision, String path, OutputStream out, String formatName) throws IOException {
        FileEntry entry = fileToRead(revision, path);
        FileRestore restore = new FileRestore(graph);
        if (formatName == null) {
            restore.writeCommitted(entry, out, path);
            return;
        }
        restore.export(entry, namedFormat(formatName), out);
    }

    private static WeightFileFormat namedFormat(String formatName) throws BadInputException {
        return WeightFormats.byName(formatName)
                .orElseThrow(() -> new BadInputException("--format " + formatName + ": unknown format (known: " + String.join(", ", formatNames()) + ")"));
    }

    static List<String> extensions() {
        List<String> out = new ArrayList<>();
        WeightFormats.all().forEach(f -> f.extensions().forEach(e -> out.add("." + e)));
        return out;
    }

    static List<String> formatNames() {
        return WeightFormats.all().stream().map(WeightFileFormat::name).toList();
    }

    /** Closes the handle once each holder ({@link #retain}) has closed it; closing it again does nothing. */
    @Override
    public void close() throws IOException {
        if (AsyncCommits.onCommitThread()) {
            // it would wait for itself: the commit thread ends only once every commit submitted is done
            throw new IllegalStateException("close of " + root() + " from its commit thread (an action attached to a commit's "
                    + "future): close it from another thread, or attach the action with thenRunAsync");
        }
        if (holders.decrementAndGet() != 0) {
            return;
        }
        finishAsyncCommits(); // every commit submitted lands before the store closes
        closed = true;
        packUpkeep.close();
        store.close();
    }

    private void finishAsyncCommits() {
        AsyncCommits pending;
        synchronized (asyncLock) {
            closing = true;
            pending = asyncCommits;
        }
        if (pending != null) {
            pending.finish();
        }
    }

    static void deleteTree(Path p) throws IOException {
        Folders.deleteTree(p);
    }

    static CoralException wrap(String what, RuntimeException e) {
        return new CoralException(what + ": " + e.getMessage(), e);
    }
}
