package dev.coral.perf.stress;

import dev.coral.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The positional arguments of a command-line probe ({@code PROBE DIR [N [N ...]]}): the folder it
 * creates, which must not exist, then optional numbers and a dtype, each with its default. A
 * missing folder or one that exists ends the JVM with the usage line and exit status 2.
 */
final class ProbeArgs {
    private final String[] args;

    private ProbeArgs(String[] args) {
        this.args = args;
    }

    /** The arguments of a probe whose usage line is {@code usage}; args[0] must name a folder that does not exist. */
    static ProbeArgs of(String[] args, String usage) {
        if (args.length < 1) {
            System.err.println("usage: " + usage);
            System.exit(2);
        }
        if (Files.exists(Path.of(args[0]))) {
            System.err.println(args[0] + ": exists; give a folder that does not");
            System.exit(2);
        }
        return new ProbeArgs(args);
    }

    Path dir() {
        return Path.of(args[0]);
    }

    /** The number at position {@code i}, or {@code otherwise} when not given. */
    int intAt(int i, int otherwise) {
        return args.length > i ? Integer.parseInt(args[i]) : otherwise;
    }

    /** Whether position {@code i} says {@code word}. */
    boolean saysAt(int i, String word) {
        return args.length > i && args[i].equals(word);
    }

    /** BF16 when position {@code i} says {@code bf16}, else fp32. */
    DType dtypeAt(int i) {
        return args.length > i && args[i].equals("bf16") ? DType.BF16 : DType.F32;
    }
}
