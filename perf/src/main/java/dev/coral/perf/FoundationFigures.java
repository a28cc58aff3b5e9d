package dev.coral.perf;

import com.github.luben.zstd.Zstd;
import dev.coral.api.CommitRequest;
import dev.coral.api.Repository;
import dev.coral.api.Tensors;
import dev.coral.format.TensorSource;
import dev.coral.format.WeightFormats;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The foundation's figures, each beside a baseline measured in the same run: a ~50 MB fp32
 * safetensors model "trained" for 10 versions (small Gaussian updates, as SGD makes) committed
 * through the Java API; .coral size against raw bytes and zstd -3 of each checkpoint; commit
 * and checkout MB/s against Files.copy and SHA-256 of the same bytes.
 *
 * <p>Run: {@code mvn -B -q -DskipTests install && mvn -B -q -pl perf exec:java
 * -Dexec.mainClass=dev.coral.perf.FoundationFigures [-Dexec.args="MB VERSIONS ZSTD_LEVEL DELTA_DEPTH THREADS"]}
 */
public final class FoundationFigures {
    private FoundationFigures() {
    }

    public static void main(String[] args) throws Exception {
        int mb = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        int versions = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int level = args.length > 2 ? Integer.parseInt(args[2]) : dev.coral.repo.RepositoryConfig.DEFAULT_ZSTD_LEVEL;
        int depth = args.length > 3 ? Integer.parseInt(args[3]) : dev.coral.repo.RepositoryConfig.DEFAULT_MAX_CHAIN_DEPTH;
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : Runtime.getRuntime().availableProcessors();
        Path work = Files.createTempDirectory("coral-perf-");
        int tensors = 8;
        int perTensor = mb * (1 << 20) / 4 / tensors;
        float[][] w = new float[tensors][perTensor];
        Random r = new Random(42);
        for (float[] t : w) {
            for (int i = 0; i < t.length; i++) {
                t[i] = (float) (r.nextGaussian() * 0.05);
            }
        }
        Path model = work.resolve("model.safetensors");
        long raw = 0;
        long zstd3 = 0;
        double commitSeconds = 0;
        double copySeconds = 0;
        double hashSeconds = 0;
        try (Repository repo = Repository.init(work, dev.coral.repo.RepositoryConfig.defaults().withZstdLevel(level).withMaxChainDepth(depth))) {
            repo.setIngestThreads(threads);
            for (int v = 0; v < versions; v++) {
                if (v > 0) {
                    for (float[] t : w) {
                        for (int i = 0; i < t.length; i++) {
                            t[i] -= (float) (1e-3 * r.nextGaussian() * 0.05);
                        }
                    }
                }
                write(model, w);
                byte[] bytes = Files.readAllBytes(model);
                raw += bytes.length;
                zstd3 += Zstd.compress(bytes, 3).length;
                long t0 = System.nanoTime();
                Files.copy(model, work.resolve("copy.bin"), StandardCopyOption.REPLACE_EXISTING);
                copySeconds += (System.nanoTime() - t0) / 1e9;
                t0 = System.nanoTime();
                MessageDigest.getInstance("SHA-256").digest(bytes);
                hashSeconds += (System.nanoTime() - t0) / 1e9;
                t0 = System.nanoTime();
                repo.add(List.of(model));
                repo.commit(CommitRequest.of("version " + v));
                commitSeconds += (System.nanoTime() - t0) / 1e9;
            }
            Files.delete(work.resolve("copy.bin"));
            long coral = sizeOf(work.resolve(".coral"));
            long t0 = System.nanoTime();
            int checkouts = Math.min(versions, 5);
            for (int k = 1; k <= checkouts; k++) {
                repo.checkout("main~" + (k % versions), true);
            }
            double checkoutSeconds = (System.nanoTime() - t0) / 1e9;
            double rawMb = raw / 1e6;
            System.out.printf("model: %d x %.1f MB fp32 safetensors, %d versions, zstd level %d, delta depth %d, %d ingest threads%n", versions, rawMb / versions, versions, level, depth, threads);
            System.out.printf("stored: .coral %.1f MB for %.1f MB raw: ratio %.3f (zstd -3 per checkpoint: %.1f MB, ratio %.3f)%n",
                    coral / 1e6, rawMb, raw / (double) coral, zstd3 / 1e6, raw / (double) zstd3);
            System.out.printf("commit (add + commit): %.0f MB/s (Files.copy of the same bytes: %.0f MB/s; SHA-256: %.0f MB/s)%n",
                    rawMb / commitSeconds, rawMb / copySeconds, rawMb / hashSeconds);
            System.out.printf("checkout of another version: %.0f MB/s over %d checkouts%n",
                    checkouts * rawMb / versions / checkoutSeconds, checkouts);
        }
        deleteTree(work);
    }

    private static void write(Path file, float[][] w) throws IOException {
        List<TensorSource> list = new ArrayList<>();
        for (int k = 0; k < w.length; k++) {
            ByteBuffer b = ByteBuffer.allocate(w[k].length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(w[k]);
            list.add(Tensors.of("layer" + k + ".weight", TensorSpec.of(DType.F32, w[k].length), b));
        }
        try (OutputStream out = Files.newOutputStream(file)) {
            WeightFormats.byName("safetensors").orElseThrow().write(list, Map.of(), out);
        }
    }

    static long sizeOf(Path dir) throws IOException {
        try (var s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    static void deleteTree(Path dir) throws IOException {
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
