package dev.coral.perf;

import dev.coral.perf.stress.CollectionScenario;
import dev.coral.perf.stress.CommandLineScenario;
import dev.coral.perf.stress.ConcurrencyScenario;
import dev.coral.perf.stress.Context;
import dev.coral.perf.stress.CrashLoopScenario;
import dev.coral.perf.stress.DedupScenario;
import dev.coral.perf.stress.FormatsScenario;
import dev.coral.perf.stress.LargeTensorScenario;
import dev.coral.perf.stress.MemoryStabilityScenario;
import dev.coral.perf.stress.ReportWriter;
import dev.coral.perf.stress.Scale;
import dev.coral.perf.stress.Scenario;
import dev.coral.perf.stress.ScenarioReport;
import dev.coral.perf.stress.ThroughputScenario;
import dev.coral.perf.stress.TrainingHistoryScenario;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The stress runner: runs the scenarios, prints each figure beside its same-run baseline, and
 * writes report.md, report.json and PNG charts.
 *
 * <p>Run from the repository root: {@code mvn -B -q -DskipTests install && mvn -B -q -pl perf exec:java
 * -Dexec.mainClass=dev.coral.perf.StressRunner -Dexec.args="--scenario all --scale small --out perf/report"}.
 * Options: {@code --scenario all|training|throughput|dedup|large|concurrency|memory|crash|collection} (comma-separated
 * list allowed), {@code --scale tiny|small|default|large} (tiny: does every scenario run; its
 * figures mean little), {@code --out DIR}, {@code --work DIR} (scratch folder, default a temporary
 * one, deleted afterwards unless {@code --keep}).
 */
public final class StressRunner {
    private StressRunner() {
    }

    static Map<String, Scenario> scenarios() {
        Map<String, Scenario> m = new LinkedHashMap<>();
        for (Scenario s : List.of(new TrainingHistoryScenario(), new ThroughputScenario(), new CommandLineScenario(), new DedupScenario(), new LargeTensorScenario(),
                new ConcurrencyScenario(), new MemoryStabilityScenario(), new CrashLoopScenario(), new CollectionScenario(), new FormatsScenario())) {
            m.put(s.id(), s);
        }
        return m;
    }

    public static void main(String[] args) throws Exception {
        String which = "all";
        String scaleName = "default";
        Path out = Path.of("perf/report");
        Path work = null;
        boolean keep = false;
        Integer crashTrials = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--scenario" -> which = args[++i];
                case "--scale" -> scaleName = args[++i];
                case "--out" -> out = Path.of(args[++i]);
                case "--work" -> work = Path.of(args[++i]);
                case "--keep" -> keep = true;
                case "--crash-trials" -> crashTrials = Integer.parseInt(args[++i]);
                case "-h", "--help" -> {
                    System.out.println("usage: StressRunner [--scenario all|" + String.join("|", scenarios().keySet())
                            + "[,...]] [--scale tiny|small|default|large] [--crash-trials N] [--out DIR] [--work DIR] [--keep]");
                    return;
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (try --help)");
            }
        }
        Scale scale = Scale.of(scaleName);
        if (crashTrials != null) {
            scale = scale.withCrashTrials(crashTrials);
        }
        Map<String, Scenario> all = scenarios();
        List<Scenario> run = new ArrayList<>();
        if (which.equals("all")) {
            run.addAll(all.values());
        } else {
            for (String s : which.split(",")) {
                Scenario sc = all.get(s.trim());
                if (sc == null) {
                    throw new IllegalArgumentException("--scenario " + s + ": unknown (known: all, " + String.join(", ", all.keySet()) + ")");
                }
                run.add(sc);
            }
        }
        Path scratch = work != null ? Files.createDirectories(work) : Files.createTempDirectory("coral-stress-");
        Files.createDirectories(out);
        System.out.printf(Locale.ROOT, "Coral stress runner: scale %s, scenarios %s, scratch %s, report %s%n", scale.name(),
                run.stream().map(Scenario::id).toList(), scratch, out.toAbsolutePath());
        List<ScenarioReport> reports = new ArrayList<>();
        long suiteStart = System.nanoTime();
        int failed = 0;
        for (Scenario s : run) {
            System.out.printf(Locale.ROOT, "%n== %s ==%n", s.id());
            long t0 = System.nanoTime();
            ScenarioReport r;
            try {
                r = s.run(new Context(scale, Files.createDirectories(scratch.resolve(s.id())), out));
            } catch (Exception | Error e) {
                StringWriter sw = new StringWriter();
                e.printStackTrace(new PrintWriter(sw));
                System.out.println(sw);
                r = new ScenarioReport(s.id(), s.id());
                r.failed("the scenario threw " + e + "; see the console output");
            }
            r.setSeconds((System.nanoTime() - t0) / 1e9);
            r.print();
            reports.add(r);
            failed += r.status().equals("FAILED") ? 1 : 0;
            deleteQuietly(scratch.resolve(s.id()), keep);
            ReportWriter.write(out, scale, reports, (System.nanoTime() - suiteStart) / 1e9);
        }
        double seconds = (System.nanoTime() - suiteStart) / 1e9;
        ReportWriter.write(out, scale, reports, seconds);
        if (!keep && work == null) {
            deleteQuietly(scratch, false);
        }
        System.out.printf(Locale.ROOT, "%nsuite took %.0f s; %d scenario(s) failed; report: %s%n", seconds, failed, out.resolve("report.md").toAbsolutePath());
    }

    private static void deleteQuietly(Path p, boolean keep) {
        if (keep) {
            return;
        }
        try (var s = Files.walk(p)) {
            for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        } catch (Exception e) {
            System.out.println("could not delete " + p + ": " + e);
        }
    }
}
