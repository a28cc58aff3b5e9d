package dev.coral.api;

import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A child JVM for {@link AsyncCommitTest}: submits {@code COUNT} asynchronous commits of one
 * tensor ({@link CrashCommitChild#content}) and returns from main without closing its handle,
 * as a training script that ends does.
 */
public final class AsyncExitChild {
    private AsyncExitChild() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int count = Integer.parseInt(args[1]);
        Repository repo = Repository.open(dir);
        for (int v = 1; v <= count; v++) {
            byte[] b = CrashCommitChild.content(v);
            repo.commitTensorsAsync("model.safetensors", List.of(Tensors.of("w", TensorSpec.of(DType.F32, b.length / 4), b)), Map.of(),
                    CommitRequest.of("v" + v));
        }
        System.out.println("SUBMITTED " + count);
    }
}
