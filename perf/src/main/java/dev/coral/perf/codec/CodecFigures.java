package dev.coral.perf.codec;

import com.github.luben.zstd.Zstd;
import dev.coral.codec.ChunkCodec;
import dev.coral.codec.ChunkCodec.EncodedChunk;
import dev.coral.codec.ChunkDecoder;
import dev.coral.codec.ChunkEncoder;
import dev.coral.codec.CodecWorkspace;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Standalone codec figures on one thread, each beside plain zstd -3 / -19 of the same bytes:
 * a "training run" of fp32 weights (w0 ~ N(0, 0.05); w1 = w0 - lr*g, g ~ N(0,1)*0.05) and its
 * BF16 copy (top 2 bytes of each fp32), cut into 4 MiB chunks. For every codec: ratio (raw /
 * stored, headers included), encode MB/s and decode MB/s (best of the repetitions; MB = 10^6
 * bytes of raw tensor data). Also how close the sampled choice is to the exhaustive one, and the
 * ratio of ZipNN's method on the same bytes ({@link ZipNnBaseline}; its published speeds).
 *
 * <p>Run: {@code mvn -B -q -DskipTests install && mvn -B -q -pl perf exec:java
 * -Dexec.mainClass=dev.coral.perf.codec.CodecFigures [-Dexec.args="MB REPS LEVEL"]}
 * (defaults 64 MB, 3 repetitions, level 1; MAVEN_OPTS=-Xmx3g).
 */
public final class CodecFigures {
    private static final int CHUNK = 4 << 20;

    private CodecFigures() {
    }

    /** One way of storing a run of chunks. */
    interface Method {
        EncodedChunk encode(byte[] raw, int off, int len, byte[] base, CodecWorkspace ws);
    }

    public static void main(String[] args) throws Exception {
        int mb = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int level = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        boolean slow = args.length <= 3 || !args[3].equals("fast");
        int n = mb * 1_000_000 / 4 / 1024 * 1024;
        SplittableRandom r = new SplittableRandom(42);
        float[] w0 = new float[n];
        for (int i = 0; i < n; i++) {
            w0[i] = (float) (r.nextGaussian() * 0.05);
        }
        float[] g = new float[n];
        for (int i = 0; i < n; i++) {
            g[i] = (float) (r.nextGaussian() * 0.05);
        }
        byte[] f32base = fp32(w0);
        byte[] bf16base = bf16(w0);
        System.out.printf(Locale.ROOT, "# %d MB fp32 (%d elements), %d MiB chunks, one thread, best of %d, codec zstd level %d; java %s%n",
                f32base.length / 1_000_000, n, CHUNK >> 20, reps, level, System.getProperty("java.version"));
        System.out.println("| data | method | ratio | encode MB/s | decode MB/s | chunk codecs |");
        System.out.println("| --- | --- | --- | --- | --- | --- |");
        run("fp32 w0 alone", f32base, null, 4, level, reps, slow);
        run("bf16 w0 alone", bf16base, null, 2, level, reps, slow);
        for (double lr : new double[] {1e-3, 1e-4, 1e-5}) {
            float[] w1 = new float[n];
            for (int i = 0; i < n; i++) {
                w1[i] = (float) (w0[i] - lr * g[i]);
            }
            run("fp32 w1 vs w0, lr " + lr, fp32(w1), f32base, 4, level, reps, slow);
            run("bf16 w1 vs w0, lr " + lr, bf16(w1), bf16base, 2, level, reps, slow);
        }
    }

    /** Little-endian bytes of {@code v}. */
    public static byte[] fp32(float[] v) {
        byte[] b = new byte[v.length * 4];
        for (int i = 0; i < v.length; i++) {
            int x = Float.floatToRawIntBits(v[i]);
            b[4 * i] = (byte) x;
            b[4 * i + 1] = (byte) (x >>> 8);
            b[4 * i + 2] = (byte) (x >>> 16);
            b[4 * i + 3] = (byte) (x >>> 24);
        }
        return b;
    }

    /** BF16 as the top 2 bytes of each fp32 (truncation: exactly "the top 2 bytes of those fp32"). */
    public static byte[] bf16(float[] v) {
        byte[] b = new byte[v.length * 2];
        for (int i = 0; i < v.length; i++) {
            int x = Float.floatToRawIntBits(v[i]);
            b[2 * i] = (byte) (x >>> 16);
            b[2 * i + 1] = (byte) (x >>> 24);
        }
        return b;
    }

    private static void run(String data, byte[] raw, byte[] base, int w, int level, int reps, boolean slow) {
        List<Object[]> methods = new ArrayList<>();
        methods.add(new Object[] {"zstd -3 (baseline)", plainZstd(3), 1});
        if (slow) {
            methods.add(new Object[] {"zstd -19 (baseline)", plainZstd(19), 1});
        }
        methods.add(new Object[] {"ZSTD codec L" + level, named(ChunkCodec.ZSTD, w, level), reps});
        methods.add(new Object[] {"PLANES L" + level, named(ChunkCodec.PLANES, w, level), reps});
        if (base != null) {
            methods.add(new Object[] {"XOR_PLANES L" + level, named(ChunkCodec.XOR_PLANES, w, level), reps});
            methods.add(new Object[] {"SUB_PLANES L" + level, named(ChunkCodec.SUB_PLANES, w, level), reps});
            if (slow) {
                methods.add(new Object[] {"XOR_PLANES L19 (offline bound)", named(ChunkCodec.XOR_PLANES, w, 19), 1});
            }
        } else if (slow) {
            methods.add(new Object[] {"PLANES L19", named(ChunkCodec.PLANES, w, 19), 1});
        }
        methods.add(new Object[] {"best SAMPLED L" + level, best(ChunkEncoder.Choice.SAMPLED, w, level), reps});
        methods.add(new Object[] {"best EXHAUSTIVE L" + level, best(ChunkEncoder.Choice.EXHAUSTIVE, w, level), Math.min(reps, 2)});
        long sampledBytes = 0;
        long exhaustiveBytes = 0;
        for (Object[] m : methods) {
            long[] result = measure(raw, base, w, (Method) m[1], (Integer) m[2], ((String) m[0]).startsWith("zstd"));
            String name = (String) m[0];
            if (name.startsWith("best SAMPLED")) {
                sampledBytes = result[0];
            } else if (name.startsWith("best EXHAUSTIVE")) {
                exhaustiveBytes = result[0];
            }
            System.out.printf(Locale.ROOT, "| %s | %s | %.3f | %.0f | %.0f | %s |%n", data, name, (double) raw.length / result[0],
                    raw.length / 1e6 / (result[1] / 1e9), raw.length / 1e6 / (result[2] / 1e9), codecCounts(result));
        }
        System.out.printf(Locale.ROOT, "| %s | sampled / exhaustive stored bytes | %.4f | | | |%n", data, (double) sampledBytes / exhaustiveBytes);
        ZipNnBaseline.checkGrouping(raw, w);
        System.out.printf(Locale.ROOT, "| %s | ZipNN method (baseline: these bytes alone, 256 KiB chunks, exponent byte, Huffman or raw per"
                + " group) | %.3f | (published 1,120) | (published 1,660) | |%n", data, (double) raw.length / ZipNnBaseline.size(raw, 0, raw.length, w));
    }

    private static String codecCounts(long[] result) {
        StringBuilder sb = new StringBuilder();
        for (int c = 0; c < 5; c++) {
            if (result[3 + c] > 0) {
                sb.append(sb.length() == 0 ? "" : " ").append(ChunkCodec.values()[c]).append('x').append(result[3 + c]);
            }
        }
        return sb.toString();
    }

    static Method plainZstd(int level) {
        return (raw, off, len, base, ws) -> {
            byte[] dst = new byte[(int) Zstd.compressBound(len)];
            long c = Zstd.compressByteArray(dst, 0, dst.length, raw, off, len, level);
            return new EncodedChunk(ChunkCodec.ZSTD, dst, (int) c);
        };
    }

    static Method named(ChunkCodec codec, int w, int level) {
        return (raw, off, len, base, ws) -> ChunkEncoder.encode(codec, raw, off, len, w, base, off, level, ws);
    }

    static Method best(ChunkEncoder.Choice choice, int w, int level) {
        return (raw, off, len, base, ws) -> ChunkEncoder.encodeBest(raw, off, len, w, base, off, level, choice, ws);
    }

    /** Returns {stored bytes, best encode ns, best decode ns, count per codec id 0..4}. */
    private static long[] measure(byte[] raw, byte[] base, int w, Method m, int reps, boolean plain) {
        long bestEnc = Long.MAX_VALUE;
        long bestDec = Long.MAX_VALUE;
        long stored = 0;
        long[] counts = new long[5];
        byte[] out = new byte[raw.length];
        try (CodecWorkspace ws = new CodecWorkspace()) {
            EncodedChunk[] enc = new EncodedChunk[(raw.length + CHUNK - 1) / CHUNK];
            for (int rep = 0; rep < reps; rep++) {
                long t0 = System.nanoTime();
                for (int c = 0; c < enc.length; c++) {
                    int off = c * CHUNK;
                    enc[c] = m.encode(raw, off, Math.min(CHUNK, raw.length - off), base, ws);
                }
                bestEnc = Math.min(bestEnc, System.nanoTime() - t0);
            }
            Arrays.fill(counts, 0);
            stored = 0;
            for (EncodedChunk e : enc) {
                stored += e.length();
                counts[e.codec().id()]++;
            }
            for (int rep = 0; rep < Math.max(reps, 2); rep++) {
                long t0 = System.nanoTime();
                for (int c = 0; c < enc.length; c++) {
                    int off = c * CHUNK;
                    int len = Math.min(CHUNK, raw.length - off);
                    if (plain) {
                        long got = Zstd.decompressByteArray(out, off, len, enc[c].data(), 0, enc[c].length());
                        if (got != len) {
                            throw new IllegalStateException("zstd decoded " + got);
                        }
                    } else {
                        ChunkDecoder.decode(enc[c].data(), 0, enc[c].length(), base, off, out, off, len, w, ws);
                    }
                }
                bestDec = Math.min(bestDec, System.nanoTime() - t0);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        if (!Arrays.equals(raw, out)) {
            throw new IllegalStateException("round trip differs");
        }
        long[] r = new long[8];
        r[0] = stored;
        r[1] = bestEnc;
        r[2] = bestDec;
        System.arraycopy(counts, 0, r, 3, 5);
        return r;
    }
}
