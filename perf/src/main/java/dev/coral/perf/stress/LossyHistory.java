package dev.coral.perf.stress;

import dev.coral.api.CommitRequest;
import dev.coral.api.Repository;
import dev.coral.api.Tensors;
import dev.coral.format.TensorSource;
import dev.coral.repo.StoredTensor;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The training scenario's fp32 checkpoints committed as opt-in lossy commits ({@code commitTensors}
 * with {@code --lossy=EPS}) into a repository of their own. After each commit every tensor is read
 * back and compared with the weights it was given: the largest error seen must stay within EPS,
 * and is reported. The first commit has no previous version to quantize against and is lossless.
 */
final class LossyHistory implements AutoCloseable {
    private static final String PATH = "model.safetensors";
    final String eps;
    private final double bound;
    private final Repository repo;
    private final Path dir;
    long rawBytes;
    double commitSeconds;
    double maxError;
    long storedBytes;
    long diskBytes;

    LossyHistory(String eps, Path dir) throws IOException {
        this.eps = eps;
        this.bound = Double.parseDouble(eps);
        this.dir = dir;
        this.repo = Repository.init(dir.resolve("repo"));
    }

    void commit(int step, Mlp net) throws IOException {
        List<TensorSource> list = new ArrayList<>();
        Map<String, float[]> weights = net.parameters();
        for (Map.Entry<String, float[]> e : weights.entrySet()) {
            byte[] b = Mlp.fp32(e.getValue());
            rawBytes += b.length;
            list.add(Tensors.of(e.getKey(), TensorSpec.of(DType.F32, net.shapeOf(e.getKey())), b));
        }
        long t0 = System.nanoTime();
        repo.commitTensors(PATH, list, Map.of(), CommitRequest.of("step " + step).withLossy(eps));
        commitSeconds += (System.nanoTime() - t0) / 1e9;
        for (StoredTensor t : repo.tensors("HEAD", PATH)) {
            float[] want = weights.get(t.name());
            byte[] got;
            try (InputStream in = t.openVerifiedStream()) {
                got = in.readAllBytes();
            }
            ByteBuffer bb = ByteBuffer.wrap(got).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < want.length; i++) {
                maxError = Math.max(maxError, Math.abs((double) bb.getFloat(4 * i) - want[i]));
            }
        }
        if (maxError > bound) {
            throw new IllegalStateException("lossy " + eps + ": step " + step + " reads back an element " + maxError + " from what was committed");
        }
    }

    void finish() throws IOException {
        storedBytes = repo.stats(false, false).storedBytes();
        diskBytes = Files2.sizeOf(dir.resolve("repo").resolve(".coral").resolve("packs"));
    }

    double ratio() {
        return (double) rawBytes / storedBytes;
    }

    double commitMBps() {
        return rawBytes / 1e6 / commitSeconds;
    }

    @Override
    public void close() throws IOException {
        repo.close();
    }
}
