package dev.coral.perf.stress;

import dev.coral.api.Maintenance;
import dev.coral.api.Repository;
import dev.coral.maintenance.FsckReport;
import dev.coral.repo.CommitWalk;
import dev.coral.store.ObjectId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Scenario 8: gc and repack beside writers. Two writer processes commit to branch main, first
 * alone, then while a third process runs {@code gc --prune=now} and {@code repack} in turn, for
 * as long as they write. Every acknowledged commit must be on main and read back bit-exact, and
 * fsck must be clean: gc and repack may take nothing a writer is about to name. Baseline: the
 * same writers' commits/s with no collector beside them (what the writers' gate costs them).
 */
public final class CollectionScenario implements Scenario {
    private static final int WRITERS = 2;
    private static final int FLOATS = 16 * 1024;
    /** Seeds the collector's choice of versions to store as garbage (the interleaving differs from run to run anyway). */
    private static final long GARBAGE_SEED = 8;

    @Override
    public String id() {
        return "collection";
    }

    /** A run of the writers; the collector's runs beside them if any. */
    private record Run(double commitsPerSecond, int acknowledged, int failures, List<String> errors, Path dir, List<String> childLines,
                       List<String> collectorLines) {
        /** The writers' commit times in ms: median, 99th percentile, max. */
        String latencies() {
            double[] ms = childLines.stream().filter(l -> l.startsWith("micros.")).mapToDouble(l -> Long.parseLong(l.substring(l.indexOf('=') + 1)) / 1000.0)
                    .sorted().toArray();
            if (ms.length == 0) {
                return "-";
            }
            return String.format(Locale.ROOT, "%.0f / %.0f / %.0f", ms[ms.length / 2], ms[(int) Math.min(ms.length - 1, Math.ceil(ms.length * 0.99) - 1)],
                    ms[ms.length - 1]);
        }
    }

    @Override
    public ScenarioReport run(Context ctx) throws Exception {
        ScenarioReport rep = new ScenarioReport(id(), "gc and repack beside writers");
        int c = 10 * ctx.scale().commitsPerWriter();
        Run alone = writers(ctx, "alone", c, false);
        Run beside = writers(ctx, "beside", c, true);
        Context.log("writers alone: %.1f commits/s; beside gc + repack: %.1f commits/s", alone.commitsPerSecond, beside.commitsPerSecond);

        List<Long> gcMillis = new ArrayList<>();
        List<Long> repackMillis = new ArrayList<>();
        int packsRemoved = 0;
        int collectorErrors = 0;
        Set<String> garbage = new HashSet<>();
        for (String l : beside.collectorLines) {
            int eq = l.indexOf('=');
            if (l.startsWith("garbage.") && eq > 0) {
                for (String wv : l.substring(eq + 1).split(",")) {
                    if (!wv.isEmpty()) {
                        garbage.add(wv);
                    }
                }
            } else if (l.startsWith("gc.") && eq > 0) {
                String[] v = l.substring(eq + 1).split(",");
                gcMillis.add(Long.parseLong(v[0]));
                packsRemoved += Integer.parseInt(v[1]);
            } else if (l.startsWith("repack.") && eq > 0) {
                repackMillis.add(Long.parseLong(l.substring(eq + 1).split(",")[0]));
            } else if (l.startsWith("error ")) {
                if (collectorErrors++ < 5) {
                    rep.note("collector: " + l);
                }
            }
        }
        int missing = 0;
        int wrong = 0;
        int namedAfterGarbage = 0; // versions a writer committed after the collector had stored their chunk as garbage
        List<String> problems = new ArrayList<>();
        FsckReport fsck;
        try (Repository repo = Repository.open(beside.dir)) {
            Set<ObjectId> onMain = new HashSet<>();
            repo.log("main", -1).forEach((CommitWalk.Entry e) -> onMain.add(e.id()));
            for (String l : beside.childLines) {
                if (!l.startsWith("ack.") || l.endsWith("=absorbed")) {
                    continue;
                }
                String[] k = l.substring(4, l.indexOf('=')).split("\\.");
                if (garbage.contains(k[0] + ":" + k[1])) {
                    namedAfterGarbage++;
                }
                ObjectId id = ObjectId.fromHex(l.substring(l.indexOf('=') + 1));
                if (!onMain.contains(id)) {
                    missing++;
                    problems.add("commit " + id.abbreviate(12) + " acknowledged but not on main");
                } else {
                    try {
                        if (!Writers.holds(repo, id, Integer.parseInt(k[0]), Integer.parseInt(k[1]), FLOATS)) {
                            wrong++;
                            problems.add("commit " + id.abbreviate(12) + " reads back wrong");
                        }
                    } catch (Exception e) {
                        wrong++;
                        problems.add("commit " + id.abbreviate(12) + ": " + e.getMessage());
                    }
                }
            }
            fsck = Maintenance.fsck(repo, false);
        }
        Table t = rep.table(new Table(WRITERS + " writer processes committing " + c + " versions each of their own 64 KB file to main",
                "run", "commits/s", "commit ms (median / p99 / max)", "acknowledged", "failures", "gc --prune=now runs (median / max ms)",
                "repack runs (median / max ms)"));
        t.row("alone (baseline)", Fmt.f(alone.commitsPerSecond), alone.latencies(), alone.acknowledged, alone.failures, "-", "-");
        t.row("beside a gc + repack loop", Fmt.f(beside.commitsPerSecond), beside.latencies(), beside.acknowledged, beside.failures,
                gcMillis.size() + " (" + median(gcMillis) + " / " + max(gcMillis) + ")",
                repackMillis.size() + " (" + median(repackMillis) + " / " + max(repackMillis) + ")");
        int lost = missing + wrong + fsck.problems().size();
        rep.headline("acknowledged commits lost or wrong, fsck problems, beside gc --prune=now + repack (must be 0)",
                missing + " / " + wrong + " / " + fsck.problems().size(), "");
        rep.headline("writers' commits/s beside gc + repack", Fmt.f(beside.commitsPerSecond), "alone: " + Fmt.f(alone.commitsPerSecond));
        rep.note(String.format(Locale.ROOT, "Before each gc the collector stores the chunks of %d versions the writers had not committed yet, "
                + "picked at random, as garbage: a pack nothing names, as a writer killed before moving its branch leaves one. "
                + "%d of those versions were then committed by their writer, which found the chunk stored (unless a gc had removed it "
                + "by then). The gc runs removed %d unreachable packs (repack deletes the packs it merged).", garbage.size(),
                namedAfterGarbage, packsRemoved));
        rep.note("Every run shuts the writers' gate twice, for moments; the two rows differ by that and by the collector's own work "
                + "(repack re-encodes the whole history, the garbage included until a gc removes it) on the same cores.");
        for (String p : problems.subList(0, Math.min(5, problems.size()))) {
            rep.note(p);
        }
        fsck.problems().stream().limit(5).forEach(f -> rep.note("fsck: " + f));
        for (String e : alone.errors.subList(0, Math.min(3, alone.errors.size()))) {
            rep.note("writer, alone: " + e);
        }
        for (String e : beside.errors.subList(0, Math.min(3, beside.errors.size()))) {
            rep.note("writer, beside gc + repack: " + e);
        }
        if (lost + beside.failures + alone.failures + collectorErrors > 0) {
            rep.failed(lost + " lost or wrong, " + (alone.failures + beside.failures) + " writer failures, " + collectorErrors + " collector errors");
        }
        if (gcMillis.isEmpty() || repackMillis.isEmpty()) {
            rep.failed("the collector did not run both gc and repack while the writers wrote");
        }
        rep.figure("commits_per_s_alone", alone.commitsPerSecond);
        rep.figure("commits_per_s_beside", beside.commitsPerSecond);
        rep.figure("gc_runs", gcMillis.size());
        rep.figure("repack_runs", repackMillis.size());
        rep.figure("lost", lost);
        rep.figure("garbage_versions", garbage.size());
        rep.figure("garbage_versions_committed", namedAfterGarbage);
        rep.figure("packs_removed", packsRemoved);
        return rep;
    }

    private static String median(List<Long> v) {
        if (v.isEmpty()) {
            return "-";
        }
        Long[] s = v.toArray(new Long[0]);
        Arrays.sort(s);
        return String.valueOf(s[s.length / 2]);
    }

    private static String max(List<Long> v) {
        return v.isEmpty() ? "-" : String.valueOf(v.stream().mapToLong(Long::longValue).max().orElseThrow());
    }

    private Run writers(Context ctx, String label, int c, boolean collector) throws Exception {
        Path dir = ctx.dir("collection-" + label);
        Repository.init(dir).close();
        List<Process> ps = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            Path log = ctx.work().resolve("collection-" + label + "-w" + w + ".log");
            logs.add(log);
            ps.add(ChildJvm.builder("256m", ConcurrencyChild.class, dir.toString(), String.valueOf(w), String.valueOf(c), String.valueOf(FLOATS))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start());
        }
        Path stop = ctx.work().resolve("collection-" + label + ".stop");
        Files.deleteIfExists(stop);
        Path collectorLog = ctx.work().resolve("collection-" + label + "-collector.log");
        Process col = collector ? ChildJvm.builder("256m", MaintenanceLoopChild.class, dir.toString(), stop.toString(), String.valueOf(WRITERS),
                String.valueOf(c), String.valueOf(FLOATS), String.valueOf(GARBAGE_SEED))
                .redirectErrorStream(true).redirectOutput(collectorLog.toFile()).start() : null;
        for (Process p : ps) {
            p.waitFor();
        }
        Files.writeString(stop, "stop");
        List<String> lines = new ArrayList<>();
        List<String> collectorLines = new ArrayList<>();
        if (col != null) {
            col.waitFor();
            collectorLines.addAll(Files.readAllLines(collectorLog));
        }
        int failures = 0;
        int acknowledged = 0;
        List<String> errors = new ArrayList<>();
        long from = Long.MAX_VALUE;
        long to = Long.MIN_VALUE;
        for (int w = 0; w < WRITERS; w++) {
            List<String> wl = Files.readAllLines(logs.get(w));
            lines.addAll(wl);
            Map<String, String> kv = ChildJvm.keyValues(wl);
            String counted = kv.get("failures." + w);
            if (counted == null) { // the writer's JVM ended without its summary: its last words are the error
                failures++;
                errors.add("error: writer " + w + " ended without a summary: "
                        + String.join(" | ", wl.subList(Math.max(0, wl.size() - 3), wl.size())));
            } else {
                failures += Integer.parseInt(counted);
            }
            acknowledged += (int) wl.stream().filter(l -> l.startsWith("ack.")).count();
            wl.stream().filter(l -> l.startsWith("error")).forEach(errors::add);
            String[] window = kv.getOrDefault("window." + w, "").split(",");
            if (window.length == 2) {
                from = Math.min(from, Long.parseLong(window[0]));
                to = Math.max(to, Long.parseLong(window[1]));
            }
        }
        double seconds = to > from ? (to - from) / 1e6 : Double.NaN;
        return new Run(acknowledged / seconds, acknowledged, failures, errors, dir, lines, collectorLines);
    }
}
