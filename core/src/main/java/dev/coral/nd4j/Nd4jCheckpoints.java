package dev.coral.nd4j;

import dev.coral.api.CommitRequest;
import dev.coral.api.Repository;
import dev.coral.error.BadInputException;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Commits a model's weights held as ND4J arrays, {@code Map<String, INDArray>}, as one
 * safetensors file, and loads them back from any commit bit for bit (same dtype, shape and
 * bytes). See {@link Nd4jTensors} for the conversion and for what must not change while a
 * commit reads the arrays.
 *
 * <pre>{@code
 * Map<String, INDArray> weights = new LinkedHashMap<>(); // iteration order = order in the file
 * weights.put("layer0.W", w0);
 * ObjectId c = Nd4jCheckpoints.commit(repo, "model.safetensors", weights, CommitRequest.of("epoch 1"));
 * Map<String, INDArray> back = Nd4jCheckpoints.load(repo, "HEAD", "model.safetensors");
 * }</pre>
 */
public final class Nd4jCheckpoints {
    private Nd4jCheckpoints() {
    }

    /**
     * Commits {@code weights} as the safetensors file {@code path} ({@link Repository#commitTensors}):
     * that file only; other staged changes stay staged. Bad input commits nothing.
     */
    public static ObjectId commit(Repository repo, String path, Map<String, ? extends INDArray> weights, CommitRequest request)
            throws IOException {
        return commit(repo, path, weights, Map.of(), request);
    }

    /** As {@link #commit(Repository, String, Map, CommitRequest)}, with the file's string metadata. */
    public static ObjectId commit(Repository repo, String path, Map<String, ? extends INDArray> weights, Map<String, String> metadata,
                                  CommitRequest request) throws IOException {
        return requireRepo(repo).commitTensors(path, Nd4jTensors.toTensors(weights), metadata, request);
    }

    /**
     * As {@link #commit(Repository, String, Map, CommitRequest)} on the repository's commit thread
     * ({@link Repository#commitTensorsAsync}): returns once the arrays' bytes are copied, after
     * which training may change them.
     */
    public static CompletableFuture<ObjectId> commitAsync(Repository repo, String path, Map<String, ? extends INDArray> weights,
                                                          CommitRequest request) throws IOException {
        return commitAsync(repo, path, weights, Map.of(), request);
    }

    /** As {@link #commitAsync(Repository, String, Map, CommitRequest)}, with the file's string metadata. */
    public static CompletableFuture<ObjectId> commitAsync(Repository repo, String path, Map<String, ? extends INDArray> weights,
                                                          Map<String, String> metadata, CommitRequest request) throws IOException {
        return requireRepo(repo).commitTensorsAsync(path, Nd4jTensors.toTensors(weights), metadata, request);
    }

    /**
     * The tensors of {@code path} in {@code revision} (a commit id, branch, tag, {@code HEAD~1}
     * ...) as new ND4J arrays, in the file's order.
     */
    public static LinkedHashMap<String, INDArray> load(Repository repo, String revision, String path) throws IOException {
        return Nd4jTensors.toArrays(requireRepo(repo).tensors(revision, path));
    }

    private static Repository requireRepo(Repository repo) throws BadInputException {
        if (repo == null) {
            throw new BadInputException("repo: the repository is null");
        }
        return repo;
    }
}
