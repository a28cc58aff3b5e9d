package dev.coral.perf.stress;

import dev.coral.api.Repository;
import dev.coral.repo.CommitWalk;
import dev.coral.store.ObjectId;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Scenario 4: 1, 4 and 16 threads, then 4 processes, committing to branch {@code main} of one
 * repository, each writer its own file. Threads share one {@link Repository} handle or open one
 * each. Every acknowledged commit must be on the branch and read back bit-exact; failures must be
 * 0. Baseline: the same threads writing the same bytes as atomic files (temp, fsync, rename).
 */
public final class ConcurrencyScenario implements Scenario {
    private static final int FLOATS = 16 * 1024;

    @Override
    public String id() {
        return "concurrency";
    }

    /** One run's outcome. */
    private record Outcome(String label, int writers, int commits, int absorbed, int failures, int missing, int wrong, int staleAtHead,
                           double seconds, double baselineSeconds, List<String> errors) {
        double perSecond() {
            return commits / seconds;
        }
    }

    /** What the processes' row leaves out (their JVMs' start-up), for the report's notes. */
    private String processNote;

    @Override
    public ScenarioReport run(Context ctx) throws Exception {
        ScenarioReport rep = new ScenarioReport(id(), "Concurrency");
        int c = ctx.scale().commitsPerWriter();
        List<Outcome> outs = new ArrayList<>();
        for (boolean shared : new boolean[] {true, false}) {
            for (int threads : new int[] {1, 4, 16}) {
                outs.add(threads(ctx, threads, c, shared));
                Context.log("%s", describe(outs.get(outs.size() - 1)));
            }
        }
        outs.add(processes(ctx, 4, c));
        Context.log("%s", describe(outs.get(outs.size() - 1)));
        Table t = rep.table(new Table("Writers committing " + c + " versions each of their own 64 KB file to branch main; every acknowledged commit verified",
                "writers", "commits/s", "baseline: atomic file writes/s (same threads, same bytes)", "acknowledged", "absorbed", "failures",
                "missing from branch", "wrong content", "files stale at HEAD"));
        int failures = 0;
        for (Outcome o : outs) {
            t.row(o.label, Fmt.f(o.perSecond()), Fmt.f(o.writers * c / o.baselineSeconds), o.commits, o.absorbed, o.failures, o.missing, o.wrong, o.staleAtHead);
            failures += o.failures + o.missing + o.wrong;
            for (String e : o.errors.subList(0, Math.min(3, o.errors.size()))) {
                rep.note(o.label + ": " + e);
            }
        }
        rep.note("\"absorbed\": the writer's staged version was already in a commit another writer made (the staging index is shared, "
                + "so `commit` found nothing new and said so); its content is verified in that commit.");
        rep.note("\"files stale at HEAD\": writers whose last version is not what HEAD holds at the end (must be 0). Commits are "
                + "serialized under the staging lock, each snapshot including everything staged before it (since 2026-11-23); a "
                + "snapshot re-parented onto a tip moved meanwhile would put back an older version of another writer's file.");
        if (processNote != null) {
            rep.note(processNote);
        }
        rep.note("Separate branches per writer are not measured: HEAD and the staging index belong to the repository folder, and the "
                + "API has no commit-to-branch, so two handles on one folder cannot commit to different branches at once.");
        if (failures > 0) {
            rep.failed(failures + " failed, missing or wrong commits");
        }
        List<String> cats = outs.stream().map(o -> o.label.replace("own handles, ", "own ").replace(" threads", "T").replace(" thread", "T")
                .replace(" processes", " procs")).toList();
        Map<String, List<Double>> series = new java.util.LinkedHashMap<>();
        series.put("Coral commits/s", outs.stream().map(Outcome::perSecond).toList());
        series.put("atomic file writes/s (baseline)", outs.stream().map(o -> o.writers * c / o.baselineSeconds).toList());
        Charts.bars(ctx.out(), "concurrency-commits.png", "Commits/s vs writers (T: threads on one shared handle; own: a handle each)", "writers", "per second", cats, series);
        rep.chart("concurrency-commits.png", "Commits per second by number of threads (one shared handle or one handle each) and processes, beside atomic file writes.");
        Outcome best = outs.stream().max(java.util.Comparator.comparingDouble(Outcome::perSecond)).orElseThrow();
        rep.headline("commits/s, 1 thread / 16 threads / 4 processes", Fmt.f(outs.get(0).perSecond()) + " / " + Fmt.f(outs.get(2).perSecond())
                + " / " + Fmt.f(outs.get(outs.size() - 1).perSecond()), "atomic file writes/s, 1 thread: " + Fmt.f(c / outs.get(0).baselineSeconds));
        rep.headline("failures + missing + wrong commits (must be 0)", String.valueOf(failures), "");
        rep.figure("best", best.label);
        for (Outcome o : outs) {
            rep.figure(o.label, Map.of("commits_per_s", o.perSecond(), "failures", o.failures, "missing", o.missing, "wrong", o.wrong,
                    "absorbed", o.absorbed, "stale_at_head", o.staleAtHead));
        }
        return rep;
    }

    private static String describe(Outcome o) {
        return String.format(java.util.Locale.ROOT, "%s: %.1f commits/s, %d failures, %d missing, %d wrong, %d absorbed", o.label, o.perSecond(),
                o.failures, o.missing, o.wrong, o.absorbed);
    }

    private Outcome threads(Context ctx, int threads, int c, boolean shared) throws Exception {
        Path dir = ctx.dir("threads-" + threads + (shared ? "-shared" : "-own"));
        Repository.init(dir).close();
        Map<Integer, Map<Integer, ObjectId>> acks = new ConcurrentHashMap<>();
        List<String> errors = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger failures = new AtomicInteger();
        AtomicInteger absorbed = new AtomicInteger();
        Repository sharedRepo = shared ? Repository.open(dir) : null;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long t0 = System.nanoTime();
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int w = 0; w < threads; w++) {
                int writer = w;
                fs.add(pool.submit(() -> {
                    try (Repository own = shared ? null : Repository.open(dir)) {
                        Repository repo = shared ? sharedRepo : own;
                        for (int i = 0; i < c; i++) {
                            try {
                                ObjectId id = Writers.commit(repo, writer, i, FLOATS);
                                if (id == null) {
                                    absorbed.incrementAndGet();
                                }
                                acks.computeIfAbsent(writer, k -> new ConcurrentHashMap<>()).put(i, id == null ? ObjectId.hashOf(new byte[0]) : id);
                            } catch (Exception e) {
                                failures.incrementAndGet();
                                errors.add("writer " + writer + " version " + i + ": " + e);
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (sharedRepo != null) {
            sharedRepo.close();
        }
        double base = baseline(dir, threads, c);
        return verify(dir, (shared ? "" : "own handles, ") + threads + (threads == 1 ? " thread" : " threads"), threads, c, acks, absorbed.get(),
                failures.get(), seconds, base, errors);
    }

    private Outcome processes(Context ctx, int n, int c) throws Exception {
        Path dir = ctx.dir("processes");
        Repository.init(dir).close();
        List<Process> ps = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int w = 0; w < n; w++) {
            Path log = ctx.work().resolve("proc-" + w + ".log");
            logs.add(log);
            ps.add(ChildJvm.builder("256m", ConcurrencyChild.class, dir.toString(), String.valueOf(w), String.valueOf(c), String.valueOf(FLOATS))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start());
        }
        for (Process p : ps) {
            p.waitFor();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<Integer, Map<Integer, ObjectId>> acks = new ConcurrentHashMap<>();
        List<String> errors = new ArrayList<>();
        int failures = 0;
        int absorbed = 0;
        for (int w = 0; w < n; w++) {
            List<String> lines = Files.readAllLines(logs.get(w));
            Map<String, String> kv = ChildJvm.keyValues(lines);
            for (String l : lines) {
                if (l.startsWith("error")) {
                    errors.add(l);
                }
            }
            if (ps.get(w).exitValue() != 0 || !kv.containsKey("failures." + w)) {
                failures++;
                errors.add("process " + w + " exited " + ps.get(w).exitValue() + ": " + String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size())));
            }
            failures += Integer.parseInt(kv.getOrDefault("failures." + w, "0"));
            for (int i = 0; i < c; i++) {
                String v = kv.get("ack." + w + "." + i);
                if (v == null) {
                    continue;
                }
                if (v.equals("absorbed")) {
                    absorbed++;
                }
                acks.computeIfAbsent(w, k -> new ConcurrentHashMap<>()).put(i, v.equals("absorbed") ? ObjectId.hashOf(new byte[0]) : ObjectId.fromHex(v));
            }
        }
        // commits/s over the commit phase: from the first child's first commit to the last child's
        // last (their wall clocks), as for threads; JVM start-up (~0.5-1 s each, 4 at once on
        // few cores) is left out of it and reported beside it
        long from = Long.MAX_VALUE;
        long to = Long.MIN_VALUE;
        for (int w = 0; w < n; w++) {
            String[] window = ChildJvm.keyValues(Files.readAllLines(logs.get(w))).getOrDefault("window." + w, "").split(",");
            if (window.length == 2) {
                from = Math.min(from, Long.parseLong(window[0]));
                to = Math.max(to, Long.parseLong(window[1]));
            }
        }
        double phase = to > from ? (to - from) / 1e6 : seconds;
        processNote = String.format(java.util.Locale.ROOT, "%d processes: commits/s over the commit phase (the first child's first commit "
                + "to the last child's last, on their wall clocks), as for threads. With the JVMs' start-up, what %d shells running "
                + "`coral commit` see, roughly: %.1f s, %.1f commits/s.", n, n, seconds, n * c / seconds);
        return verify(dir, n + " processes", n, c, acks, absorbed, failures, phase, baseline(dir, n, c), errors);
    }

    /** Every acknowledged commit on main and holding its writer's version; absorbed versions held by some commit. */
    private Outcome verify(Path dir, String label, int writers, int c, Map<Integer, Map<Integer, ObjectId>> acks, int absorbed, int failures,
                           double seconds, double baseline, List<String> errors) throws Exception {
        ObjectId none = ObjectId.hashOf(new byte[0]);
        int missing = 0;
        int wrong = 0;
        int stale = 0;
        int commits = 0;
        try (Repository repo = Repository.open(dir)) {
            List<CommitWalk.Entry> log = repo.log("main", -1);
            Set<ObjectId> onMain = new HashSet<>();
            log.forEach(e -> onMain.add(e.id()));
            for (Map.Entry<Integer, Map<Integer, ObjectId>> w : acks.entrySet()) {
                for (Map.Entry<Integer, ObjectId> a : w.getValue().entrySet()) {
                    commits++;
                    ObjectId id = a.getValue();
                    if (id.equals(none)) {
                        boolean found = false;
                        for (CommitWalk.Entry e : log) {
                            if (repo.readTree(e.id()).files().containsKey(Writers.path(w.getKey())) && Writers.holds(repo, e.id(), w.getKey(), a.getKey(), FLOATS)) {
                                found = true;
                                break;
                            }
                        }
                        if (!found) {
                            missing++;
                            errors.add("writer " + w.getKey() + " version " + a.getKey() + " absorbed but in no commit");
                        }
                    } else if (!onMain.contains(id)) {
                        missing++;
                        errors.add("commit " + id.abbreviate(12) + " acknowledged but not on main");
                    } else if (!Writers.holds(repo, id, w.getKey(), a.getKey(), FLOATS)) {
                        wrong++;
                        errors.add("commit " + id.abbreviate(12) + " does not hold writer " + w.getKey() + " version " + a.getKey());
                    }
                }
                int last = w.getValue().keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
                ObjectId head = repo.resolve("main");
                if (last >= 0 && (!repo.readTree(head).files().containsKey(Writers.path(w.getKey())) || !Writers.holds(repo, head, w.getKey(), last, FLOATS))) {
                    stale++;
                }
            }
            repo.checkout("main", true);
        }
        return new Outcome(label, writers, commits, absorbed, failures, missing, wrong, stale, seconds, baseline, errors);
    }

    /** The same writers writing the same bytes as atomic files: temp file, fsync, rename. */
    private static double baseline(Path dir, int writers, int c) throws Exception {
        Path d = Files.createDirectories(dir.resolve("baseline"));
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        long t0 = System.nanoTime();
        List<Future<?>> fs = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int writer = w;
            fs.add(pool.submit(() -> {
                for (int i = 0; i < c; i++) {
                    Path tmp = d.resolve("w" + writer + ".tmp");
                    Files.write(tmp, Writers.content(writer, i, FLOATS));
                    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                        ch.force(true);
                    }
                    Files.move(tmp, d.resolve("w" + writer + ".bin"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                }
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
        return (System.nanoTime() - t0) / 1e9;
    }

}
