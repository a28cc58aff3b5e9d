package dev.coral.perf.stress;

import dev.coral.api.Repository;
import dev.coral.store.ObjectId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * The crash loop: child JVMs commit in a loop and are killed with SIGKILL
 * ({@code Process.destroyForcibly}) at random instants; after each kill every commit any child
 * acknowledged is read back (verified stream) and must hold what was committed, and the next child
 * must be able to commit. Figures: trials, acknowledged commits, failures (must be 0). Covers
 * commit only: gc and repack are not in the API yet.
 */
public final class CrashLoopScenario implements Scenario {
    private static final int FLOATS = 256 * 1024;

    @Override
    public String id() {
        return "crash";
    }

    @Override
    public ScenarioReport run(Context ctx) throws Exception {
        ScenarioReport rep = new ScenarioReport(id(), "Crash loop");
        int trials = ctx.scale().crashTrials();
        Path dir = ctx.dir("crash");
        Repository.init(dir).close();
        Map<Integer, ObjectId> acked = new TreeMap<>();
        Random r = new Random(17);
        int failures = 0;
        int childErrors = 0;
        int notWritable = 0;
        int next = 0;
        List<String> errors = new ArrayList<>();
        for (int trial = 0; trial < trials; trial++) {
            Path log = ctx.work().resolve("crash-" + trial + ".log");
            Process p = ChildJvm.builder("256m", CrashChild.class, dir.toString(), String.valueOf(next), String.valueOf(FLOATS))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            long wait = 700 + r.nextInt(2300);
            boolean exited = p.waitFor(wait, java.util.concurrent.TimeUnit.MILLISECONDS);
            if (!exited) {
                p.destroyForcibly();
                p.waitFor();
            }
            List<String> lines = Files.readAllLines(log);
            for (String l : lines) {
                if (l.startsWith("error")) {
                    childErrors++;
                    errors.add("trial " + trial + ": " + l);
                }
            }
            Map<String, String> kv = ChildJvm.keyValues(lines);
            int acksThisTrial = 0;
            java.util.Set<Integer> fresh = new java.util.HashSet<>();
            for (Map.Entry<String, String> e : kv.entrySet()) {
                if (e.getKey().startsWith("ack.0.") && !e.getValue().equals("absorbed")) {
                    int i = Integer.parseInt(e.getKey().substring(6));
                    acked.put(i, ObjectId.fromHex(e.getValue()));
                    fresh.add(i);
                    next = Math.max(next, i + 1);
                    acksThisTrial++;
                }
            }
            next++; // the killed child may have staged but not committed version `next`; never reuse a version number
            try (Repository repo = Repository.open(dir)) {
                // After each kill: this trial's commits and a sample of 32 older ones (all of them are
                // read once more after the last trial), so long soaks stay linear in time.
                java.util.Random pick = new java.util.Random(trial);
                double sample = Math.min(1.0, 32.0 / Math.max(1, acked.size()));
                for (Map.Entry<Integer, ObjectId> a : acked.entrySet()) {
                    if (!fresh.contains(a.getKey()) && pick.nextDouble() >= sample) {
                        continue;
                    }
                    try {
                        if (!Writers.holds(repo, a.getValue(), 0, a.getKey(), FLOATS)) {
                            failures++;
                            errors.add("trial " + trial + ": commit " + a.getValue().abbreviate(12) + " reads back wrong bytes");
                        }
                    } catch (Exception e) {
                        failures++;
                        errors.add("trial " + trial + ": commit " + a.getValue().abbreviate(12) + " (version " + a.getKey() + ") unreadable: " + e);
                    }
                }
                try {
                    // The repository must stay writable after a kill: commit the next version here, as a user would.
                    ObjectId id = Writers.commit(repo, 0, next, FLOATS);
                    if (id != null) {
                        acked.put(next, id);
                    }
                } catch (Exception e) {
                    notWritable++;
                    errors.add("trial " + trial + ": commit after the kill fails: " + e);
                }
                next++;
            } catch (Exception e) {
                failures++;
                errors.add("trial " + trial + ": repository does not open: " + e);
            }
            Context.log("crash trial %d: killed after %d ms, %d commits acknowledged (%d in all), %d failures so far, %d child errors",
                    trial + 1, wait, acksThisTrial, acked.size(), failures, childErrors);
        }
        try (Repository repo = Repository.open(dir)) {
            for (Map.Entry<Integer, ObjectId> a : acked.entrySet()) {
                try {
                    if (!Writers.holds(repo, a.getValue(), 0, a.getKey(), FLOATS)) {
                        failures++;
                        errors.add("final check: commit " + a.getValue().abbreviate(12) + " reads back wrong bytes");
                    }
                } catch (Exception e) {
                    failures++;
                    errors.add("final check: commit " + a.getValue().abbreviate(12) + " unreadable: " + e);
                }
            }
        }
        List<String> leftovers = new ArrayList<>();
        try (var s = Files.walk(dir.resolve(".coral"))) {
            s.filter(p -> !p.startsWith(dir.resolve(".coral/locks")))
                    .filter(p -> !p.startsWith(dir.resolve(".coral/cache/chunks"))) // derived: the next commit's trim clears its temporaries
                    .filter(p -> p.getFileName().toString().endsWith(".lock") || p.getFileName().toString().contains(".tmp")).forEach(p -> leftovers.add(dir.relativize(p).toString()));
        }
        Table t = rep.table(new Table(trials + " child JVMs committing 1 MB fp32 versions in a loop, each killed with SIGKILL after 0.7-3 s",
                "figure", "value", "expected"));
        t.row("trials", trials, "");
        t.row("acknowledged commits", acked.size(), "> 0");
        t.row("**acknowledged commits unreadable or wrong**", failures, "0");
        t.row("children whose commit failed after an earlier kill", childErrors, "0");
        t.row("**commits in the runner right after a kill that failed**", notWritable, "0");
        t.row("files left in .coral (locks, temporaries)", leftovers.size() + (leftovers.isEmpty() ? "" : ": " + String.join(", ", leftovers.subList(0, Math.min(5, leftovers.size())))), "none (the files under .coral/locks are OS-lock files and stay)");
        for (String e : errors.subList(0, Math.min(5, errors.size()))) {
            rep.note(e);
        }
        rep.note("The children only commit; the check is reading back acknowledged commits (gc and repack under kill -9 are tested in core by MaintenanceKillNineTest).");
        if (failures + childErrors + notWritable > 0) {
            rep.failed(failures + " acknowledged commits lost or wrong, " + childErrors + " children and " + notWritable
                    + " runner commits could not commit after a kill");
        }
        rep.headline("crash loop: trials / acknowledged commits / failures (must be 0)", trials + " / " + acked.size() + " / " + (failures + childErrors + notWritable), "");
        rep.figure("trials", trials);
        rep.figure("acknowledged", acked.size());
        rep.figure("failures", failures);
        rep.figure("child_errors", childErrors);
        rep.figure("not_writable", notWritable);
        rep.figure("leftovers", leftovers);
        return rep;
    }
}
