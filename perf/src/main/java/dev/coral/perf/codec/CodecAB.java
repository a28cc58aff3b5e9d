package dev.coral.perf.codec;

import dev.coral.perf.TwoBuilds;
import dev.coral.perf.jmh.Data;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Two builds of the codec in one JVM, call for call: each build's {@code dev.coral.codec} classes
 * in a class loader of its own (the libraries, zstd-jni's native code among them, shared in a
 * parent), and every measured call of one followed by the same call of the other, in alternating
 * order. On this VM the speed of separate runs varies by up to half from minute to minute, which
 * hid changes of 5-10% between JMH runs of two builds; paired calls see the same minute.
 *
 * <p>Measures, on the JMH chunk (4 MiB, fp32 N(0, 0.05) weights and the next training step, and
 * their top halves as BF16): PLANES encode, {@code encodeBest} against the previous step (SAMPLED:
 * an XOR delta for fp32, a zigzag one for BF16), PLANES decode, PLANES decode into planes (a chain
 * read's first step: the keyframe's planes, which each link is added to), and that delta decoded
 * into the previous step's planes (each further link of a chain read; a copy of the base planes,
 * 4 MiB, included). Prints each build's MB/s (median of the second half of the rounds), B's speed
 * over A's (median of the paired ratios), each build's payload bytes and its delta's codec; then
 * {@code encodeBest} of a step for chunks of 4 KiB to 1 MiB, where the choice costs the most.
 *
 * <pre>
 * java -cp perf/target/classes:$(cat deps.txt) dev.coral.perf.codec.CodecAB --a OLD/core/target/classes --b core/target/classes [--rounds 200]
 * </pre>
 * {@code --a} and {@code --b} take a core module's classes folder or jar; the classpath it runs on
 * must hold the libraries (its own coral-core entries are left out of the shared parent).
 */
public final class CodecAB {
    static final int CHUNK = 4 << 20;
    private static final String[] OPS = {"PLANES encode", "encodeBest (delta)", "PLANES decode", "PLANES to planes",
        "delta link into planes"};

    private CodecAB() {
    }

    /** One build's entry points, found by reflection in its own class loader. */
    private static final class Build {
        final Method encode;
        final Method encodeBest;
        final Method decode;
        final Method decodeInPlaneSpace;
        final Object planes;
        final Object sampled;
        final Object workspace;

        Build(ClassLoader loader) throws ReflectiveOperationException {
            Class<?> encoder = Class.forName("dev.coral.codec.ChunkEncoder", true, loader);
            Class<?> codec = Class.forName("dev.coral.codec.ChunkCodec", true, loader);
            Class<?> ws = Class.forName("dev.coral.codec.CodecWorkspace", true, loader);
            Class<?> choice = Class.forName("dev.coral.codec.ChunkEncoder$Choice", true, loader);
            Class<?> decoder = Class.forName("dev.coral.codec.ChunkDecoder", true, loader);
            encode = encoder.getMethod("encodeInWorkspace", codec, byte[].class, int.class, int.class, int.class, byte[].class, int.class,
                    int.class, ws);
            encodeBest = encoder.getMethod("encodeBestInWorkspace", byte[].class, int.class, int.class, int.class, byte[].class, int.class,
                    int.class, choice, ws);
            decode = decoder.getMethod("decode", byte[].class, int.class, int.class, byte[].class, int.class, byte[].class, int.class, int.class,
                    int.class, ws);
            decodeInPlaneSpace = decoder.getMethod("decodeInPlaneSpace", byte[].class, int.class, int.class, int.class, int.class, byte[].class,
                    ws);
            planes = codec.getField("PLANES").get(null);
            sampled = choice.getField("SAMPLED").get(null);
            workspace = ws.getConstructor().newInstance();
        }

        /** The payload of the last encoding, copied out of the workspace. */
        static byte[] payload(Object encoded) throws ReflectiveOperationException {
            byte[] data = (byte[]) encoded.getClass().getMethod("data").invoke(encoded);
            int length = (int) encoded.getClass().getMethod("length").invoke(encoded);
            return Arrays.copyOf(data, length);
        }

        /** The previous step's planes (a chain read's state before the link) and the delta against it. */
        byte[] basePlanes;
        byte[] linkPayload;

        /** encodeBest of {@code raw[0, len)} against {@code previous}: the chooser, SAMPLED. */
        Object encodeBest(byte[] raw, byte[] previous, int len, int w) throws ReflectiveOperationException {
            return encodeBest.invoke(null, raw, 0, len, w, previous, 0, 1, sampled, workspace);
        }

        Object run(int op, byte[] raw, byte[] previous, byte[] payload, byte[] dst, int w) throws ReflectiveOperationException {
            return switch (op) {
                case 0 -> encode.invoke(null, planes, raw, 0, CHUNK, w, null, 0, 1, workspace);
                case 1 -> encodeBest.invoke(null, raw, 0, CHUNK, w, previous, 0, 1, sampled, workspace);
                case 2 -> decode.invoke(null, payload, 0, payload.length, null, 0, dst, 0, CHUNK, w, workspace);
                case 3 -> decodeInPlaneSpace.invoke(null, payload, 0, payload.length, CHUNK, w, dst, workspace);
                default -> {
                    System.arraycopy(basePlanes, 0, dst, 0, CHUNK);
                    yield decodeInPlaneSpace.invoke(null, linkPayload, 0, linkPayload.length, CHUNK, w, dst, workspace);
                }
            };
        }

        /**
         * Readies {@link #basePlanes} and {@link #linkPayload} (the delta encodeBest picks: an XOR
         * delta, or for BF16 a zigzag one, both added in plane space); checks that the link decodes
         * to the planes of {@code raw}. Returns the link's codec name.
         */
        String prepareLink(byte[] raw, byte[] previous, int w) throws ReflectiveOperationException {
            byte[] prevPayload = payload(run(0, previous, null, null, null, w));
            basePlanes = new byte[CHUNK];
            run(3, previous, null, prevPayload, basePlanes, w);
            linkPayload = payload(run(1, raw, previous, null, null, w));
            int codec = linkPayload[0] & 0xFF;
            if (codec != 3 && codec != 5) {
                throw new IllegalStateException("encodeBest chose codec " + codec + ", not XOR_PLANES (3) or ZIGZAG_PLANES (5)");
            }
            byte[] want = new byte[CHUNK];
            run(3, raw, null, payload(run(0, raw, null, null, null, w)), want, w);
            byte[] got = new byte[CHUNK];
            run(4, raw, previous, null, got, w);
            if (!Arrays.equals(want, got)) {
                throw new IllegalStateException("the delta link does not decode to the planes of the step");
            }
            return codec == 3 ? "XOR" : "zigzag";
        }
    }

    public static void main(String[] args) throws Exception {
        String a = null;
        String b = null;
        int rounds = 200;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--a" -> a = args[++i];
                case "--b" -> b = args[++i];
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + "; usage: --a CORE --b CORE [--rounds N]");
            }
        }
        if (a == null || b == null || rounds < 4) {
            throw new IllegalArgumentException("usage: --a CORE_CLASSES_OR_JAR --b CORE_CLASSES_OR_JAR [--rounds N >= 4]");
        }
        ClassLoader[] loaders = TwoBuilds.loaders(a, b);
        Build[] builds = {new Build(loaders[0]), new Build(loaders[1])};
        System.out.printf(Locale.ROOT, "A = %s%nB = %s%n%d rounds of paired calls, figures from the second half%n", a, b, rounds);
        for (String dtype : new String[] {"F32", "BF16"}) {
            int w = dtype.equals("F32") ? 4 : 2;
            float[][] steps = Data.steps(CHUNK / w, 42);
            byte[] previous = w == 4 ? Data.fp32(steps[0]) : Data.bf16(steps[0]);
            byte[] raw = w == 4 ? Data.fp32(steps[1]) : Data.bf16(steps[1]);
            compare(dtype, w, raw, previous, builds, rounds);
        }
        for (String dtype : new String[] {"F32", "BF16"}) {
            compareChoice(dtype, dtype.equals("F32") ? 4 : 2, builds, rounds);
        }
    }

    /** Chunk sizes of the choice's comparison: most tensors of a model are far below a 4 MiB chunk. */
    private static final int[] CHOICE_SIZES = {4 << 10, 64 << 10, 256 << 10, 1 << 20};

    /**
     * {@code encodeBest} of a training step against the step before, for chunks of
     * {@link #CHOICE_SIZES}: below the 64 KiB sample the whole chunk is sampled, and the choice
     * costs several encodings. Each paired call encodes 4 MiB of such chunks.
     */
    private static void compareChoice(String dtype, int w, Build[] builds, int rounds) throws Exception {
        for (int size : CHOICE_SIZES) {
            float[][] steps = Data.steps(size / w, 42);
            byte[] previous = w == 4 ? Data.fp32(steps[0]) : Data.bf16(steps[0]);
            byte[] raw = w == 4 ? Data.fp32(steps[1]) : Data.bf16(steps[1]);
            int calls = Math.max(2, CHUNK / size);
            long[][] nanos = new long[2][rounds];
            int[] bytes = new int[2];
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < 2; k++) {
                    int v = r % 2 == 0 ? k : 1 - k;
                    long t0 = System.nanoTime();
                    Object e = null;
                    for (int c = 0; c < calls; c++) {
                        e = builds[v].encodeBest(raw, previous, size, w);
                    }
                    nanos[v][r] = (System.nanoTime() - t0) / calls;
                    bytes[v] = Build.payload(e).length;
                }
            }
            int from = rounds / 2;
            double[] ratios = new double[rounds - from];
            for (int r = from; r < rounds; r++) {
                ratios[r - from] = (double) nanos[0][r] / nanos[1][r];
            }
            System.out.printf(Locale.ROOT, "%s encodeBest of %4d KiB chunks: A %,8.1f us  B %,8.1f us  B/A speed %.3f  payload A %,d, B %,d%n",
                    dtype, size >> 10, microsMedian(nanos[0], from), microsMedian(nanos[1], from), median(ratios), bytes[0], bytes[1]);
        }
    }

    private static double microsMedian(long[] nanos, int from) {
        long[] t = Arrays.copyOfRange(nanos, from, nanos.length);
        Arrays.sort(t);
        return t[t.length / 2] / 1e3;
    }

    private static void compare(String dtype, int w, byte[] raw, byte[] previous, Build[] builds, int rounds) throws Exception {
        byte[] dst = new byte[CHUNK];
        byte[][] payloads = new byte[2][];
        int[] bestBytes = new int[2];
        String[] links = new String[2];
        for (int v = 0; v < 2; v++) {
            payloads[v] = Build.payload(builds[v].run(0, raw, previous, null, dst, w));
            bestBytes[v] = Build.payload(builds[v].run(1, raw, previous, null, dst, w)).length;
            builds[v].run(2, raw, previous, payloads[v], dst, w);
            if (!Arrays.equals(dst, raw)) {
                throw new IllegalStateException((v == 0 ? "A" : "B") + " does not decode its own " + dtype + " payload back");
            }
            links[v] = builds[v].prepareLink(raw, previous, w);
        }
        long[][][] nanos = new long[2][OPS.length][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int op = 0; op < OPS.length; op++) {
                for (int k = 0; k < 2; k++) {
                    int v = (r + op) % 2 == 0 ? k : 1 - k; // who goes first alternates
                    long t0 = System.nanoTime();
                    builds[v].run(op, raw, previous, payloads[v], dst, w);
                    nanos[v][op][r] = System.nanoTime() - t0;
                }
            }
        }
        System.out.printf(Locale.ROOT, "%s PLANES payload A %,d bytes (ratio %.4f), B %,d (%.4f); encodeBest A %,d (%s), B %,d (%s)%n",
                dtype, payloads[0].length, (double) CHUNK / payloads[0].length, payloads[1].length, (double) CHUNK / payloads[1].length,
                bestBytes[0], links[0], bestBytes[1], links[1]);
        int from = rounds / 2;
        for (int op = 0; op < OPS.length; op++) {
            double[] ratios = new double[rounds - from];
            for (int r = from; r < rounds; r++) {
                ratios[r - from] = (double) nanos[0][op][r] / nanos[1][op][r];
            }
            System.out.printf(Locale.ROOT, "  %-22s A %,6.0f MB/s  B %,6.0f MB/s  B/A speed %.3f%n", OPS[op],
                    mbPerSecond(nanos[0][op], from), mbPerSecond(nanos[1][op], from), median(ratios));
        }
    }

    private static double mbPerSecond(long[] nanos, int from) {
        long[] t = Arrays.copyOfRange(nanos, from, nanos.length);
        Arrays.sort(t);
        return CHUNK / (t[t.length / 2] / 1e3);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
