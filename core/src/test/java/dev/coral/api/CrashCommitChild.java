package dev.coral.api;

import dev.coral.store.ObjectId;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A child JVM for {@link KillNineTest} and {@link ProcessesCommitTest}: commits versions of one
 * tensor (as FILE, versions FIRST..LAST, default forever) and prints
 * {@code ACK <commit> <version> END} after each commit returns, until it is killed (END: the line is whole).
 */
public final class CrashCommitChild {
    private CrashCommitChild() {
    }

    /** Starts this child in a new JVM over repository {@code dir} with the given arguments. */
    static ProcessBuilder command(Path dir, String... args) {
        return childJvm(CrashCommitChild.class, dir, args);
    }

    /** A new JVM running {@code main} of a test class over repository {@code dir}, on the test class path. */
    static ProcessBuilder childJvm(Class<?> main, Path dir, String... args) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new java.util.ArrayList<>(List.of(java, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp", cp,
                main.getName(), dir.toString()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd);
    }

    static byte[] content(int version) {
        byte[] b = new byte[4 * 20_000];
        new Random(version).nextBytes(b);
        return b;
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int first = Integer.parseInt(args[1]);
        String file = args.length > 2 ? args[2] : "w.safetensors";
        int last = args.length > 3 ? Integer.parseInt(args[3]) : Integer.MAX_VALUE;
        try (Repository repo = Repository.open(dir)) {
            for (int v = first; v <= last; v++) {
                ObjectId id = repo.commitTensors(file,
                        List.of(Tensors.of("w", TensorSpec.of(DType.F32, 20_000), content(v))), Map.of(),
                        CommitRequest.of("v" + v));
                System.out.println("ACK " + id.hex() + " " + v + " END");
                System.out.flush();
            }
        }
    }
}
