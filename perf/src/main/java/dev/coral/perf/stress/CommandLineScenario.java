package dev.coral.perf.stress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Scenario: the command line as a user runs it, one JVM per command ({@code java -jar
 * cli/target/coral.jar}): the checkpoints of the throughput scenario's MLP committed with
 * {@code coral commit -m .. model.safetensors}, then checked out by depth. Each command pays JVM
 * start, class loading and JIT warm-up, which the in-process scenarios do not. Run twice: plain,
 * and with the class-data-sharing archive the {@code ./coral} launcher writes (made here, as
 * there, from the classes the first commit of that run loaded and those of a quiet {@code coral demo}); then the same
 * commits and checkouts as commands of one {@code coral batch} process. Baselines in the
 * same run: a JVM that starts and exits, and
 * Files.copy + fsync of each checkpoint. Skipped, saying so, when the jar is not built.
 */
public final class CommandLineScenario implements Scenario {
    /** Commits of each run: 8 (a run of the default chain layout), 4 at the tiny scale. */
    static int steps(Scale scale) {
        return scale.name().equals("tiny") ? 4 : 8;
    }

    @Override
    public String id() {
        return "cli";
    }

    /** The command-line jar: {@code -Dcoral.jar}, else cli/target/coral.jar under the folder Maven runs in or its parent. */
    public static Path jar() {
        String set = System.getProperty("coral.jar");
        if (set != null) {
            return Path.of(set);
        }
        Path here = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path root : new Path[] {here, here.getParent()}) {
            if (root != null && Files.isRegularFile(root.resolve("cli/target/coral.jar"))) {
                return root.resolve("cli/target/coral.jar");
            }
        }
        return here.resolve("cli/target/coral.jar");
    }

    @Override
    public ScenarioReport run(Context ctx) throws Exception {
        ScenarioReport rep = new ScenarioReport(id(), "Command line");
        Path jar = jar();
        if (!Files.isRegularFile(jar)) {
            return rep.skipped("no " + jar + ": build it first (mvn -B -q -DskipTests install, or ./coral --version)");
        }
        int[] dims = ThroughputScenario.dims(ctx.scale());
        int steps = steps(ctx.scale());
        Path dir = ctx.dir("cli");
        Mlp net = new Mlp(dims, 11);
        SplittableRandom data = new SplittableRandom(99);
        List<byte[]> checkpoints = new ArrayList<>();
        for (int step = 0; step < steps; step++) {
            net.adamStep(data, 2, 1e-3f);
            checkpoints.add(ThroughputScenario.safetensors(net));
        }
        long fileBytes = checkpoints.get(0).length;
        Path jsa = dir.resolve("coral.jsa");
        String[][] variants = {{"plain JVM"}, {"as the launcher runs it: its CDS archive, checkouts with C1 alone, commits without C2's vectorizer"}};
        double[][] commitSeconds = new double[2][steps];
        double[][] checkoutSeconds = new double[2][steps];
        double copySeconds = 0;
        for (int v = 0; v < 2; v++) {
            Path repo = dir.resolve("repo-" + v);
            Files.createDirectories(repo);
            List<String> jvm = new ArrayList<>();
            if (v == 1) {
                jvm.add("-XX:SharedArchiveFile=" + jsa);
            }
            command(ctx, jar, repo, List.of(), "init", ".");
            Path file = repo.resolve("model.safetensors");
            for (int step = 0; step < steps; step++) {
                Files.write(file, checkpoints.get(step));
                List<String> opts = jvm;
                Path classList = dir.resolve("coral.classlist");
                if (v == 1 && step == 0) { // as the launcher does: the first real command lists its classes
                    opts = List.of("-XX:DumpLoadedClassList=" + classList);
                }
                if (v == 1) { // as the launcher runs commits: without C2's loop vectorizer, loops unrolled less
                    opts = new ArrayList<>(opts);
                    opts.addAll(LauncherFlags.forCommand("commit"));
                }
                double s = command(ctx, jar, repo, opts, "commit", "-m", "step " + step, "model.safetensors");
                commitSeconds[v][step] = v == 1 && step == 0 ? Double.NaN : s;
                if (v == 1 && step == 0) { // and the launcher archives them, with a quiet demo's, after it
                    Path demoList = dir.resolve("demo.classlist");
                    Path home = jar.toAbsolutePath().getParent().getParent().getParent(); // <home>/cli/target/coral.jar
                    command(ctx, jar, dir, List.of("-XX:DumpLoadedClassList=" + demoList, "-Dcoral.home=" + home), "demo");
                    joinWithoutRepeats(classList, demoList);
                    dumpArchive(jar, classList, jsa);
                }
                if (v == 0) {
                    long t0 = System.nanoTime();
                    Baselines.copyDurably(file, dir.resolve("copy.safetensors"));
                    copySeconds += (System.nanoTime() - t0) / 1e9;
                }
            }
            for (int d = steps - 1; d >= 0; d--) { // main~0 last, from main~1's file
                List<String> checkoutJvm = new ArrayList<>(jvm);
                if (v == 1) { // as the launcher runs checkouts: C1 alone
                    checkoutJvm.addAll(LauncherFlags.forCommand("checkout"));
                }
                checkoutSeconds[v][d] = command(ctx, jar, repo, checkoutJvm, "checkout", "--force", "main~" + d);
                byte[] got = Files.readAllBytes(file);
                if (!Arrays.equals(got, checkpoints.get(steps - 1 - d))) {
                    rep.failed("checkout of main~" + d + " (" + variants[v][0] + ") is not the committed file");
                }
            }
            Context.log("cli (%s): commits %s s", variants[v][0], Arrays.toString(commitSeconds[v]));
        }
        Batch batch = batch(ctx, jar, jsa, dir.resolve("repo-batch"), checkpoints, rep);
        Batch daemon = daemon(jar, dir.resolve("repo-daemon"), checkpoints, rep);
        double jvmStart = Double.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(javaBin(), "-version").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            p.waitFor();
            jvmStart = Math.min(jvmStart, (System.nanoTime() - t0) / 1e9);
        }
        double version = command(ctx, jar, dir, List.of(), "--version");
        Table t = rep.table(new Table(String.format(Locale.ROOT, "%d checkpoints of a %s MLP, %s each, one `java -jar coral.jar` process per command; "
                + "MB = 10^6 bytes", steps, Arrays.toString(dims), Fmt.mb(fileBytes)), "figure", "plain JVM", "as ./coral runs it (CDS archive; checkout: C1 alone; commit: no vectorizer)",
                "baseline (same run)"));
        t.row("**commit**, median of steps 2-" + steps + " (deltas): seconds / MB/s", secondsAndRate(median(commitSeconds[0], 1), fileBytes),
                secondsAndRate(median(commitSeconds[1], 1), fileBytes), "Files.copy+fsync " + Fmt.mbps(fileBytes * steps, copySeconds));
        t.row("commit of the first checkpoint (keyframes), seconds", String.format(Locale.ROOT, "%.2f", commitSeconds[0][0]),
                "(lists its classes for the archive)", "");
        t.row("**checkout --force main~d**, median over d = 1.." + (steps - 1) + ": seconds / MB/s",
                secondsAndRate(median(checkoutSeconds[0], 1), fileBytes), secondsAndRate(median(checkoutSeconds[1], 1), fileBytes), "");
        StringBuilder by = new StringBuilder();
        for (int d = 1; d < steps; d++) {
            by.append(d == 1 ? "" : ", ").append("~").append(d).append(' ').append(String.format(Locale.ROOT, "%.2f", checkoutSeconds[1][d]));
        }
        t.row("checkout seconds by depth (with the archive)", "", by.toString(), "");
        t.row("**checkout --force main** (the newest commit, from main~1's file; its delta chunks come from the chunk cache): seconds / MB/s",
                secondsAndRate(checkoutSeconds[0][0], fileBytes), secondsAndRate(checkoutSeconds[1][0], fileBytes), "");
        t.row("**commit in one `coral batch` process** (a command per line of its standard input, the file rewritten between them; "
                        + "CDS archive, default JIT): median of steps 2-" + steps + " / of steps " + (steps / 2 + 1) + "-" + steps + ", seconds / MB/s", "",
                secondsAndRate(median(batch.commit, 1), fileBytes) + "; " + secondsAndRate(median(batch.commit, steps / 2), fileBytes),
                "the same commits as separate commands: " + secondsAndRate(median(commitSeconds[1], 1), fileBytes));
        t.row("checkout --force main~d in that batch process, after the commits, median over d = 1.." + (steps - 1) + ": seconds / MB/s", "",
                secondsAndRate(median(batch.checkout, 1), fileBytes), "");
        if (daemon != null) {
            t.row("**commit through the `./coral` launcher with `coral daemon` running** (one launcher process per command, the "
                            + "daemon's JVM running them all): median of steps 2-" + steps + " / of steps " + (steps / 2 + 1) + "-" + steps
                            + ", seconds / MB/s", "",
                    secondsAndRate(median(daemon.commit, 1), fileBytes) + "; " + secondsAndRate(median(daemon.commit, steps / 2), fileBytes),
                    "the same commits as separate commands: " + secondsAndRate(median(commitSeconds[1], 1), fileBytes));
            t.row("checkout --force main~d through the launcher and the daemon, median over d = 1.." + (steps - 1) + ": seconds / MB/s", "",
                    secondsAndRate(median(daemon.checkout, 1), fileBytes), "");
            t.row("the first two commits through the daemon, started before them (its warm-up: " + daemon.warmUp() + "), seconds", "",
                    String.format(Locale.ROOT, "%.2f, %.2f", daemon.commit[0], daemon.commit[1]),
                    String.format(Locale.ROOT, "in the batch process (no warm-up): %.2f, %.2f", batch.commit[0], batch.commit[1]));
            rep.headline("cli: commit / checkout of a " + Fmt.mb(fileBytes) + " checkpoint through ./coral with coral daemon running, seconds "
                            + "(steps " + (steps / 2 + 1) + "-" + steps + " / depths 1-" + (steps - 1) + ")",
                    String.format(Locale.ROOT, "%.2f / %.2f", median(daemon.commit, steps / 2), median(daemon.checkout, 1)),
                    "one process per command: " + String.format(Locale.ROOT, "%.2f / %.2f", median(commitSeconds[1], 1), median(checkoutSeconds[1], 1)));
            rep.figure("commit_seconds_daemon", daemon.commit);
            rep.figure("checkout_seconds_daemon", daemon.checkout);
        } else {
            rep.note("No ./coral launcher beside " + jar + ": the daemon's figures are left out.");
        }
        t.row("`coral --version`, seconds", String.format(Locale.ROOT, "%.2f", version), "", "`java -version` " + String.format(Locale.ROOT, "%.2f", jvmStart));
        rep.note("Every command is a fresh JVM: JVM start, class loading and JIT compilation of the codec loops are in each figure; the in-process "
                + "throughput scenario shows the same work without them.");
        rep.headline("cli: commit / checkout of a " + Fmt.mb(fileBytes) + " checkpoint in one `coral batch` process, seconds (steps "
                        + (steps / 2 + 1) + "-" + steps + " / depths 1-" + (steps - 1) + ")",
                String.format(Locale.ROOT, "%.2f / %.2f", median(batch.commit, steps / 2), median(batch.checkout, 1)),
                "one process per command: " + String.format(Locale.ROOT, "%.2f / %.2f", median(commitSeconds[1], 1), median(checkoutSeconds[1], 1)));
        rep.headline("cli: commit / checkout of a " + Fmt.mb(fileBytes) + " checkpoint, seconds (as ./coral runs them)",
                String.format(Locale.ROOT, "%.2f / %.2f", median(commitSeconds[1], 1), median(checkoutSeconds[1], 1)),
                "Files.copy+fsync " + String.format(Locale.ROOT, "%.2f", copySeconds / steps) + ", JVM start " + String.format(Locale.ROOT, "%.2f", jvmStart));
        rep.figure("commit_seconds_plain", commitSeconds[0]);
        rep.figure("commit_seconds_cds", commitSeconds[1]);
        rep.figure("checkout_seconds_plain", checkoutSeconds[0]);
        rep.figure("checkout_seconds_cds", checkoutSeconds[1]);
        rep.figure("commit_seconds_batch", batch.commit);
        rep.figure("checkout_seconds_batch", batch.checkout);
        rep.figure("file_bytes", fileBytes);
        return rep;
    }

    /** Seconds of each commit and checkout; for the daemon, how its warm-up ended (else null). */
    private record Batch(double[] commit, double[] checkout, String warmUp) {
    }

    /**
     * The same commits and checkouts as commands of one {@code coral batch} process (the CDS
     * archive, the default JIT, as the launcher runs batch): each timed from writing its line to
     * reading its reply.
     */
    private static Batch batch(Context ctx, Path jar, Path jsa, Path repo, List<byte[]> checkpoints, ScenarioReport rep)
            throws IOException, InterruptedException {
        Files.createDirectories(repo);
        command(ctx, jar, repo, List.of(), "init", ".");
        int steps = checkpoints.size();
        double[] commit = new double[steps];
        double[] checkout = new double[steps];
        Process p = new ProcessBuilder(javaBin(), "-XX:SharedArchiveFile=" + jsa, "-Xlog:cds=off", "-jar", jar.toString(), "batch")
                .directory(repo.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (java.io.BufferedWriter in = new java.io.BufferedWriter(new java.io.OutputStreamWriter(p.getOutputStream(),
                java.nio.charset.StandardCharsets.UTF_8));
             java.io.BufferedReader replies = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                     java.nio.charset.StandardCharsets.UTF_8))) {
            Path file = repo.resolve("model.safetensors");
            for (int step = 0; step < steps; step++) {
                Files.write(file, checkpoints.get(step));
                commit[step] = batchLine(in, replies, "commit", "-m", "step " + step, "model.safetensors");
            }
            for (int d = steps - 1; d >= 0; d--) {
                checkout[d] = batchLine(in, replies, "checkout", "--force", "main~" + d);
                if (!Arrays.equals(Files.readAllBytes(file), checkpoints.get(steps - 1 - d))) {
                    rep.failed("checkout of main~" + d + " in coral batch is not the committed file");
                }
            }
        }
        if (p.waitFor() != 0) {
            throw new IOException("coral batch exited " + p.exitValue());
        }
        Context.log("cli (batch): commits %s s", Arrays.toString(commit));
        return new Batch(commit, checkout, null);
    }

    /**
     * The same commits and checkouts through the {@code ./coral} launcher beside the jar with a
     * {@code coral daemon} of its own running (its folder under {@code dir}'s, so that no daemon
     * the user runs is touched): each timed from starting the launcher to its exit, standard output
     * and error pipes as a script's. Null when there is no launcher.
     */
    private static Batch daemon(Path jar, Path repo, List<byte[]> checkpoints, ScenarioReport rep)
            throws IOException, InterruptedException {
        Path launcher = jar.toAbsolutePath().getParent().getParent().getParent().resolve("coral");
        if (!Files.isRegularFile(launcher)) {
            return null;
        }
        Files.createDirectories(repo);
        Path daemonDir = repo.resolveSibling("daemon");
        int steps = checkpoints.size();
        double[] commit = new double[steps];
        double[] checkout = new double[steps];
        launcher(launcher, repo, daemonDir, "daemon", "start", "--idle", "5");
        String warmUp = warmUpEnded(launcher, repo, daemonDir);
        Context.log("cli (daemon): warm-up %s", warmUp);
        try {
            launcher(launcher, repo, daemonDir, "init", ".");
            Path file = repo.resolve("model.safetensors");
            for (int step = 0; step < steps; step++) {
                Files.write(file, checkpoints.get(step));
                commit[step] = launcher(launcher, repo, daemonDir, "commit", "-m", "step " + step, "model.safetensors");
            }
            for (int d = steps - 1; d >= 0; d--) {
                checkout[d] = launcher(launcher, repo, daemonDir, "checkout", "--force", "main~" + d);
                if (!Arrays.equals(Files.readAllBytes(file), checkpoints.get(steps - 1 - d))) {
                    rep.failed("checkout of main~" + d + " through the daemon is not the committed file");
                }
            }
            String log = Files.readString(daemonDir.resolve("log"));
            long served = log.lines().filter(l -> l.contains(" coral commit: exit 0") || l.contains(" coral checkout: exit 0")).count();
            if (served != 2L * steps) {
                rep.failed("the daemon ran " + served + " of the " + 2 * steps + " commits and checkouts (see " + daemonDir.resolve("log") + ")");
            }
        } finally {
            launcher(launcher, repo, daemonDir, "daemon", "stop");
        }
        Context.log("cli (daemon): commits %s s", Arrays.toString(commit));
        return new Batch(commit, checkout, warmUp);
    }

    /** Waits until the daemon's warm-up has ended (as a user who started it a while before the first command); what status says of it. */
    private static String warmUpEnded(Path launcher, Path cwd, Path daemonDir) throws IOException, InterruptedException {
        long until = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(2);
        while (true) {
            ProcessBuilder pb = new ProcessBuilder("bash", launcher.toString(), "daemon", "status").directory(cwd.toFile()).redirectErrorStream(true);
            pb.environment().put("CORAL_DAEMON_DIR", daemonDir.toString());
            Process p = pb.start();
            String status = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            p.waitFor();
            int at = status.indexOf("warm-up ");
            String warmUp = at < 0 ? "(not in status: " + status.strip() + ")" : status.substring(at + 8).replaceAll(";.*", "").strip();
            if (!warmUp.equals("running") || System.nanoTime() > until) {
                return warmUp;
            }
            Thread.sleep(100);
        }
    }

    /** Runs {@code ./coral args} with the daemon folder {@code daemonDir}; its wall time; throws with its output if it fails. */
    private static double launcher(Path launcher, Path cwd, Path daemonDir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("bash", launcher.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
        pb.environment().put("CORAL_DAEMON_DIR", daemonDir.toString());
        pb.environment().remove("CORAL_JAVA_OPTS");
        pb.environment().remove("CORAL_DAEMON");
        long t0 = System.nanoTime();
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        int rc = p.waitFor();
        double s = (System.nanoTime() - t0) / 1e9;
        if (rc != 0) {
            throw new IOException("./coral " + String.join(" ", args) + " exited " + rc + ": " + new String(out).strip() + " " + new String(err).strip());
        }
        return s;
    }

    /** Writes one command to a batch process and reads its reply; its seconds; throws if it failed. */
    private static double batchLine(java.io.BufferedWriter in, java.io.BufferedReader replies, String... args) throws IOException {
        StringBuilder line = new StringBuilder("[");
        for (String a : args) {
            line.append(line.length() > 1 ? ", " : "").append('"').append(a.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        }
        long t0 = System.nanoTime();
        in.write(line.append("]\n").toString());
        in.flush();
        String reply = replies.readLine();
        double s = (System.nanoTime() - t0) / 1e9;
        if (reply == null || !reply.startsWith("{\"code\": 0,")) {
            throw new IOException("coral batch: " + String.join(" ", args) + ": " + reply);
        }
        return s;
    }

    private static String secondsAndRate(double seconds, long bytes) {
        return String.format(Locale.ROOT, "%.2f / %s", seconds, Fmt.mbps(bytes, seconds));
    }

    private static double median(double[] a, int from) {
        double[] s = Arrays.stream(a, from, a.length).filter(x -> !Double.isNaN(x) && x > 0).sorted().toArray();
        return s.length == 0 ? Double.NaN : s[s.length / 2];
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * Appends the lines of {@code more} that {@code list} lacks to it (a class listed twice makes
     * -Xshare:dump crash), as the launcher joins them: without JDK 25's class numbers (" id: N",
     * which clash between two lists) and "@cp" lines (which leave picocli's old class files out).
     */
    private static void joinWithoutRepeats(Path list, Path more) throws IOException {
        java.util.LinkedHashSet<String> lines = new java.util.LinkedHashSet<>();
        for (Path p : List.of(list, more)) {
            for (String line : Files.readAllLines(p)) {
                if (!line.startsWith("@cp ")) {
                    lines.add(line.replaceFirst(" id: [0-9]+$", ""));
                }
            }
        }
        Files.write(list, lines);
    }

    /** The static class-data-sharing archive of the classes listed, as the launcher makes it. */
    private static void dumpArchive(Path jar, Path classList, Path jsa) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(javaBin(), "-Xshare:dump", "-XX:SharedClassListFile=" + classList, "-XX:SharedArchiveFile=" + jsa,
                "-Xlog:cds=off", "-cp", jar.toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (p.waitFor() != 0 || !Files.isRegularFile(jsa)) {
            throw new IOException("java -Xshare:dump made no archive from " + classList);
        }
    }

    /** Runs {@code coral args} in a fresh JVM in {@code cwd}; returns its wall time; throws with its output if it fails. */
    private static double command(Context ctx, Path jar, Path cwd, List<String> jvm, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBin());
        cmd.addAll(jvm);
        cmd.add("-jar");
        cmd.add(jar.toString());
        cmd.addAll(List.of(args));
        Path log = ctx.work().resolve("cli-command.log");
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        int rc = p.waitFor();
        double s = (System.nanoTime() - t0) / 1e9;
        if (rc != 0) {
            throw new IOException("coral " + String.join(" ", args) + " exited " + rc + ": " + Files.readString(log).strip());
        }
        return s;
    }
}
