package dev.coral.perf.stress;

import dev.coral.api.CommitRequest;
import dev.coral.api.Repository;
import dev.coral.api.Tensors;
import dev.coral.error.BadInputException;
import dev.coral.store.ObjectId;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * What the concurrency and crash scenarios commit: writer w's i-th version of its own file
 * {@code w<w>.safetensors}, one fp32 tensor whose content follows from (w, i), so any process can
 * tell what an acknowledged commit must hold.
 */
final class Writers {
    private Writers() {
    }

    static String path(int writer) {
        return "w" + writer + ".safetensors";
    }

    static byte[] content(int writer, int version, int floats) {
        return Mlp.fp32(Mlp.gaussian(new SplittableRandom(writer * 1_000_003L + version), floats, 0.05f));
    }

    /**
     * Stages and commits version {@code i} in one step ({@link Repository#commitTensors}); returns
     * the commit id, or null when the same content is already at HEAD.
     */
    static ObjectId commit(Repository repo, int writer, int version, int floats) throws IOException {
        byte[] b = content(writer, version, floats);
        try {
            return repo.commitTensors(path(writer), List.of(Tensors.of("w", TensorSpec.of(DType.F32, floats), b)), Map.of(),
                    CommitRequest.of("writer " + writer + " version " + version));
        } catch (BadInputException e) {
            if (e.getMessage().startsWith("nothing to commit")) {
                return null;
            }
            throw e;
        }
    }

    /** True when {@code commit} holds version {@code i} of writer {@code w}'s file, read through the verified stream. */
    static boolean holds(Repository repo, ObjectId commit, int writer, int version, int floats) throws IOException {
        try (InputStream in = repo.tensor(commit.hex(), path(writer), "w").openVerifiedStream()) {
            return java.util.Arrays.equals(in.readAllBytes(), content(writer, version, floats));
        }
    }
}
