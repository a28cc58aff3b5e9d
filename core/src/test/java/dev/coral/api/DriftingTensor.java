package dev.coral.api;

import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** One fp32 tensor "w" of m.safetensors nudged by a small training-like step per commit (tests' history builder). */
final class DriftingTensor {
    private DriftingTensor() {
    }

    /** {@code count} versions of an {@code n}-element fp32 tensor, little-endian, oldest first: each a small training-like step. */
    static List<byte[]> versions(int n, int count, long seed) {
        float[] w = new float[n];
        Random r = new Random(seed);
        for (int i = 0; i < n; i++) {
            w[i] = (float) (r.nextGaussian() * 0.05);
        }
        List<byte[]> out = new ArrayList<>();
        for (int v = 0; v < count; v++) {
            for (int i = 0; i < n; i++) {
                w[i] -= (float) (1e-3 * r.nextGaussian() * 0.05);
            }
            ByteBuffer b = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(w);
            out.add(b.array());
        }
        return out;
    }

    /** Commits {@code versions} versions of an {@code n}-element tensor (messages v0, v1, ...); returns their bytes, oldest first. */
    static List<byte[]> commit(Repository repo, int n, int versions, long seed) throws IOException {
        List<byte[]> out = versions(n, versions, seed);
        for (int v = 0; v < versions; v++) {
            commit(repo, n, out.get(v), v);
        }
        return out;
    }

    /** Commits one version {@code w} as tensor "w" of m.safetensors, message "v" + v. */
    static void commit(Repository repo, int n, byte[] w, int v) throws IOException {
        repo.commitTensors("m.safetensors", List.of(Tensors.of("w", TensorSpec.of(DType.F32, n), w)), Map.of(), CommitRequest.of("v" + v));
    }
}
