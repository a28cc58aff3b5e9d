package dev.coral.maintenance;

import dev.coral.error.CorruptObjectException;
import dev.coral.io.FaultPoints;
import dev.coral.io.OpenFileLimit;
import dev.coral.io.RepositoryLock;
import dev.coral.repo.FormatFeatures;
import dev.coral.repo.ObjectGraph;
import dev.coral.repo.Refs;
import dev.coral.repo.RootAttempts;
import dev.coral.repo.RepositoryConfig;
import dev.coral.repo.StagingIndex;
import dev.coral.similarity.LshIndex;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectKind;
import dev.coral.store.ObjectStore;
import dev.coral.store.PackVerifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code coral fsck}: checks a repository's {@code .coral} folder and names, for each problem,
 * the file at fault and the tensors, files and commits it affects.
 *
 * <ol>
 * <li>Every pack: header, each entry's head against its index and its CRC32C, trailer, the
 *     whole-pack CRC32C; every pack index and the multi-pack index (checksums, structure, and
 *     that the multi-pack index agrees with the pack indexes).
 * <li>HEAD, every branch and tag, {@code config}, the format features ({@code format}: damaged, or
 *     naming one this Coral does not know) and the staging index ({@code index}).
 * <li>Every object reachable from branches, tags, HEAD, ORIG_HEAD and the staging index: read through the
 *     store (small objects hash-checked, chunks decoded through their delta chains and their
 *     SHA-256 checked), every reference resolving (commit → tree → file → tensor → chunk →
 *     delta base).
 * <li>Leftovers of dead writers and stale lock files: warnings, with a hint to run gc. A pack
 *     without an index is one, unless it holds objects the walk could not find: then its index was
 *     lost, a problem named once (not per missing object and per delta built on them).
 * <li>A HEAD naming a branch that does not exist while commits are stored: a warning naming the
 *     newest commits no ref reaches ({@link MissingHeadBranch}).
 * <li>A similarity index that cannot be read: a warning (derived data; {@code coral fsck
 *     --rebuild-index} rebuilds it through the Java API's {@code Maintenance}).
 * </ol>
 *
 * Reads only, holding the gc lock when it can have it within {@value #GC_LOCK_WAIT_MILLIS} ms (so no
 * gc, repack or pack merge deletes a pack meanwhile), except with {@code rebuildIndex}: then, before checking, each pack index that does
 * not verify or is missing is rebuilt from its pack (when the pack verifies whole) and the multi-pack index is
 * rewritten from the pack indexes. Works from the folder alone: a damaged config or a store that
 * cannot open is reported, not fatal.
 */
public final class Fsck {
    private final Path coralDir;
    private final Path packsDir;
    private final Path locksDir;
    private final Instant now;

    private Fsck(Path coralDir, Instant now) {
        this.coralDir = coralDir.toAbsolutePath().normalize();
        this.packsDir = this.coralDir.resolve("packs");
        this.locksDir = this.coralDir.resolve("locks");
        this.now = now;
    }

    /** Checks the repository whose {@code .coral} folder is {@code coralDir}. */
    public static FsckReport check(Path coralDir, boolean rebuildIndex) throws IOException {
        return check(coralDir, rebuildIndex ? rebuildIndexes(coralDir) : List.of());
    }

    /** Checks the repository after repairs already made, which the report lists. */
    public static FsckReport check(Path coralDir, List<String> repairs) throws IOException {
        return new Fsck(coralDir, Instant.now()).run(repairs);
    }

    /**
     * Rebuilds each pack index that does not verify or is missing (from its pack, when that
     * verifies whole) and rewrites the multi-pack index; returns what it did, a line each.
     */
    public static List<String> rebuildIndexes(Path coralDir) throws IOException {
        List<String> repairs = new ArrayList<>();
        new Fsck(coralDir, Instant.now()).rebuildIndexes(repairs);
        return repairs;
    }

    /** What {@code .coral/format} declares, read once by {@link #run}; null when it cannot be read: {@link #featuresProblem}. */
    private Set<String> declared;
    private Exception featuresProblem;

    /**
     * Whether this check holds the gc lock, so no gc, repack or pack merge deletes a pack while it
     * reads (found by fuzzing the Java API: a merge of small packs running beside fsck made it
     * report their objects' pack missing), and no repack runs (the leftovers' scratch folders are dead).
     */
    private boolean holdsGcLock;

    /**
     * How long fsck waits for the gc lock: a merge of small packs (a writer's upkeep) takes well
     * under a second; a gc or repack may take minutes, and fsck then checks beside it, as before.
     */
    static final long GC_LOCK_WAIT_MILLIS = 2000;

    /** The point ({@link FaultPoints}) where the packs folder has just been listed: tests delete packs there. */
    static final String PACKS_LISTED = "fsck: packs listed";

    /** How many times a check not holding the gc lock runs while packs it listed are deleted beside it. */
    static final int CHECKS_BESIDE_COLLECTION = 3;

    /**
     * Checks, holding the gc lock when it comes free in time. Without it, a gc or repack may delete
     * packs this check listed while it reads them (a repack's last step deletes them all), which
     * would read as missing packs: so a check that found problems after packs it listed went is
     * run again, at most {@value #CHECKS_BESIDE_COLLECTION} times, taking the lock if it came free
     * meanwhile; the last says so when packs still went while it read.
     */
    private FsckReport run(List<String> repairs) throws IOException {
        RepositoryLock.Held gc = gcLock(GC_LOCK_WAIT_MILLIS);
        try {
            for (int check = 1; ; check++) {
                holdsGcLock = gc != null;
                FsckReport report = checkOnce(repairs);
                refuseIfOutOfFiles(report);
                if (holdsGcLock || report.clean() || !listedPackDeleted()) {
                    return report;
                }
                if (check == CHECKS_BESIDE_COLLECTION) {
                    List<Finding> warnings = new ArrayList<>(report.warnings());
                    warnings.add(Finding.of("packs", "packs were deleted while fsck read them, in each of its " + check
                            + " checks (a gc or repack holds the gc lock): the problems reported may be its doing; run fsck again once it has finished"));
                    return new FsckReport(report.problems(), warnings, report.repairs(), report.packs(), report.packedObjects(),
                            report.reachableObjects(), report.commits(), report.chunksVerified());
                }
                gc = gcLock(0);
            }
        } finally {
            if (gc != null) {
                gc.close();
            }
        }
    }

    /**
     * A check that met the process's limit on open files reported the files it could not open as
     * damage ({@code ulimit -n 48}: 19 "problems", each a pack that "affects file w.npy in commit
     * ..."), which could send its user to repair a sound repository: such a check is an error.
     */
    private static void refuseIfOutOfFiles(FsckReport report) throws IOException {
        long outOfFiles = report.problems().stream().filter(f -> OpenFileLimit.says(f.message())).count();
        if (outOfFiles > 0) {
            throw new IOException("fsck could not open every file it checks (" + outOfFiles + " of its " + report.problems().size()
                    + " findings were 'Too many open files', so none is to be believed): " + OpenFileLimit.advice());
        }
    }

    /** The gc lock if it comes free within {@code millis}; null when it does not, or the locks folder cannot give it. */
    private RepositoryLock.Held gcLock(long millis) throws IOException {
        try {
            if (Files.isDirectory(locksDir)) {
                return new RepositoryLock(locksDir, GarbageCollector.LOCK_NAME).tryLock(millis);
            }
        } catch (java.io.InterruptedIOException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // a read-only or damaged locks folder, this thread holding it: checked without it
        }
        return null;
    }

    /** The packs folder as the last check listed it. */
    private List<PackVerifier.PackName> listedPacks = List.of();

    /** Whether a pack file or pack index the last check listed is gone. */
    private boolean listedPackDeleted() {
        for (PackVerifier.PackName p : listedPacks) {
            if (p.hasPack() && !Files.exists(p.pack()) || p.hasIndex() && !Files.exists(p.index())) {
                return true;
            }
        }
        return false;
    }

    private FsckReport checkOnce(List<String> repairs) throws IOException {
        List<Finding> problems = new ArrayList<>();
        List<Finding> warnings = new ArrayList<>();
        try {
            declared = FormatFeatures.read(coralDir);
        } catch (IOException | RuntimeException e) {
            featuresProblem = e;
        }

        // 1. Files of the packs folder.
        Map<ObjectId, PackVerifier.Result> packs = new LinkedHashMap<>();
        List<PackVerifier.Problem> packProblems = new ArrayList<>();
        long packed = 0;
        Map<ObjectId, PackVerifier.Result> unindexed = new LinkedHashMap<>();
        listedPacks = PackVerifier.list(packsDir);
        FaultPoints.hit(PACKS_LISTED);
        for (PackVerifier.PackName p : listedPacks) {
            if (p.hasIndex()) {
                PackVerifier.Result r = PackVerifier.verify(packsDir, p.id());
                packs.put(p.id(), r);
                packProblems.addAll(r.problems());
                packed += r.entries().size();
            } else if (p.hasPack()) { // a leftover, or its index was lost: decided once the walk says what is missing
                try {
                    unindexed.put(p.id(), PackVerifier.verify(packsDir, p.id()));
                } catch (NoSuchFileException e) {
                    // its writer's leftover, deleted meanwhile
                }
            }
        }
        packProblems.addAll(PackVerifier.verifyMultiPackIndex(packsDir, packs));
        Map<ObjectId, ObjectId> deltaBases = new HashMap<>();
        Map<ObjectId, Path> packOf = new HashMap<>();
        Set<String> featuresUsed = new TreeSet<>();
        for (PackVerifier.Result r : packs.values()) {
            for (PackVerifier.Entry e : r.entries()) {
                if (e.deltaBase() != null) {
                    deltaBases.putIfAbsent(e.id(), e.deltaBase());
                }
                packOf.putIfAbsent(e.id(), r.pack());
                String feature = FormatFeatures.featureOfChunkCodec(e.chunkCodec());
                if (feature != null) {
                    featuresUsed.add(feature);
                }
            }
        }
        for (PackVerifier.Result r : unindexed.values()) {
            for (PackVerifier.Entry e : r.entries()) {
                if (e.deltaBase() != null) {
                    deltaBases.putIfAbsent(e.id(), e.deltaBase());
                }
            }
        }

        // 2. Metadata files, the roots they give, and the walk from them.
        ObjectStore store = null;
        try {
            store = new ObjectStore(packsDir, locksDir, RepositoryConfig.DEFAULT_ZSTD_LEVEL);
        } catch (IOException | RuntimeException e) {
            boolean folder = e.getMessage() != null && e.getMessage().contains("not a folder"); // no index rebuild brings the folder back
            problems.add(Finding.of("packs", "the object store cannot be opened, no object was checked: " + e.getMessage()
                    + (folder ? "" : " (try 'coral fsck --rebuild-index')")));
        }
        ObjectWalk walk = null;
        try {
            ObjectGraph graph = store == null ? null : new ObjectGraph(store);
            if (graph != null) {
                walk = new ObjectWalk(graph, true, deltaBases::get);
            }
            checkRoots(store, walk, problems, warnings);
            if (walk != null) {
                walk.run();
                warnIfHeadBranchMissing(graph, packs.values(), walk.reached().keySet(), warnings);
            }
        } finally {
            if (store != null) {
                store.close();
            }
        }

        // 3. Pack problems, traced to what they affect; then read failures they do not explain.
        AffectedObjects affected = walk == null ? null : new AffectedObjects(walk);
        Map<ObjectId, String> failures = walk == null ? Map.of() : walk.failures();
        Set<ObjectId> explained = new HashSet<>();
        for (PackVerifier.Problem pp : packProblems) {
            Collection<ObjectId> objects = objectsOf(pp, packs, failures);
            explained.addAll(objects);
            Finding f = finding(rel(pp.file()), message(pp), objects, affected);
            (pp.warning() ? warnings : problems).add(f);
        }
        Set<Path> indexLost = new HashSet<>();
        for (PackVerifier.Result r : unindexed.values()) {
            List<ObjectId> needed = r.entries().stream().map(PackVerifier.Entry::id).filter(failures::containsKey).distinct().toList();
            if (!needed.isEmpty()) {
                indexLost.add(r.pack());
                explained.addAll(needed);
                problems.add(finding(rel(r.pack()), "has no index, so " + needed.size() + " of its " + r.entries().size()
                        + " objects that commits need cannot be found; " + (r.problems().isEmpty()
                                ? "'coral fsck --rebuild-index' rebuilds the index from it"
                                : "it does not verify whole, so its index cannot be rebuilt: " + message(r.problems().get(0))),
                        needed, affected));
            }
        }
        for (Map.Entry<ObjectId, String> e : failures.entrySet()) {
            ObjectId id = e.getKey();
            if (explained.contains(id) || AffectedObjects.dependsOn(id, deltaBases, explained)
                    || AffectedObjects.dependsOn(id, deltaBases, failures.keySet())) {
                continue; // reported as the damage it follows from
            }
            Path pack = packOf.get(id);
            String file = pack == null ? "packs" : rel(pack);
            problems.add(finding(file, pack == null ? e.getValue() : PackVerifier.strip(e.getValue(), pack.getFileName()),
                    List.of(id), affected));
        }

        // 4. Format features the chunks use and .coral/format does not declare (a repository from before the file).
        if (declared != null) { // a damaged file is a problem reported with the metadata files
            featuresUsed.removeAll(declared);
            if (!featuresUsed.isEmpty()) {
                warnings.add(Finding.of(FormatFeatures.FILE, "chunks use " + String.join(", ", featuresUsed) + ", which it does not declare "
                        + "(a repository from before the file): a Coral older than the feature reads them as damaged; the next commit "
                        + "or repack declares it"));
            }
        }

        // 5. Leftovers.
        for (Leftovers.Leftover l : leftovers()) {
            if (indexLost.contains(l.file().toAbsolutePath().normalize())) {
                continue; // reported as a problem above
            }
            warnings.add(Finding.of(rel(l.file()), l.description() + ", " + Leftovers.describeAge(l.age())
                    + " old; 'coral gc' removes it" + l.kind().whenRemoved()));
        }

        // 6. The similarity index: derived data, so damage is a warning.
        similarityIndexWarning().ifPresent(warnings::add);
        long reachable = walk == null ? 0 : walk.reached().size();
        return new FsckReport(problems, warnings, repairs, packs.size(), packed, reachable,
                walk == null ? 0 : walk.commits(), walk == null ? 0 : walk.chunksVerified());
    }

    /** A warning when {@code cache/similarity} is there but cannot be read. */
    private Optional<Finding> similarityIndexWarning() {
        Path file = coralDir.resolve("cache").resolve("similarity");
        return LshIndex.load(file).loadProblem().map(p -> Finding.of(rel(file), PackVerifier.strip(p, file)
                + "; new tensors find delta bases only among those indexed since (derived data: 'coral fsck --rebuild-index' "
                + "rebuilds it from the stored tensors)"));
    }

    /** Verifies HEAD, ORIG_HEAD, refs, config and the staging index; adds their objects to the walk. */
    private void checkRoots(ObjectStore store, ObjectWalk walk, List<Finding> problems, List<Finding> warnings) {
        Refs refs = new Refs(coralDir);
        Path head = coralDir.resolve("HEAD");
        try {
            Refs.Head h = refs.head();
            if (h.isDetached() && walk != null) {
                walk.addRoot(h.detached(), ObjectKind.COMMIT);
            }
        } catch (IOException | RuntimeException e) {
            problems.add(Finding.of("HEAD", PackVerifier.strip(e.getMessage(), head)));
        }
        Path orig = coralDir.resolve(Refs.ORIG_HEAD);
        try {
            ObjectId id = refs.origHead();
            if (id != null && walk != null) {
                walk.addRoot(id, ObjectKind.COMMIT);
            }
        } catch (IOException | RuntimeException e) {
            problems.add(Finding.of(Refs.ORIG_HEAD, PackVerifier.strip(e.getMessage(), orig) + " (it names the commit before the last"
                    + " reset; deleting it loses only that)"));
        }
        try {
            refs.requireRefFolders();
            for (String b : refs.branches()) {
                Path file = coralDir.resolve("refs/heads").resolve(b);
                try {
                    ObjectId id = refs.branch(b);
                    if (id != null && walk != null) {
                        walk.addRoot(id, ObjectKind.COMMIT);
                    }
                } catch (IOException | RuntimeException e) {
                    problems.add(Finding.of(rel(file), PackVerifier.strip(e.getMessage(), file)));
                }
            }
            for (String t : refs.tags()) {
                Path file = coralDir.resolve("refs/tags").resolve(t);
                try {
                    ObjectId id = refs.tag(t);
                    if (id != null && walk != null) {
                        ObjectStore.Found f = store.find(id);
                        walk.addRoot(id, f != null && f.entry().kind() == ObjectKind.TAG ? ObjectKind.TAG : ObjectKind.COMMIT);
                    }
                } catch (IOException | RuntimeException e) {
                    problems.add(Finding.of(rel(file), PackVerifier.strip(e.getMessage(), file)));
                }
            }
        } catch (IOException e) {
            problems.add(Finding.of("refs", e.getMessage()));
        }
        Path config = coralDir.resolve("config");
        try {
            RepositoryConfig.read(config);
            RepositoryConfig.unknownSettingsWarning(config).ifPresent(w -> warnings.add(Finding.of("config", w)));
        } catch (IOException | RuntimeException e) {
            problems.add(Finding.of("config", PackVerifier.strip(e.getMessage(), config) + " (to write, " + RepositoryConfig.REPAIR + ")"));
        }
        Path format = coralDir.resolve(FormatFeatures.FILE);
        try {
            if (declared != null) {
                FormatFeatures.requireKnown(coralDir, declared);
            } else {
                problems.add(Finding.of(FormatFeatures.FILE, PackVerifier.strip(featuresProblem.getMessage(), format)
                        + (featuresProblem instanceof CorruptObjectException ? " (" + FormatFeatures.REPAIR + ")" : "")));
            }
        } catch (IOException | RuntimeException e) {
            problems.add(Finding.of(FormatFeatures.FILE, PackVerifier.strip(e.getMessage(), format)));
        }
        Path index = coralDir.resolve("index");
        try {
            StagingIndex staged = StagingIndex.readBeside(index, refs);
            if (walk != null) {
                staged.entries().forEach((path, e) -> walk.addStaged(path, e.fileEntry()));
            }
        } catch (IOException | RuntimeException e) {
            problems.add(Finding.of("index", PackVerifier.strip(e.getMessage(), index)
                    + (e.getMessage() != null && e.getMessage().contains("checkout --force") ? ""
                    : " (the staged changes are lost; checkout --force HEAD writes it again)")));
        }
    }

    /** The leftovers; repack scratch folders all dead when this check holds the gc lock (no repack runs), else judged by their process. */
    private List<Leftovers.Leftover> leftovers() throws IOException {
        return Leftovers.scan(coralDir, now, holdsGcLock);
    }

    private void warnIfHeadBranchMissing(ObjectGraph graph, Collection<PackVerifier.Result> packs, Set<ObjectId> reached,
                                         List<Finding> warnings) {
        List<ObjectId> commits = new ArrayList<>();
        packs.forEach(r -> r.entries().stream().filter(e -> e.kind() == ObjectKind.COMMIT).forEach(e -> commits.add(e.id())));
        commits.removeAll(new RootAttempts(coralDir).failed()); // first commits that failed to make their branch: no lost history
        try {
            Finding f = MissingHeadBranch.check(new Refs(coralDir), graph, commits, reached);
            if (f != null) {
                warnings.add(f);
            }
        } catch (IOException | RuntimeException e) {
            // HEAD or the branch cannot be read: a problem checkRoots reported
        }
    }

    /**
     * The objects a pack problem damages: the entry it names; for an index that does not verify
     * or names a missing pack, those of its objects the walk could not read (the multi-pack
     * index may still locate the others).
     */
    private static Collection<ObjectId> objectsOf(PackVerifier.Problem pp, Map<ObjectId, PackVerifier.Result> packs,
                                                  Map<ObjectId, String> failures) {
        if (pp.object() != null) {
            return pp.warning() ? List.of() : List.of(pp.object());
        }
        for (PackVerifier.Result r : packs.values()) {
            if (pp.file().equals(r.index())) {
                List<ObjectId> lost = new ArrayList<>();
                for (PackVerifier.Entry e : r.entries()) {
                    if (failures.containsKey(e.id())) {
                        lost.add(e.id());
                    }
                }
                return lost;
            }
        }
        return List.of();
    }

    private static String message(PackVerifier.Problem pp) {
        if (pp.file().getFileName().toString().equals("multi-pack-index") && !pp.warning()) {
            return pp.message() + " (it is derived from the pack indexes: 'coral fsck --rebuild-index' rewrites it)";
        }
        return pp.message();
    }

    private static Finding finding(String file, String message, Collection<ObjectId> objects, AffectedObjects affected) {
        if (objects.isEmpty() || affected == null) {
            return Finding.of(file, message);
        }
        AffectedObjects.Affected a = affected.of(objects);
        if (a.isEmpty()) {
            return Finding.of(file, message + " (unreachable: no commit or staged file affected)");
        }
        return new Finding(file, message, a.phrases(), a.commits(), a.tensors());
    }

    private void rebuildIndexes(List<String> repairs) throws IOException {
        for (PackVerifier.PackName p : PackVerifier.list(packsDir)) {
            if (p.hasPack() && !p.hasIndex()) { // a lost index, or a dead writer's leftover: indexed, gc judges its objects
                if (PackVerifier.rebuildIndex(packsDir, p.id())) {
                    repairs.add("rebuilt " + rel(p.index()) + " from its pack (it had none)");
                } else {
                    repairs.add("could not rebuild " + rel(p.index()) + ": its pack does not verify whole");
                }
            } else if (p.hasPack() && p.hasIndex()) {
                try {
                    PackVerifier.readIndex(packsDir, p.id());
                } catch (IOException | RuntimeException e) {
                    if (PackVerifier.rebuildIndex(packsDir, p.id())) {
                        repairs.add("rebuilt " + rel(p.index()) + " from its pack");
                    } else {
                        repairs.add("could not rebuild " + rel(p.index()) + ": its pack does not verify whole");
                    }
                }
            }
        }
        int objects = PackVerifier.rebuildMultiPackIndex(packsDir, locksDir);
        repairs.add("rewrote packs/multi-pack-index from the pack indexes (" + objects + " objects)");
    }

    private String rel(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        return abs.startsWith(coralDir) ? coralDir.relativize(abs).toString().replace('\\', '/') : abs.toString();
    }
}
