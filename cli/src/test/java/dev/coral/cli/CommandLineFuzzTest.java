package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Random command lines, seeded (the seed and the commands so far are in every failure): a command,
 * then a few of its own options and of revisions, paths (some outside the repository, with
 * control characters, too long), numbers and settings, in sequences of {@value #STEPS} steps in one
 * repository; a quarter of the steps change the working folder instead (new versions of the
 * weight files, a new file, one cut short, one deleted, a config.json). Each command exits 0, 1
 * or 2; one that fails says so on standard error in a line starting "coral: ", never as an
 * internal error; and after each sequence {@code fsck} finds the repository whole. {@code daemon}, {@code demo} and {@code batch} are left out (a process, a long run,
 * standard input); paths never leave the round's own folder.
 */
class CommandLineFuzzTest {
    private static final int STEPS = 8;
    private static final List<String> LEFT_OUT = List.of("daemon", "demo", "batch");
    private static final List<String> REVISIONS = List.of("HEAD", "HEAD~1", "HEAD~9", "HEAD^", "HEAD^2", "main", "exp", "v1", "@",
            "HEAD@{1}", "nope", "", "-", "--", "0000000", "v1:m.safetensors", "HEAD:nope.npy", ":m.safetensors", "main..exp",
            "refs/heads/main", "ORIG_HEAD", "v1^{}", "HEAD~99999999999");
    private static final List<String> PATHS = List.of("m.safetensors", "a.npy", "sub", "sub/b.npy", ".", "../out.npy", "out.npz",
            "out.h5", "out.safetensors", "new.npy", ".coral", ".coral/HEAD", "nope.npy", "m.safetensors/x", "a\nb.npy", "x\u001b[2J.npy",
            "x".repeat(300) + ".npy", "sub/../a.npy", "./m.safetensors", "*.npy", "out.keras", "k.h5", "config.json");
    private static final List<String> VALUES = List.of("-1", "0", "1", "3", "99999999999999999999", "1e-3", "nan", "loss=0.5",
            "loss=abc", "=", "a=b", "chunk.bytes", "delta.depth", "cache.bytes", "codec.contexts", "zstd.level", "true", "4096", "1k",
            "step", "é", "-q", "average", "ours", "theirs", "--lossy=1e-3", "1e-30", "bf16", "safetensors", "npz", "hdf5", "8", "64k");

    @TempDir
    Path dir;

    @Test
    @Timeout(600)
    void randomCommandLinesExitCleanlyAndLeaveTheRepositoryWhole() throws Exception {
        Map<String, List<String>> options = optionsByCommand();
        int sequences = Integer.getInteger("coral.fuzzSequences", 40);
        long first = Long.getLong("coral.fuzzSeed", 1);
        Map<Integer, Integer> codes = new TreeMap<>();
        for (int s = 0; s < sequences; s++) {
            long seed = first + s;
            Random r = new Random(seed);
            Path round = dir.resolve("s" + seed);
            Path repo = round.resolve("repo");
            repository(repo);
            Cli cli = new Cli(repo);
            List<String> done = new ArrayList<>();
            for (int step = 0; step < STEPS; step++) {
                if (r.nextInt(4) == 0) {
                    done.add("[" + fileStep(r, repo) + "]");
                    continue;
                }
                List<String> args = commandLine(r, options);
                done.add(String.join(" ", args.stream().map(a -> "'" + a.replace("\n", "\\n") + "'").toList()));
                String where = "seed " + seed + ", after " + done;
                Cli.Result result = cli.run(args.toArray(String[]::new));
                codes.merge(result.code(), 1, Integer::sum);
                assertTrue(result.code() >= 0 && result.code() <= 2, where + ": exit " + result.code());
                assertTrue(!result.err().contains("internal error"), where + ": " + result.err());
                boolean differences = args.get(0).equals("diff") && args.contains("--exit-code") && result.code() == 1 && result.err().isEmpty();
                if (result.code() != 0 && !differences) { // diff --exit-code's 1 says "there are differences", as git's
                    assertTrue(result.errLines().stream().anyMatch(l -> l.startsWith("coral: ")), where + ": failed without saying so: "
                            + result.err());
                }
            }
            Cli.Result fsck = cli.run("fsck");
            assertEquals(0, fsck.code(), "seed " + seed + ", after " + done + ": fsck: " + fsck.out() + fsck.err());
            dev.coral.io.Folders.deleteTree(round);
        }
        System.out.println(sequences + " sequences of " + STEPS + " commands from seed " + first + ", exit codes " + codes);
    }

    /** Changes the working folder as a training job or a user would between commands; returns what it did. */
    private static String fileStep(Random r, Path repo) throws IOException {
        java.util.SplittableRandom values = new java.util.SplittableRandom(r.nextLong());
        switch (r.nextInt(6)) {
            case 0 -> {
                Cli.writeModel(repo.resolve("m.safetensors"), values.nextLong(), "w", r.nextBoolean() ? "b" : "c");
                return "new m.safetensors";
            }
            case 1 -> {
                Cli.write(repo.resolve("sub/b.npy"), "npy", List.of(Cli.f32("b", values, 16)));
                return "new sub/b.npy";
            }
            case 2 -> {
                Cli.write(repo.resolve("new.npy"), "npy", List.of(Cli.f32("n", values, 3, 5)));
                return "new.npy";
            }
            case 3 -> {
                Path m = repo.resolve("m.safetensors");
                if (Files.isRegularFile(m)) {
                    byte[] b = Files.readAllBytes(m);
                    Files.write(m, java.util.Arrays.copyOf(b, r.nextInt(b.length + 1)));
                }
                return "m.safetensors cut short";
            }
            case 4 -> {
                String name = r.nextBoolean() ? "m.safetensors" : "a.npy";
                Files.deleteIfExists(repo.resolve(name));
                return "rm " + name;
            }
            default -> {
                Files.writeString(repo.resolve("config.json"), "{\"hidden\": 16}");
                return "config.json";
            }
        }
    }

    /** A command, then 0-4 of its options, revisions, paths and values (an option's value is any of them). */
    private static List<String> commandLine(Random r, Map<String, List<String>> options) {
        List<String> names = new ArrayList<>(options.keySet());
        String command = names.get(r.nextInt(names.size()));
        List<String> args = new ArrayList<>(List.of(command));
        int more = r.nextInt(5);
        for (int i = 0; i < more; i++) {
            int kind = r.nextInt(4);
            List<String> own = options.get(command);
            List<String> from = kind == 0 && !own.isEmpty() ? own : kind <= 1 ? REVISIONS : kind == 2 ? PATHS : VALUES;
            args.add(from.get(r.nextInt(from.size())));
        }
        return args;
    }

    /** Each command's option names (from picocli's model of it), but help and version. */
    private static Map<String, List<String>> optionsByCommand() {
        Session s = new Session(new PrintStream(PrintStream.nullOutputStream()), new PrintStream(PrintStream.nullOutputStream()), false, false);
        Map<String, List<String>> out = new TreeMap<>();
        for (Map.Entry<String, CommandLine> c : CoralCommand.commandLine(s).getSubcommands().entrySet()) {
            if (LEFT_OUT.contains(c.getKey())) {
                continue;
            }
            List<String> names = new ArrayList<>();
            for (CommandLine.Model.OptionSpec o : c.getValue().getCommandSpec().options()) {
                if (!o.usageHelp() && !o.versionHelp()) {
                    names.addAll(List.of(o.names()));
                }
            }
            out.put(c.getKey(), names);
        }
        return out;
    }

    /** A repository: two commits of m.safetensors, a branch exp with an npy in sub/, a tag v1, a staged change, an untracked a.npy. */
    private static void repository(Path root) throws IOException {
        Files.createDirectories(root);
        Cli cli = new Cli(root);
        cli.run("init", "-q").ok();
        Cli.writeModel(root.resolve("m.safetensors"), 1, "w", "b");
        cli.run("add", "-q", "m.safetensors").ok();
        cli.run("commit", "-q", "-m", "one").ok();
        cli.run("tag", "v1").ok();
        cli.run("branch", "exp").ok();
        cli.run("switch", "-q", "exp").ok();
        Cli.write(root.resolve("sub/b.npy"), "npy", List.of(Cli.f32("b", new java.util.SplittableRandom(3), 16)));
        cli.run("add", "-q", "sub/b.npy").ok();
        cli.run("commit", "-q", "-m", "exp one").ok();
        cli.run("switch", "-q", "main").ok();
        Cli.writeModel(root.resolve("m.safetensors"), 2, "w", "b");
        cli.run("add", "-q", "m.safetensors").ok();
        cli.run("commit", "-q", "-m", "two", "--metric", "loss=0.5").ok();
        Cli.writeModel(root.resolve("m.safetensors"), 3, "w", "b");
        cli.run("add", "-q", "m.safetensors").ok();
        Cli.write(root.resolve("a.npy"), "npy", List.of(Cli.f32("a", new java.util.SplittableRandom(4), 8)));
    }
}
