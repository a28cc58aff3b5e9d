package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.api.Tensors;
import dev.coral.format.TensorSource;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code coral stats}: text, {@code --json}, {@code --files}, {@code --commits}, help, errors. */
class StatsCommandTest {
    @TempDir
    Path dir;

    private static final int ELEMENTS = 64 * 32; // 8192 bytes: 2 chunks of 4096

    private static float[] weights(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[ELEMENTS];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        return w;
    }

    /** A model of a 64x32 weight {@code w} and a constant 32-element {@code bias}. */
    private static void writeModel(Path file, float[] w) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(w.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : w) {
            b.putFloat(f);
        }
        b.flip();
        ByteBuffer bias = ByteBuffer.allocate(32 * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 32; i++) {
            bias.putFloat(0.01f * i);
        }
        bias.flip();
        List<TensorSource> ts = List.of(Tensors.of("w", TensorSpec.of(DType.F32, 64, 32), b),
                Tensors.of("bias", TensorSpec.of(DType.F32, 32), bias));
        Cli.write(file, "safetensors", ts);
    }

    /** v1, v2 (a small training step from v1), then a copy of the model under another name. */
    private Cli history() throws IOException {
        Cli cli = new Cli(dir);
        cli.run("init", "--chunk-size", "4096").ok();
        float[] w = weights(7);
        writeModel(dir.resolve("model.safetensors"), w);
        cli.run("add", "model.safetensors").ok();
        cli.run("commit", "-m", "v1").ok();
        SplittableRandom r = new SplittableRandom(8);
        for (int i = 0; i < w.length; i++) {
            w[i] += (float) (1e-4 * r.nextGaussian());
        }
        writeModel(dir.resolve("model.safetensors"), w);
        cli.run("add", "model.safetensors").ok();
        cli.run("commit", "-m", "v2").ok();
        Files.copy(dir.resolve("model.safetensors"), dir.resolve("copy.safetensors"));
        cli.run("add", "copy.safetensors").ok();
        cli.run("commit", "-m", "copy").ok();
        return cli;
    }

    /** The tensors' bytes of a model file. */
    private static final long TENSOR_BYTES = ELEMENTS * 4 + 32 * 4;

    /** The bytes of a model file: its tensors and its header (logical bytes count files as committed). */
    private long modelBytes() throws IOException {
        long size = Files.size(dir.resolve("model.safetensors"));
        assertTrue(size > TENSOR_BYTES, "a header: " + size);
        return size;
    }

    @Test
    void textSummary() throws IOException {
        Cli.Result r = history().run("stats").ok();
        String out = r.out();
        assertTrue(out.matches("(?s)commits\\s+3\\s+\\(1 branch, 0 tags\\).*"), out);
        assertTrue(out.matches("(?s).*\\nchunk references\\s+12   5 distinct, 7 deduplicated\\n.*"), out);
        assertTrue(out.matches("(?s).*\\nformat features\\s+4   hdf5-chunked, npz-deflated-verbatim, npz-verbatim, zigzag-deltas \\(\\.coral/format: .*"), out);
        assertTrue(out.matches("(?s).*\\nxor-planes\\s+delta\\s+2\\s.*"), out);
        for (String s : List.of("logical", "unique logical", "stored", "on disk", "chunk cache", "ratio", "lossy commits", "CODEC",
                "CHAIN DEPTH", "0 (keyframe)", "keyframe")) {
            assertTrue(out.contains(s), s + " in\n" + out);
        }
        assertFalse(out.contains("PATH") || out.contains("MESSAGE"), out);
        assertEquals("", r.err());
        String planes = out.substring(out.indexOf("PLANES AS"));
        int column = planes.lines().findFirst().orElseThrow().length(); // the counts end under the heading's end
        planes.lines().skip(1).takeWhile(l -> !l.isBlank()).forEach(l -> assertEquals(column, l.length(), "aligned: " + l));
        assertTrue(out.matches("(?s).*\\nexponent layout: \\d+ of [1-9]\\d* planes keyframes .*"), out);
        assertTrue(out.matches("(?s).*\\nmantissa-bit layout: \\d+ of [1-9]\\d* planes keyframes .*"), out);
    }

    @Test
    void jsonIsParseableAndExact() throws IOException {
        String text = history().run("stats", "--json").ok().out();
        long modelBytes = modelBytes();
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) MiniJson.parse(text);
        assertEquals(3L, m.get("commits"));
        assertEquals(2L, m.get("paths"));
        assertEquals(4 * modelBytes, m.get("logicalBytes")); // v1, v2, then v2 twice
        // w of v1 and v2, one bias; the headers of v1 and v2 (the copy is v2's file entry)
        assertEquals(2 * ELEMENTS * 4L + 128 + 2 * (modelBytes - TENSOR_BYTES), m.get("uniqueLogicalBytes"));
        Map<?, ?> chunks = (Map<?, ?>) m.get("chunks");
        assertEquals(12L, chunks.get("references"));
        assertEquals(5L, chunks.get("distinct"));
        assertEquals(7L, chunks.get("deduplicated"));
        assertEquals(2L, chunks.get("deltas")); // v2's two chunks of w
        assertEquals(0L, m.get("lossyCommits"));
        assertEquals(List.of("hdf5-chunked", "npz-deflated-verbatim", "npz-verbatim", "zigzag-deltas"), m.get("formatFeatures"));
        long layouts = (Long) m.get("exponentLayoutChunks") + (Long) m.get("mantissaBitLayoutChunks");
        assertTrue(layouts > 0 && layouts <= 3, "of the 3 keyframes (w v1's two, b's one): " + text);
        long stored = (Long) m.get("storedBytes");
        assertEquals(stored, (Long) m.get("chunkStoredBytes") + (Long) m.get("objectStoredBytes"));
        assertEquals(4.0 * modelBytes / stored, ((Number) m.get("ratio")).doubleValue(), 1e-3);
        assertTrue(((Map<?, ?>) m.get("chainDepths")).containsKey("1"), text);
        Map<?, ?> codecs = (Map<?, ?>) m.get("codecs");
        long total = 0;
        for (Object c : codecs.values()) {
            total += (Long) ((Map<?, ?>) c).get("chunks");
        }
        assertEquals(5, total, text);
        assertTrue((Long) ((Map<?, ?>) m.get("disk")).get("totalBytes") >= stored);
        long cache = (Long) ((Map<?, ?>) m.get("disk")).get("chunkCacheBytes");
        assertTrue(cache > 2 * 4096 && cache < 2 * (4096 + 128), "v2's two delta chunks, raw, one copy each (one bundle, 180 bytes of index): " + cache);
        assertFalse(m.containsKey("files") || m.containsKey("history"), text);
    }

    @Test
    void filesAndCommitsBreakdowns() throws IOException {
        Cli cli = history();
        long modelBytes = modelBytes();
        String one = java.util.regex.Pattern.quote(Text.bytes(modelBytes));
        String files = cli.run("stats", "--files").ok().out();
        assertTrue(files.matches("(?s).*\\nPATH\\s+VERSIONS\\s+COMMITS\\s+LOGICAL\\s+STORED\\s+RATIO\\n"
                + "copy\\.safetensors\\s+1\\s+1\\s+" + one + "\\s+0 B\\s+-\\n"
                + "model\\.safetensors\\s+2\\s+3\\s+" + java.util.regex.Pattern.quote(Text.bytes(3 * modelBytes)) + "\\s+.*"), files);

        String commits = cli.run("stats", "--commits").ok().out();
        List<String> ids = new ArrayList<>();
        for (String line : cli.run("log", "--oneline").ok().out().split("\n")) {
            ids.add(0, line.substring(0, 7));
        }
        assertTrue(commits.matches("(?s).*\\nCOMMIT\\s+LOGICAL\\s+NEW STORED\\s+RATIO\\s+MESSAGE\\n"
                + ids.get(0) + "\\s+" + one + "\\s+\\S+ \\S+\\s+\\S+\\s+v1\\n"
                + ids.get(1) + "\\s+" + one + "\\s+\\S+ \\S+\\s+\\S+\\s+v2\\n"
                + ids.get(2) + "\\s+" + java.util.regex.Pattern.quote(Text.bytes(2 * modelBytes)) + "\\s+\\S+ \\S+\\s+\\S+\\s+copy\\n"), commits);

        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) MiniJson.parse(cli.run("stats", "--json", "--files", "--commits").ok().out());
        List<?> fl = (List<?>) m.get("files");
        assertEquals(2, fl.size());
        Map<?, ?> copy = (Map<?, ?>) fl.get(0);
        assertEquals("copy.safetensors", copy.get("path"));
        assertEquals(0L, copy.get("newChunks"));
        assertEquals(0L, copy.get("storedBytes"));
        assertEquals(null, copy.get("ratio"));
        Map<?, ?> model = (Map<?, ?>) fl.get(1);
        assertEquals(5L, model.get("newChunks"));
        assertEquals(3 * modelBytes, model.get("logicalBytes"));
        List<?> hist = (List<?>) m.get("history");
        assertEquals(List.of("v1", "v2", "copy"), hist.stream().map(h -> ((Map<?, ?>) h).get("subject")).toList());
        assertEquals(3L, ((Map<?, ?>) hist.get(0)).get("newChunks")); // w: 2, bias: 1
        assertEquals(2L, ((Map<?, ?>) hist.get(1)).get("newChunks"));
        assertEquals(0L, ((Map<?, ?>) hist.get(2)).get("newChunks"));
        long sum = 0;
        for (Object h : hist) {
            sum += (Long) ((Map<?, ?>) h).get("newStoredBytes");
        }
        assertEquals(m.get("storedBytes"), sum);
        assertTrue(((String) ((Map<?, ?>) hist.get(0)).get("id")).startsWith(ids.get(0)));
    }

    @Test
    void emptyRepositoryPrintsZeroes() {
        Cli cli = new Cli(dir);
        cli.run("init").ok();
        String out = cli.run("stats").ok().out();
        assertTrue(out.matches("(?s)commits\\s+0 .*ratio\\s+-\\s.*"), out);
        assertFalse(out.contains("CODEC"), out);
    }

    @Test
    void help() {
        Cli.Result r = Cli.runRaw("stats", "--help");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("Usage: coral stats"), r.out());
        for (String s : List.of("--json", "--files", "--commits", "logical", "deduplicated", "chain depth", "bit-exact")) {
            assertTrue(r.out().contains(s), s + " in\n" + r.out());
        }
    }

    @Test
    void outsideARepositoryExitsOneWithOneLine() {
        Cli.Result r = new Cli(dir).run("stats");
        assertEquals(1, r.code());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().startsWith("coral: ") && r.err().contains("not a Coral repository"), r.err());
        assertEquals("", r.out());
    }

    /** Enough of a JSON reader to check {@code --json}: objects, arrays, strings, longs, doubles, literals. */
    static final class MiniJson {
        private final String s;
        private int i;

        private MiniJson(String s) {
            this.s = s;
        }

        static Object parse(String text) {
            MiniJson p = new MiniJson(text);
            Object v = p.value();
            p.ws();
            if (p.i != text.length()) {
                throw new IllegalArgumentException("trailing text at " + p.i);
            }
            return v;
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private void expect(char c) {
            ws();
            if (i >= s.length() || s.charAt(i) != c) {
                throw new IllegalArgumentException("expected '" + c + "' at " + i);
            }
            i++;
        }

        private Object value() {
            ws();
            char c = s.charAt(i);
            if (c == '{') {
                Map<String, Object> m = new LinkedHashMap<>();
                i++;
                ws();
                if (s.charAt(i) == '}') {
                    i++;
                    return m;
                }
                do {
                    ws();
                    String k = string();
                    expect(':');
                    if (m.put(k, value()) != null) {
                        throw new IllegalArgumentException("duplicate key " + k);
                    }
                    ws();
                } while (s.charAt(i++) == ',');
                if (s.charAt(i - 1) != '}') {
                    throw new IllegalArgumentException("expected '}' at " + (i - 1));
                }
                return m;
            }
            if (c == '[') {
                List<Object> l = new ArrayList<>();
                i++;
                ws();
                if (s.charAt(i) == ']') {
                    i++;
                    return l;
                }
                do {
                    l.add(value());
                    ws();
                } while (s.charAt(i++) == ',');
                if (s.charAt(i - 1) != ']') {
                    throw new IllegalArgumentException("expected ']' at " + (i - 1));
                }
                return l;
            }
            if (c == '"') {
                return string();
            }
            for (String lit : List.of("true", "false", "null")) {
                if (s.startsWith(lit, i)) {
                    i += lit.length();
                    return lit.equals("null") ? null : Boolean.valueOf(lit);
                }
            }
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
            String n = s.substring(start, i);
            if (n.isEmpty()) {
                throw new IllegalArgumentException("unexpected '" + c + "' at " + start);
            }
            return n.matches("-?\\d+") ? (Object) Long.parseLong(n) : (Object) Double.parseDouble(n);
        }

        private String string() {
            expect('"');
            StringBuilder sb = new StringBuilder();
            while (true) {
                char c = s.charAt(i++);
                if (c == '"') {
                    return sb.toString();
                }
                if (c == '\\') {
                    char e = s.charAt(i++);
                    switch (e) {
                        case 'n' -> sb.append('\n');
                        case 't' -> sb.append('\t');
                        case 'r' -> sb.append('\r');
                        case 'b' -> sb.append('\b');
                        case 'f' -> sb.append('\f');
                        case 'u' -> {
                            sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                            i += 4;
                        }
                        default -> sb.append(e);
                    }
                } else {
                    sb.append(c);
                }
            }
        }
    }
}
