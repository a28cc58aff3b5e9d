package dev.coral.perf.stress;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Real BF16 training steps for benchmarks outside this package: the throughput scenario's MLP at
 * the small scale (4.75 M parameters), trained by Adam (lr 1e-3) with the scenario's seeds, each
 * parameter's top two bytes. What a BF16 history's zigzag deltas code, where synthetic walks
 * ({@code dev.coral.perf.jmh.Data}) give planes of another entropy: plane 1 of a step's zigzag
 * delta codes to about 4.5 bits an element here, the synthetic fp32 XOR plane to 2.0.
 */
public final class AdamBf16Steps {
    private AdamBf16Steps() {
    }

    /**
     * The first {@code elements} BF16 elements (little-endian, 2 bytes each) of Adam steps
     * {@code first} and {@code first + 1}, as {@code [2][2 * elements]}.
     */
    public static byte[][] consecutive(int first, int elements) throws IOException {
        Mlp net = new Mlp(ThroughputScenario.dims(Scale.of("small")), 11);
        SplittableRandom data = new SplittableRandom(99);
        byte[][] out = new byte[2][];
        for (int step = 0; step <= first + 1; step++) {
            net.adamStep(data, 2, 1e-3f);
            if (step >= first) {
                byte[] file = ThroughputScenario.bf16Safetensors(net);
                int start = 8 + (int) ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
                if (file.length - start < 2L * elements) {
                    throw new IllegalArgumentException(elements + " elements: the model has " + (file.length - start) / 2);
                }
                out[step - first] = Arrays.copyOfRange(file, start, start + 2 * elements);
            }
        }
        return out;
    }
}
