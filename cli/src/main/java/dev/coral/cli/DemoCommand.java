package dev.coral.cli;

import dev.coral.format.ParsedWeightFile;
import dev.coral.format.TensorSource;
import dev.coral.format.WeightFormats;
import dev.coral.io.Folders;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code coral demo}: the whole user story, end to end, on sample files. Runs the real commands
 * through {@link Main#run}, checks what matters (a checkout gives back the exact bytes, an export
 * holds the same tensors) and exits 0 only if every check passed.
 */
@Command(name = "demo", description = {
    "Run an end-to-end demo of Coral and check its results.",
    "In a temporary folder: init, add, commit with metrics, a training step, log, show, checkout of "
        + "the old version (verified by SHA-256), the sample files restored (byte for byte), branches, tags, "
        + "export to npz, stats and fsck. Sample files come from the testdata folder of the Coral checkout when it is there."})
final class DemoCommand extends Subcommand {
    private static final String MODEL = "model.safetensors";

    @Option(names = "--dir", paramLabel = "DIR", description = "Run in DIR (must be empty or absent) instead of a temporary folder; DIR is kept.")
    String dir;

    @Option(names = "--keep", description = "Keep the temporary folder afterwards.")
    boolean keep;

    @Option(names = "--testdata", paramLabel = "DIR", description = "Sample weight files to add (default: <coral home>/testdata).")
    String testdata;

    private final List<String> failures = new ArrayList<>();
    private int checks;
    private int step;
    private PrintStream out;
    private Path work;

    @Override
    int execute() throws Exception {
        out = out();
        boolean temporary = dir == null;
        work = temporary ? Files.createTempDirectory("coral-demo-") : userPath(dir);
        if (!temporary && Files.exists(work)) {
            try (Stream<Path> s = Files.list(work)) {
                if (s.findAny().isPresent()) {
                    throw usage("--dir " + dir + ": folder is not empty");
                }
            }
        }
        Files.createDirectories(work);
        try {
            runStory();
        } finally {
            if (temporary && !keep) {
                Folders.deleteTree(work);
                out.println("(removed " + work + "; use --keep to look around)");
            } else {
                out.println("(demo repository kept in " + work + ")");
            }
        }
        if (failures.isEmpty()) {
            out.println("demo passed: " + checks + " checks");
            return 0;
        }
        out.println("demo FAILED: " + failures.size() + " of " + checks + " checks: " + String.join("; ", failures));
        return Failures.FAILED;
    }

    private void runStory() throws IOException {
        out.println("Coral demo in " + work);
        Path model = work.resolve(MODEL);

        section("a model and sample weight files");
        DemoModel.write(model, 1);
        out.println("  wrote " + MODEL + " (" + Text.bytes(Files.size(model)) + ", 8 tensors)");
        List<Path> samples = copySamples(work.resolve("samples"));
        if (samples.isEmpty()) {
            out.println("  no testdata folder found: the demo uses the generated model only");
        } else {
            out.println("  copied " + samples.size() + " sample files from testdata into samples/ ("
                    + Text.bytes(size(samples)) + ")");
        }

        section("init, add, commit");
        if (!coral("init") || !coral("add", MODEL) || (!samples.isEmpty() && !coral("add", "samples"))
                || !coral("status") || !coral("commit", "-m", "epoch 1: initial weights", "--metric", "loss=2.31", "--metric", "step=1000")) {
            return;
        }
        byte[] original = sha256(model);

        section("a training step rewrites the layers.1 tensors");
        int changed = DemoModel.trainStep(model, 42, name -> name.startsWith("layers.1."));
        out.println("  rewrote " + changed + " tensors of " + MODEL + " (seed 42)");
        byte[] trained = sha256(model);
        check("the training step changed the file", !Arrays.equals(original, trained));
        if (!coral("status") || !coral("add", MODEL)
                || !coral("commit", "-m", "epoch 2: fine-tune layers.1", "--metric", "loss=1.87", "--metric", "step=2000")) {
            return;
        }

        section("history");
        if (!coral("log") || !coral("log", "--oneline") || !coral("show", "HEAD:" + MODEL)) {
            return;
        }
        String diff = coralSaying("diff", "HEAD~1", "HEAD");
        if (diff == null) {
            return;
        }
        List<String> modified = diff.lines().filter(l -> l.startsWith("  modified  ")).map(l -> l.substring(12).split(" +")[0]).toList();
        check("diff HEAD~1 HEAD names the " + changed + " rewritten tensors, all layers.1, and no other",
                modified.size() == changed && modified.stream().allMatch(n -> n.startsWith("layers.1.")));

        section("back to epoch 1");
        if (!coral("checkout", "HEAD~1")) {
            return;
        }
        check("checkout HEAD~1 gives back the original bytes (sha256 " + HexFormat.of().formatHex(original, 0, 8) + "...)",
                Arrays.equals(original, sha256(model)));

        if (!samples.isEmpty()) {
            section("the sample files back from the store");
            if (!restoresSamples(samples)) {
                return;
            }
        }

        section("branches and tags");
        if (!coral("switch", "-c", "exp") || !coral("branch") || !coral("switch", "main")) {
            return;
        }
        check("switch main gives back the trained bytes", Arrays.equals(trained, sha256(model)));
        if (!coral("tag", "v1", "-m", "epoch 2 release") || !coral("tag") || !coral("log", "--oneline", "exp")) {
            return;
        }

        section("export to numpy");
        Path npz = work.resolve("export/model-v1.npz");
        if (!coral("export", "v1:" + MODEL, "-o", "export/model-v1.npz")) {
            return;
        }
        check("the npz export holds the same tensors, bit for bit", sameTensors(model, npz));

        section("sizes");
        long raw = 2 * Files.size(model) + 2 * size(samples);
        long stored = treeSize(work.resolve(".coral"));
        out.printf("  weights in 2 commits: %s raw; .coral holds %s (%.0f%%), the unchanged tensors stored once%n",
                Text.bytes(raw), Text.bytes(stored), 100.0 * stored / raw);
        check(".coral is smaller than two full copies", stored < raw);
        if (!coral("stats")) {
            return;
        }

        section("opt-in lossy storage, on the exp branch");
        if (!coral("switch", "exp")) {
            return;
        }
        DemoModel.trainStep(model, 7, name -> name.startsWith("layers."));
        Path exact = work.resolve("export/exact.safetensors");
        Files.copy(model, exact, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        if (!coral("commit", "--lossy=1e-3", "-m", "epoch 2b: layers within 1e-3", MODEL) || !coral("log", "--oneline", "-n", "2")
                || !coral("export", "exp:" + MODEL, "-o", "export/lossy.npz")) {
            return;
        }
        double error = largestDifference(exact, work.resolve("export/lossy.npz"));
        out.printf("  largest difference from the weights given to the lossy commit: %.3g%n", error);
        check("every element of the lossy commit is within 1e-3 of what was committed (and not all equal)", error <= 1e-3 && error > 0);

        section("undo a commit, and undo the undo");
        if (!coral("reset", "--hard", "HEAD~1")) {
            return;
        }
        check("reset --hard HEAD~1 moves exp back to epoch 1: the original bytes", Arrays.equals(original, sha256(model)));
        String tip = coralSaying("reset", "--hard", "ORIG_HEAD");
        if (tip == null) {
            return;
        }
        check("reset --hard ORIG_HEAD puts the lossy commit back on exp: its values, as exported",
                tip.contains("epoch 2b") && sameTensors(model, work.resolve("export/lossy.npz")));
        if (!coral("switch", "main")) {
            return;
        }
        check("main still gives back the trained bytes, bit for bit", Arrays.equals(trained, sha256(model)));

        section("verify");
        coral("fsck");
    }

    /**
     * The largest difference between an F32 element of the safetensors file and the same element of
     * the npz file; infinity when a tensor is missing, has another spec, or (not F32) other bytes.
     */
    private static double largestDifference(Path safetensors, Path npz) throws IOException {
        double largest = 0;
        try (ParsedWeightFile a = WeightFormats.byName("safetensors").orElseThrow().read(safetensors);
             ParsedWeightFile b = WeightFormats.byName("npz").orElseThrow().read(npz)) {
            for (TensorSource ta : a.tensors()) {
                TensorSource tb = b.tensors().stream().filter(t -> t.name().equals(ta.name())).findFirst().orElse(null);
                if (tb == null || !ta.spec().equals(tb.spec())) {
                    return Double.POSITIVE_INFINITY;
                }
                byte[] x = bytes(ta);
                byte[] y = bytes(tb);
                if (ta.spec().dtype() != dev.coral.tensor.DType.F32) {
                    if (!Arrays.equals(x, y)) {
                        return Double.POSITIVE_INFINITY;
                    }
                    continue;
                }
                java.nio.FloatBuffer fx = java.nio.ByteBuffer.wrap(x).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
                java.nio.FloatBuffer fy = java.nio.ByteBuffer.wrap(y).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
                for (int i = 0; i < fx.limit(); i++) {
                    largest = Math.max(largest, Math.abs((double) fx.get(i) - fy.get(i)));
                }
            }
        }
        return largest;
    }

    /** Runs one coral command in the demo folder, echoing it and its output. */
    private boolean coral(String... args) {
        return coralSaying(args) != null;
    }

    /** Runs and shows {@code coral args}, checks it exits 0; returns what it printed, or null when it failed. */
    private String coralSaying(String... args) {
        out.println("  $ coral " + String.join(" ", Arrays.stream(args).map(DemoCommand::quote).toList()));
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream captured = new PrintStream(buf, true, StandardCharsets.UTF_8);
        String[] full = new String[args.length + 2];
        full[0] = "-C";
        full[1] = work.toString();
        System.arraycopy(args, 0, full, 2, args.length);
        int code = Main.run(captured, captured, full);
        String text = buf.toString(StandardCharsets.UTF_8);
        for (String line : text.strip().split("\n")) {
            out.println(line.isEmpty() ? "" : "    " + line);
        }
        check("coral " + args[0] + " exits 0", code == 0);
        return code == 0 ? text : null;
    }

    private void check(String what, boolean ok) {
        checks++;
        if (ok) {
            out.println("  ok: " + what);
        } else {
            out.println("  FAILED: " + what);
            failures.add(what);
        }
    }

    private void section(String title) {
        out.println();
        out.println("[" + (++step) + "] " + title);
    }

    /**
     * Deletes the sample files and restores them: each safetensors, npy and np.savez file must
     * come back byte for byte (np.savez_compressed files too), an npz whose deflated members Coral
     * cannot rebuild (deflated at level 0) with the same tensors. False when the
     * restore failed.
     */
    private boolean restoresSamples(List<Path> samples) throws IOException {
        List<byte[]> before = new ArrayList<>();
        List<Path> copies = new ArrayList<>();
        Path aside = Files.createDirectories(work.resolve("export/samples-as-added"));
        for (Path f : samples) {
            before.add(sha256(f));
            copies.add(Files.copy(f, aside.resolve(f.getFileName().toString()), java.nio.file.StandardCopyOption.REPLACE_EXISTING));
            Files.delete(f);
        }
        if (!coral("restore", "samples")) {
            return false;
        }
        int exact = 0;
        boolean ok = true;
        for (int i = 0; i < samples.size(); i++) {
            Path f = samples.get(i);
            if (Arrays.equals(before.get(i), sha256(f))) {
                exact++;
            } else {
                ok &= f.getFileName().toString().endsWith(".npz") && sameNpzTensors(copies.get(i), f);
            }
        }
        check("restore gives back " + exact + " of " + samples.size() + " sample files byte for byte, and the same tensors of "
                + (samples.size() - exact) + " npz whose deflated members Coral does not rebuild", ok && exact > 0);
        return true;
    }

    private static boolean sameNpzTensors(Path a, Path b) throws IOException {
        try (ParsedWeightFile x = WeightFormats.byName("npz").orElseThrow().read(a);
             ParsedWeightFile y = WeightFormats.byName("npz").orElseThrow().read(b)) {
            if (x.tensors().size() != y.tensors().size()) {
                return false;
            }
            for (int i = 0; i < x.tensors().size(); i++) {
                TensorSource tx = x.tensors().get(i);
                TensorSource ty = y.tensors().get(i);
                if (!tx.name().equals(ty.name()) || !tx.spec().equals(ty.spec()) || !Arrays.equals(bytes(tx), bytes(ty))) {
                    return false;
                }
            }
        }
        return true;
    }

    private List<Path> copySamples(Path into) throws IOException {
        Path source = testdataFolder();
        List<Path> copied = new ArrayList<>();
        if (source == null) {
            return copied;
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(source)) {
            files = s.filter(p -> Files.isRegularFile(p) && WeightFormats.forPath(p).isPresent()).sorted().toList();
        }
        Files.createDirectories(into);
        for (Path f : files) {
            Path dst = into.resolve(f.getFileName().toString());
            Files.copy(f, dst);
            copied.add(dst);
        }
        return copied;
    }

    /** {@code --testdata}, else {@code <coral.home>/testdata}, else next to the jar ({@code cli/target/coral.jar}). */
    private Path testdataFolder() {
        if (testdata != null) {
            Path p = userPath(testdata);
            return Files.isDirectory(p) ? p : null;
        }
        List<Path> candidates = new ArrayList<>();
        String home = System.getProperty("coral.home");
        if (home != null) {
            candidates.add(Path.of(home).resolve("testdata"));
        }
        try {
            Path code = Path.of(DemoCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path p = code.getParent(); p != null; p = p.getParent()) {
                candidates.add(p.resolve("testdata"));
                if (candidates.size() > 5) {
                    break;
                }
            }
        } catch (Exception e) {
            // no code source (unusual class loader): rely on coral.home
        }
        return candidates.stream().filter(Files::isDirectory).findFirst().orElse(null);
    }

    private static boolean sameTensors(Path safetensors, Path npz) throws IOException {
        try (ParsedWeightFile a = WeightFormats.byName("safetensors").orElseThrow().read(safetensors);
             ParsedWeightFile b = WeightFormats.byName("npz").orElseThrow().read(npz)) {
            if (a.tensors().size() != b.tensors().size()) {
                return false;
            }
            for (TensorSource ta : a.tensors()) {
                TensorSource tb = b.tensors().stream().filter(t -> t.name().equals(ta.name())).findFirst().orElse(null);
                if (tb == null || !ta.spec().equals(tb.spec()) || !Arrays.equals(bytes(ta), bytes(tb))) {
                    return false;
                }
            }
        }
        return true;
    }

    private static byte[] bytes(TensorSource t) throws IOException {
        try (InputStream in = t.openStream()) {
            return in.readAllBytes();
        }
    }

    static byte[] sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long size(List<Path> files) throws IOException {
        long n = 0;
        for (Path f : files) {
            n += Files.size(f);
        }
        return n;
    }

    private static long treeSize(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            long n = 0;
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                n += Files.size(p);
            }
            return n;
        }
    }

    private static String quote(String arg) {
        return arg.matches("[A-Za-z0-9_.:/=~^@+-]+") ? arg : "\"" + arg + "\"";
    }
}
