package dev.coral.perf.stress;

import dev.coral.api.CommitRequest;
import dev.coral.api.MergeStrategy;
import dev.coral.api.Repository;
import dev.coral.api.RepositoryStats;
import dev.coral.format.TensorSource;
import dev.coral.format.WeightFormats;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Scenario: the same Adam history of the throughput scenario's MLP committed as safetensors, as
 * HDF5, as npz of stored members (as {@code np.savez} writes it) and as a Keras 3 {@code .keras}
 * zip of that HDF5 (four repositories, one handle each): commit and checkout MB/s and stored bytes side by side, each against writing /
 * copying the same bytes in the same run; then a merge of two branches of that run with
 * {@code --strategy average}, its MB/s against reading both versions and writing one file, and
 * every merged value checked against the mean computed here.
 */
public final class FormatsScenario implements Scenario {
    /**
     * Steps left out of the commit MB/s. Until 2026-12-05 they were in, and the MB/s ranked the
     * formats in the array's order whatever the format (with the array reversed, the ranking
     * reversed): per commit, steps 2-11 took 206-387 ms for every format, while step 0 took 752 ms
     * for the format that went first and 231-403 for the others, and step 1 (the first delta) 1,102
     * ms for the first and 370-816 for the others; the rotation put formats 0 and 1 first there.
     */
    private static final int WARM_UP = 2;

    /** The zip members' time: fixed, so the runs' files are the same (numpy and Keras write the time of the save). */
    private static final long ZIP_TIME = java.time.LocalDateTime.of(1980, 1, 1, 0, 0).atZone(java.time.ZoneId.systemDefault())
            .toInstant().toEpochMilli();

    @Override
    public String id() {
        return "formats";
    }

    @Override
    public ScenarioReport run(Context ctx) throws Exception {
        ScenarioReport rep = new ScenarioReport(id(), "Formats: safetensors, HDF5, npz and .keras, and merge");
        int steps = switch (ctx.scale().name()) {
            case "tiny" -> 4;
            case "small" -> 8;
            default -> 12;
        };
        Mlp net = new Mlp(ThroughputScenario.dims(ctx.scale()), 11);
        SplittableRandom data = new SplittableRandom(99);
        List<List<TensorSource>> history = new ArrayList<>();
        for (int s = 0; s < steps; s++) {
            net.adamStep(data, 2, 1e-3f);
            history.add(ThroughputScenario.tensors(net));
        }
        Table t = rep.table(new Table(steps + " Adam steps of the MLP, each committed as one file through one handle",
                "figure", "safetensors", "HDF5 (.h5)", "npz (np.savez: stored members)", "Keras 3 (.keras)", "baseline (same run)"));
        rep.note("The four formats commit and check out in turn, step by step, in one JVM, in the orders of a Williams square (each in every place and after every other as often); merge runs after them.");
        rep.note("Commit MB/s leave out the first " + WARM_UP + " steps: the JVM's first commit and first delta (the codec chooser) compile "
                + "the code for all four, and cost 0.4-1.1 s to whichever format went first (in the log: first commits).");
        String[] formats = {"safetensors", "hdf5", "npz", "keras"};
        String[] names = {"model.safetensors", "model.h5", "model.npz", "model.keras"};
        int n = formats.length;
        double[] commitSeconds = new double[n]; // steps WARM_UP.. only
        double[] firstSeconds = new double[n]; // steps 0 .. WARM_UP-1
        double[][] checkoutSeconds = new double[2][n];
        long[] stored = new long[n];
        long[] objects = new long[n];
        long fileBytes = 0;
        double writeSeconds = 0;
        double copySeconds = 0;
        // the formats in turn, step by step, so that none runs with a colder JIT than the others
        Path[] roots = new Path[n];
        Path[] files = new Path[n];
        for (int f = 0; f < n; f++) {
            roots[f] = ctx.dir("formats-" + formats[f]);
            files[f] = roots[f].resolve(names[f]);
        }
        try (Repository s0 = Repository.init(roots[0]); Repository s1 = Repository.init(roots[1]); Repository s2 = Repository.init(roots[2]);
             Repository s3 = Repository.init(roots[3])) {
            Repository[] repos = {s0, s1, s2, s3};
            for (int s = 0; s < steps; s++) {
                for (int k = 0; k < n; k++) {
                    int f = balancedOrder(s, k, n);
                    long w0 = System.nanoTime();
                    write(files[f], formats[f], history.get(s));
                    writeSeconds += f == 0 ? (System.nanoTime() - w0) / 1e9 : 0;
                    long t0 = System.nanoTime();
                    repos[f].commit(CommitRequest.of("step " + s), List.of(files[f]));
                    double took = (System.nanoTime() - t0) / 1e9;
                    if (s < WARM_UP) {
                        firstSeconds[f] += took;
                    } else {
                        commitSeconds[f] += took;
                    }
                }
                fileBytes = Files.size(files[0]);
            }
            for (int f = 0; f < n; f++) {
                RepositoryStats st = repos[f].stats(false, false);
                stored[f] = st.storedBytes();
                objects[f] = st.objectStoredBytes();
            }
            for (int pass = 0; pass < 2; pass++) { // the second with the decoders compiled
                for (int back = steps - 1; back >= 0; back--) { // oldest first, each from the file the one before left
                    for (int k = 0; k < n; k++) {
                        int f = balancedOrder(back, k, n);
                        long t0 = System.nanoTime();
                        repos[f].checkout("main~" + back, true);
                        checkoutSeconds[pass][f] += (System.nanoTime() - t0) / 1e9;
                    }
                }
            }
            for (Repository r : repos) {
                r.checkout("main", true);
            }
        }
        Path copy = roots[0].resolve("copy.bin");
        long c0 = System.nanoTime();
        for (int s = 0; s < steps; s++) {
            Files.copy(files[0], copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        copySeconds = (System.nanoTime() - c0) / 1e9;
        Files.delete(copy);
        for (int f = 0; f < n; f++) {
            Context.log("formats: %s, commits 0-%d %.2f s, %d-%d %.2f s, %d checkouts %.2f s then %.2f s, stored %s", formats[f], WARM_UP - 1,
                    firstSeconds[f], WARM_UP, steps - 1, commitSeconds[f],
                    steps, checkoutSeconds[0][f], checkoutSeconds[1][f], Fmt.mb(stored[f]));
        }
        long total = fileBytes * steps;
        long committedWarm = fileBytes * (steps - WARM_UP);
        String[] commit = new String[n + 2];
        String[] checkout = new String[n + 2];
        String[] storedRow = new String[n + 2];
        String[] objectsRow = new String[n + 2];
        commit[0] = "commit MB/s (file bytes; steps " + WARM_UP + "-" + (steps - 1) + ")";
        checkout[0] = "checkout MB/s, oldest first (first pass / again, decoders compiled)";
        storedRow[0] = "stored";
        objectsRow[0] = "of which not chunks (trees, file entries: HDF5's skeleton, the zip's headers)";
        for (int f = 0; f < n; f++) {
            commit[f + 1] = Fmt.mbps(committedWarm, commitSeconds[f]);
            checkout[f + 1] = Fmt.mbps(total, checkoutSeconds[0][f]) + " / " + Fmt.mbps(total, checkoutSeconds[1][f]);
            storedRow[f + 1] = Fmt.mb(stored[f]);
            objectsRow[f + 1] = Fmt.i(objects[f]) + " B";
        }
        commit[n + 1] = "writing the safetensors files " + Fmt.mbps(total, writeSeconds);
        checkout[n + 1] = "Files.copy of the file " + Fmt.mbps(total, copySeconds);
        storedRow[n + 1] = "raw " + Fmt.mb(total);
        objectsRow[n + 1] = "";
        t.row(commit);
        t.row(checkout);
        t.row(storedRow);
        t.row(objectsRow);
        rep.headline("HDF5 / npz / .keras against safetensors, same history: stored",
                Fmt.mb(stored[1]) + " / " + Fmt.mb(stored[2]) + " / " + Fmt.mb(stored[3]), "safetensors " + Fmt.mb(stored[0]));
        rep.headline("HDF5 / npz / .keras commit MB/s",
                Fmt.mbps(committedWarm, commitSeconds[1]) + " / " + Fmt.mbps(committedWarm, commitSeconds[2]) + " / "
                        + Fmt.mbps(committedWarm, commitSeconds[3]), "safetensors " + Fmt.mbps(committedWarm, commitSeconds[0]));
        rep.headline("HDF5 / npz / .keras checkout MB/s (decoders compiled)",
                Fmt.mbps(total, checkoutSeconds[1][1]) + " / " + Fmt.mbps(total, checkoutSeconds[1][2]) + " / "
                        + Fmt.mbps(total, checkoutSeconds[1][3]), "safetensors " + Fmt.mbps(total, checkoutSeconds[1][0]));
        rep.figure("steps", steps);
        rep.figure("file_bytes", fileBytes);
        for (int f = 0; f < n; f++) {
            rep.figure("stored_" + formats[f], stored[f]);
            rep.figure("commit_seconds_" + formats[f], commitSeconds[f]);
            rep.figure("first_commits_seconds_" + formats[f], firstSeconds[f]);
            rep.figure("checkout_seconds_" + formats[f], checkoutSeconds[0][f]);
            rep.figure("checkout_again_seconds_" + formats[f], checkoutSeconds[1][f]);
        }
        merge(ctx, rep, net);
        return rep;
    }

    /**
     * The format that goes k-th in round r: a Williams square (rows 0 1 3 2, 1 2 0 3, ...; n even),
     * so over n rounds each format runs in every place once and after each other format once (the
     * rotation used before kept each after the same one).
     */
    static int balancedOrder(int r, int k, int n) {
        int first = k == 0 ? 0 : k % 2 == 1 ? (k + 1) / 2 : n - k / 2;
        return (first + r) % n;
    }

    /**
     * Two branches from the run's last step: exp trains 3 more steps on other data, main 3 after
     * those on yet other data (every tensor changed on both sides), merged with --strategy average.
     */
    private void merge(Context ctx, ScenarioReport rep, Mlp net) throws Exception {
        Path root = ctx.dir("formats-merge");
        Path file = root.resolve("model.safetensors");
        try (Repository repo = Repository.init(root)) {
            write(file, "safetensors", ThroughputScenario.tensors(net));
            repo.commit(CommitRequest.of("base"), List.of(file));
            repo.createBranch("exp", "HEAD");
            repo.switchBranch("exp", false, false);
            train(net, 7);
            Map<String, float[]> theirs = new java.util.LinkedHashMap<>();
            net.parameters().forEach((k, v) -> theirs.put(k, v.clone()));
            write(file, "safetensors", ThroughputScenario.tensors(net));
            repo.commit(CommitRequest.of("exp"), List.of(file));
            repo.switchBranch("main", false, false);
            train(net, 8);
            write(file, "safetensors", ThroughputScenario.tensors(net));
            repo.commit(CommitRequest.of("main"), List.of(file));
            long bytes = Files.size(file);
            long t0 = System.nanoTime();
            repo.merge("exp", MergeStrategy.parse("average"), null, false, CommitRequest.of("merge"));
            double mergeSeconds = (System.nanoTime() - t0) / 1e9;
            long mismatched = 0;
            long elements = 0;
            for (Map.Entry<String, float[]> e : net.parameters().entrySet()) {
                ByteBuffer got;
                try (java.io.InputStream in = repo.tensor("HEAD", "model.safetensors", e.getKey()).openStream()) {
                    got = ByteBuffer.wrap(in.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
                }
                float[] o = e.getValue();
                float[] t = theirs.get(e.getKey());
                for (int i = 0; i < o.length; i++) {
                    float want = Float.floatToRawIntBits(o[i]) == Float.floatToRawIntBits(t[i]) ? o[i] : (float) (((double) o[i] + t[i]) * 0.5);
                    if (Float.floatToRawIntBits(want) != Float.floatToRawIntBits(got.getFloat(4 * i))) {
                        mismatched++;
                    }
                    elements++;
                }
            }
            Path copy = root.resolve("copy.bin");
            long b0 = System.nanoTime();
            byte[] x = Files.readAllBytes(file);
            byte[] y = Files.readAllBytes(file);
            Files.write(copy, x.length == y.length ? x : y);
            double baseline = (System.nanoTime() - b0) / 1e9;
            Files.delete(copy);
            Context.log("formats: merge --strategy average of %s in %.2f s, %d of %d elements differ from the mean computed here",
                    Fmt.mb(bytes), mergeSeconds, mismatched, elements);
            Table t = rep.table(new Table("merge --strategy average of two branches of the run (3 Adam steps each on other data)",
                    "figure", "Coral", "baseline (same run)"));
            t.row("merge MB/s (model bytes)", Fmt.mbps(bytes, mergeSeconds), "reading the file twice and writing it once "
                    + Fmt.mbps(bytes, baseline));
            t.row("elements that differ from the mean computed here", Fmt.i(mismatched) + " of " + Fmt.i(elements), "0 expected");
            rep.headline("merge --strategy average MB/s", Fmt.mbps(bytes, mergeSeconds), "read twice + write once " + Fmt.mbps(bytes, baseline));
            rep.figure("merge_seconds", mergeSeconds);
            rep.figure("merge_mismatched_elements", mismatched);
            if (mismatched != 0) {
                rep.failed(mismatched + " merged elements are not the mean of the two branches'");
            }
        }
    }

    private static void train(Mlp net, long seed) {
        SplittableRandom data = new SplittableRandom(seed);
        for (int s = 0; s < 3; s++) {
            net.adamStep(data, 2, 1e-3f);
        }
    }

    /** Writes {@code tensors} as {@code format}; npz as {@code np.savez} does (stored members), not as Coral's export (deflated). */
    private static void write(Path file, String format, List<TensorSource> tensors) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            if (format.equals("npz")) {
                writeStoredNpz(tensors, out);
            } else if (format.equals("keras")) {
                ByteArrayOutputStream h5 = new ByteArrayOutputStream();
                WeightFormats.byName("hdf5").orElseThrow().write(tensors, Map.of(), h5);
                writeStoredZip(List.of("metadata.json", "config.json", "model.weights.h5"),
                        List.of("{\"keras_version\": \"3.6.0\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                                "{\"class_name\": \"Sequential\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8), h5.toByteArray()), out);
            } else {
                WeightFormats.byName(format).orElseThrow().write(tensors, Map.of(), out);
            }
        }
    }

    private static void writeStoredNpz(List<TensorSource> tensors, OutputStream out) throws IOException {
        List<String> names = new ArrayList<>();
        List<byte[]> members = new ArrayList<>();
        for (TensorSource t : tensors) {
            ByteArrayOutputStream npy = new ByteArrayOutputStream();
            WeightFormats.byName("npy").orElseThrow().write(List.of(t), Map.of(), npy);
            names.add(t.name() + ".npy");
            members.add(npy.toByteArray());
        }
        writeStoredZip(names, members, out);
    }

    /** A zip of {@code members} under {@code names}, every one stored (as np.savez and Keras write them). */
    private static void writeStoredZip(List<String> names, List<byte[]> members, OutputStream out) throws IOException {
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            for (int i = 0; i < names.size(); i++) {
                byte[] m = members.get(i);
                CRC32 crc = new CRC32();
                crc.update(m);
                ZipEntry e = new ZipEntry(names.get(i));
                e.setMethod(ZipEntry.STORED);
                e.setSize(m.length);
                e.setCompressedSize(m.length);
                e.setCrc(crc.getValue());
                e.setTime(ZIP_TIME);
                zip.putNextEntry(e);
                zip.write(m);
                zip.closeEntry();
            }
        }
    }
}
