package dev.coral.perf.stress;

import dev.coral.api.CommitRequest;
import dev.coral.api.MergeStrategy;
import dev.coral.api.Repository;
import dev.coral.api.RepositoryStats;
import dev.coral.format.TensorSource;
import dev.coral.format.WeightFormats;
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

/**
 * Scenario: the same Adam history of the throughput scenario's MLP committed as safetensors and
 * as HDF5 (two repositories, one handle each): commit and checkout MB/s and stored bytes side by
 * side, each against writing / copying the same bytes in the same run; then a merge of two
 * branches of that run with {@code --strategy average}, its MB/s against reading both versions
 * and writing one file, and every merged value checked against the mean computed here.
 */
public final class FormatsScenario implements Scenario {
    @Override
    public String id() {
        return "formats";
    }

    @Override
    public ScenarioReport run(Context ctx) throws Exception {
        ScenarioReport rep = new ScenarioReport(id(), "Formats: safetensors against HDF5, and merge");
        int steps = ctx.scale().name().equals("small") ? 8 : 12;
        Mlp net = new Mlp(ThroughputScenario.dims(ctx.scale()), 11);
        SplittableRandom data = new SplittableRandom(99);
        List<List<TensorSource>> history = new ArrayList<>();
        for (int s = 0; s < steps; s++) {
            net.adamStep(data, 2, 1e-3f);
            history.add(ThroughputScenario.tensors(net));
        }
        Table t = rep.table(new Table(steps + " Adam steps of the MLP, each committed as one file through one handle",
                "figure", "safetensors", "HDF5 (.h5)", "baseline (same run)"));
        rep.note("The two formats commit and check out in turn, step by step, in one JVM, which goes first alternating; merge runs after them.");
        String[] formats = {"safetensors", "hdf5"};
        String[] names = {"model.safetensors", "model.h5"};
        double[] commitSeconds = new double[2];
        double[] checkoutSeconds = new double[2];
        long[] stored = new long[2];
        long[] objects = new long[2];
        long fileBytes = 0;
        double writeSeconds = 0;
        double copySeconds = 0;
        // the two formats in turn, step by step, so that neither runs with a colder JIT than the other
        Path[] roots = {ctx.dir("formats-" + formats[0]), ctx.dir("formats-" + formats[1])};
        Path[] files = {roots[0].resolve(names[0]), roots[1].resolve(names[1])};
        try (Repository s0 = Repository.init(roots[0]); Repository s1 = Repository.init(roots[1])) {
            Repository[] repos = {s0, s1};
            for (int s = 0; s < steps; s++) {
                for (int k = 0; k < 2; k++) {
                    int f = (s + k) % 2; // which goes first alternates
                    long w0 = System.nanoTime();
                    write(files[f], formats[f], history.get(s));
                    writeSeconds += f == 0 ? (System.nanoTime() - w0) / 1e9 : 0;
                    long t0 = System.nanoTime();
                    repos[f].commit(CommitRequest.of("step " + s), List.of(files[f]));
                    commitSeconds[f] += (System.nanoTime() - t0) / 1e9;
                }
                fileBytes = Files.size(files[0]);
            }
            for (int f = 0; f < 2; f++) {
                RepositoryStats st = repos[f].stats(false, false);
                stored[f] = st.storedBytes();
                objects[f] = st.objectStoredBytes();
            }
            for (int back = steps - 1; back >= 0; back--) { // oldest first, each from the file the one before left
                for (int k = 0; k < 2; k++) {
                    int f = (back + k) % 2;
                    long t0 = System.nanoTime();
                    repos[f].checkout("main~" + back, true);
                    checkoutSeconds[f] += (System.nanoTime() - t0) / 1e9;
                }
            }
            repos[0].checkout("main", true);
            repos[1].checkout("main", true);
        }
        Path copy = roots[0].resolve("copy.bin");
        long c0 = System.nanoTime();
        for (int s = 0; s < steps; s++) {
            Files.copy(files[0], copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        copySeconds = (System.nanoTime() - c0) / 1e9;
        Files.delete(copy);
        for (int f = 0; f < 2; f++) {
            Context.log("formats: %s, %d commits %.2f s, %d checkouts %.2f s, stored %s", formats[f], steps, commitSeconds[f], steps,
                    checkoutSeconds[f], Fmt.mb(stored[f]));
        }
        long total = fileBytes * steps;
        t.row("commit MB/s (file bytes)", Fmt.mbps(total, commitSeconds[0]), Fmt.mbps(total, commitSeconds[1]),
                "writing the safetensors files " + Fmt.mbps(total, writeSeconds));
        t.row("checkout MB/s, oldest first", Fmt.mbps(total, checkoutSeconds[0]), Fmt.mbps(total, checkoutSeconds[1]),
                "Files.copy of the file " + Fmt.mbps(total, copySeconds));
        t.row("stored", Fmt.mb(stored[0]), Fmt.mb(stored[1]), "raw " + Fmt.mb(total));
        t.row("of which not chunks (trees, file entries: HDF5's skeleton)", Fmt.i(objects[0]) + " B", Fmt.i(objects[1]) + " B", "");
        rep.headline("HDF5 against safetensors, same history: stored", Fmt.mb(stored[1]), "safetensors " + Fmt.mb(stored[0]));
        rep.headline("HDF5 commit / checkout MB/s", Fmt.mbps(total, commitSeconds[1]) + " / " + Fmt.mbps(total, checkoutSeconds[1]),
                "safetensors " + Fmt.mbps(total, commitSeconds[0]) + " / " + Fmt.mbps(total, checkoutSeconds[0]));
        rep.figure("steps", steps);
        rep.figure("file_bytes", fileBytes);
        rep.figure("stored_safetensors", stored[0]);
        rep.figure("stored_hdf5", stored[1]);
        rep.figure("commit_seconds_safetensors", commitSeconds[0]);
        rep.figure("commit_seconds_hdf5", commitSeconds[1]);
        rep.figure("checkout_seconds_safetensors", checkoutSeconds[0]);
        rep.figure("checkout_seconds_hdf5", checkoutSeconds[1]);
        merge(ctx, rep, net);
        return rep;
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

    private static void write(Path file, String format, List<TensorSource> tensors) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            WeightFormats.byName(format).orElseThrow().write(tensors, Map.of(), out);
        }
    }
}
