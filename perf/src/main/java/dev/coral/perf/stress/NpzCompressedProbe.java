package dev.coral.perf.stress;

import dev.coral.api.CommitRequest;
import dev.coral.api.Repository;
import dev.coral.format.TensorSource;
import dev.coral.format.WeightFormats;
import dev.coral.repo.FileIngest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * What an npz of deflated members ({@code np.savez_compressed}) costs to commit and check out now
 * that Coral gives it back byte for byte (each member's deflate stream rebuilt by deflating its
 * data again at the level {@code add} found). The throughput scenario's MLP trained by Adam, each
 * step written as np.savez_compressed writes it (npy members deflated by zlib at its default level:
 * the same bytes, as the format tests check against numpy's) and committed through one handle;
 * then every step checked out, oldest first, each from the file the one before left, and compared
 * with the file written. Baselines in the same run: writing that zip (the deflate numpy pays to
 * save it), Files.copy of it, and the same steps as safetensors into a second repository.
 *
 * <p>Run: {@code java -cp core/target/classes:perf/target/classes:DEPS dev.coral.perf.stress.NpzCompressedProbe
 * DIR [STEPS [small|default]]} (defaults 6 steps of the default 84 MB model).
 */
public final class NpzCompressedProbe {
    private NpzCompressedProbe() {
    }

    public static void main(String[] args) throws Exception {
        ProbeArgs a = ProbeArgs.of(args, "NpzCompressedProbe DIR [STEPS [small|default]]");
        int steps = a.intAt(1, 6);
        Scale scale = Scale.of(a.saysAt(2, "small") ? "small" : "default");
        Mlp net = new Mlp(ThroughputScenario.dims(scale), 11);
        SplittableRandom data = new SplittableRandom(99);
        Path dir = Files.createDirectories(a.dir());
        Path npz = dir.resolve("npz").resolve("model.npz");
        Path st = dir.resolve("st").resolve("model.safetensors");
        Files.createDirectories(npz.getParent());
        Files.createDirectories(st.getParent());
        Path keep = Files.createDirectories(dir.resolve("written"));
        double write = 0;
        double copy = 0;
        double commitNpz = 0;
        double commitSt = 0;
        long npzBytes = 0;
        long rawBytes = 0;
        List<byte[]> sha = new ArrayList<>();
        try (Repository rn = Repository.init(npz.getParent()); Repository rs = Repository.init(st.getParent())) {
            for (int s = 0; s < steps; s++) {
                net.adamStep(data, 2, 1e-3f);
                List<TensorSource> tensors = ThroughputScenario.tensors(net);
                long t0 = System.nanoTime();
                writeCompressed(npz, tensors);
                double w = (System.nanoTime() - t0) / 1e9;
                Files.write(st, ThroughputScenario.safetensors(net));
                long t1 = System.nanoTime();
                Files.copy(npz, keep.resolve("step-" + s + ".npz"), StandardCopyOption.REPLACE_EXISTING);
                double c = (System.nanoTime() - t1) / 1e9;
                long t2 = System.nanoTime();
                rn.commit(CommitRequest.of("step " + s), List.of(npz));
                double cn = (System.nanoTime() - t2) / 1e9;
                long t3 = System.nanoTime();
                rs.commit(CommitRequest.of("step " + s), List.of(st));
                double cs = (System.nanoTime() - t3) / 1e9;
                System.out.printf(Locale.ROOT, "step %d: zip written %.2f s, copied %.3f s; commit npz %.2f s, safetensors %.2f s%n", s, w, c, cn, cs);
                if (s > 0) { // the first commit compiles the code
                    write += w;
                    copy += c;
                    commitNpz += cn;
                    commitSt += cs;
                }
                sha.add(FileIngest.FileStat.sha256(npz));
                npzBytes = Files.size(npz);
                rawBytes = Files.size(st);
            }
            double checkout = 0;
            int same = 0;
            for (int back = steps - 1; back >= 0; back--) {
                long t0 = System.nanoTime();
                rn.checkout("main~" + back, true);
                checkout += (System.nanoTime() - t0) / 1e9;
                same += Arrays.equals(sha.get(steps - 1 - back), FileIngest.FileStat.sha256(npz)) ? 1 : 0;
            }
            long n = steps - 1L;
            System.out.printf(Locale.ROOT, "# %d steps, each %s as np.savez_compressed writes it (%s of fp32 tensors), steps 1-%d timed%n",
                    steps, Fmt.mb(npzBytes), Fmt.mb(rawBytes), steps - 1);
            System.out.printf(Locale.ROOT, "commit npz: %.2f s a step (%s of the zip), writing the zip %.2f s (%s), Files.copy %.3f s%n",
                    commitNpz / n, Fmt.mbps(npzBytes * n, commitNpz), write / n, Fmt.mbps(npzBytes * n, write), copy / n);
            System.out.printf(Locale.ROOT, "commit safetensors of the same tensors: %.2f s a step (%s)%n", commitSt / n,
                    Fmt.mbps(rawBytes * n, commitSt));
            System.out.printf(Locale.ROOT, "checkout npz, oldest first: %.2f s a step (%s of the zip); byte for byte: %d of %d%n",
                    checkout / steps, Fmt.mbps(npzBytes * steps, checkout), same, steps);
            System.out.printf(Locale.ROOT, "stored: npz %s, safetensors %s, for %s of zips%n", Fmt.mb(rn.stats(false, false).storedBytes()),
                    Fmt.mb(rs.stats(false, false).storedBytes()), Fmt.mb(npzBytes * steps));
        }
    }

    /** The tensors as np.savez_compressed writes them: an npy member each, deflated by zlib at its default level. */
    private static void writeCompressed(Path file, List<TensorSource> tensors) throws IOException {
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            for (TensorSource t : tensors) {
                ZipEntry e = new ZipEntry(t.name() + ".npy");
                zip.putNextEntry(e);
                WeightFormats.byName("npy").orElseThrow().write(List.of(t), Map.of(), zip); // it leaves the stream open
                zip.closeEntry();
            }
        }
    }
}
