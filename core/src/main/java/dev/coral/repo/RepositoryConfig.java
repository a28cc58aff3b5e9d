package dev.coral.repo;

import dev.coral.error.BadInputException;
import dev.coral.error.CorruptObjectException;
import dev.coral.io.ChecksummedFile;
import dev.coral.io.FailureWords;
import dev.coral.similarity.SimilarityCheck;
import dev.coral.store.ChainShape;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Repository settings ({@code .coral/config}, ChecksummedFile "CORALCFG" v1 holding
 * {@code key=value} lines): chunk size, zstd level, the bound on delta chains, whether
 * XOR delta planes may be coded by context ({@code codec.contexts}, see
 * {@link dev.coral.codec.PlaneMode#CONTEXT_HUFFMAN}), whether deltas may be zigzag differences
 * ({@code codec.zigzag}), the chunk cache's budget
 * ({@code cache.bytes}), and how alike a stored tensor must be to become the delta base of a new
 * one that has no previous version ({@code similarity.threshold}, see {@link SimilarityCheck}),
 * and whether checkouts fsync the files they write ({@code checkout.fsync}, see
 * {@link FileRestore}). Immutable.
 */
public record RepositoryConfig(int chunkBytes, int zstdLevel, int maxChainDepth, int deltaRun, boolean contextCoding,
                               boolean zigzagDeltas, long cacheBytes, double similarityThreshold, boolean checkoutFsync) {
    static final String MAGIC = "CORALCFG";
    /** How to repair a damaged config file so that writes go on, said by the writes it stops and by fsck. */
    public static final String REPAIR = "repair it, or rewrite it from the defaults with 'coral config KEY VALUE'";
    public static final int DEFAULT_CHUNK_BYTES = 4 << 20;
    /** Bound on delta chains (deltas read to rebuild any version); see {@link ChainShape} for the measurement. */
    public static final int DEFAULT_MAX_CHAIN_DEPTH = 12;
    /** Versions per run of deltas against the previous version ({@link ChainShape}); 1 = plain skip-delta. */
    public static final int DEFAULT_DELTA_RUN = 8;
    /** The run of a repository whose config predates runs: plain skip-delta, as it was written. */
    static final int LEGACY_DELTA_RUN = 1;
    public static final int DEFAULT_ZSTD_LEVEL = 1; // measured: level 3 stored 0.1% less at 0.7x the commit speed
    /**
     * Context coding of XOR delta planes, on by default (also for a config written before the
     * setting): measured on the perf suite, fp32 Adam histories store 2-3% smaller and BF16 11%
     * (past the offline bound), for commits 25% slower in a fresh process and checkouts 28% slower.
     */
    public static final boolean DEFAULT_CONTEXT_CODING = true;
    /**
     * Zigzag-difference deltas ({@link dev.coral.codec.ChunkCodec#ZIGZAG_PLANES}) where they are
     * much smaller than XOR, on by default (also for a config written before the setting). Measured:
     * the perf training scenario's BF16 history 4.33x -> 4.99x (fp32 unchanged: its steps stay XOR);
     * 16 BF16 steps of the 84 MB model 173 -> 157 MB. The cost: such a link decodes through a merge,
     * about a third slower along a deep BF16 chain, and a checkout does not undo it from a newer file.
     */
    public static final boolean DEFAULT_ZIGZAG_DELTAS = true;
    /**
     * Budget of the chunk cache ({@code cache.bytes}, see {@link dev.coral.store.ChunkCache}): raw
     * copies of the newest delta-encoded chunks, about one version of each file. 0 turns it off.
     */
    public static final long DEFAULT_CACHE_BYTES = 1L << 30;
    /**
     * The least fraction of sampled elements whose most significant byte must agree with a stored
     * tensor's for it to be taken as a delta base, and for {@code coral stats --clusters} to join
     * them ({@link SimilarityCheck#DEFAULT_MIN_AGREEMENT}, from measurement). 1 asks for every
     * sampled high byte equal; 0 takes the nearest candidate whatever it is.
     */
    public static final double DEFAULT_SIMILARITY_THRESHOLD = SimilarityCheck.DEFAULT_MIN_AGREEMENT;
    /**
     * Checkouts leave their files in the page cache, marked unsynced in the staging index where
     * the platform names its boots ({@link FileRestore}); {@code true} fsyncs each file before it
     * is renamed into place, as elsewhere (for a file system whose server may lose data that its
     * client's boot id does not tell of, such as NFS).
     */
    public static final boolean DEFAULT_CHECKOUT_FSYNC = false;
    static final int MIN_CHUNK_BYTES = 64;
    static final int MAX_CHUNK_BYTES = 256 << 20;

    public RepositoryConfig {
        if (chunkBytes < MIN_CHUNK_BYTES || chunkBytes > MAX_CHUNK_BYTES) {
            throw new IllegalArgumentException("chunk size must be between 64 bytes and 256 MiB: " + chunkBytes);
        }
        if (zstdLevel < -7 || zstdLevel > 22) {
            throw new IllegalArgumentException("zstd level must be between -7 and 22: " + zstdLevel);
        }
        new ChainShape(maxChainDepth, deltaRun); // validates both
        if (cacheBytes < 0) {
            throw new IllegalArgumentException("cache size must be 0 (off) or more bytes: " + cacheBytes);
        }
        if (!(similarityThreshold >= 0 && similarityThreshold <= 1)) {
            throw new IllegalArgumentException("similarity threshold must be between 0 and 1: " + similarityThreshold);
        }
    }

    /** The check a candidate delta base must pass under these settings. */
    public SimilarityCheck similarityCheck() {
        return new SimilarityCheck(similarityThreshold);
    }

    /** The layout of delta chains these settings ask for. */
    public ChainShape chainShape() {
        return new ChainShape(maxChainDepth, deltaRun);
    }

    public static RepositoryConfig defaults() {
        return new RepositoryConfig(DEFAULT_CHUNK_BYTES, DEFAULT_ZSTD_LEVEL, DEFAULT_MAX_CHAIN_DEPTH, DEFAULT_DELTA_RUN,
                DEFAULT_CONTEXT_CODING, DEFAULT_ZIGZAG_DELTAS, DEFAULT_CACHE_BYTES,
                DEFAULT_SIMILARITY_THRESHOLD, DEFAULT_CHECKOUT_FSYNC);
    }

    public RepositoryConfig withChunkBytes(int n) {
        return new RepositoryConfig(n, zstdLevel, maxChainDepth, deltaRun, contextCoding, zigzagDeltas, cacheBytes, similarityThreshold, checkoutFsync);
    }

    public RepositoryConfig withZstdLevel(int level) {
        return new RepositoryConfig(chunkBytes, level, maxChainDepth, deltaRun, contextCoding, zigzagDeltas, cacheBytes, similarityThreshold, checkoutFsync);
    }

    /** With chains of at most {@code depth} deltas; the run shrinks to fit if it was longer. */
    public RepositoryConfig withMaxChainDepth(int depth) {
        return new RepositoryConfig(chunkBytes, zstdLevel, depth, Math.max(1, Math.min(deltaRun, depth)), contextCoding, zigzagDeltas, cacheBytes, similarityThreshold, checkoutFsync);
    }

    public RepositoryConfig withDeltaRun(int run) {
        return new RepositoryConfig(chunkBytes, zstdLevel, maxChainDepth, run, contextCoding, zigzagDeltas, cacheBytes, similarityThreshold, checkoutFsync);
    }

    public RepositoryConfig withContextCoding(boolean on) {
        return new RepositoryConfig(chunkBytes, zstdLevel, maxChainDepth, deltaRun, on, zigzagDeltas, cacheBytes, similarityThreshold, checkoutFsync);
    }

    public RepositoryConfig withZigzagDeltas(boolean on) {
        return new RepositoryConfig(chunkBytes, zstdLevel, maxChainDepth, deltaRun, contextCoding, on, cacheBytes, similarityThreshold, checkoutFsync);
    }

    public RepositoryConfig withCacheBytes(long bytes) {
        return new RepositoryConfig(chunkBytes, zstdLevel, maxChainDepth, deltaRun, contextCoding, zigzagDeltas, bytes, similarityThreshold, checkoutFsync);
    }

    public RepositoryConfig withCheckoutFsync(boolean on) {
        return new RepositoryConfig(chunkBytes, zstdLevel, maxChainDepth, deltaRun, contextCoding, zigzagDeltas, cacheBytes, similarityThreshold, on);
    }

    public RepositoryConfig withSimilarityThreshold(double threshold) {
        return new RepositoryConfig(chunkBytes, zstdLevel, maxChainDepth, deltaRun, contextCoding, zigzagDeltas, cacheBytes, threshold, checkoutFsync);
    }

    /** A whole number such as 12 or -3, as {@code coral config} takes it. */
    static int parseWhole(String value) {
        String v = value.trim();
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a whole number: '" + v + "'");
        }
    }

    /**
     * A byte count with an optional binary suffix, as {@code coral init --chunk-size} and
     * {@code coral config} take it: {@code 65536}, {@code 64K}, {@code 4M}, {@code 4MiB}, {@code 1G}.
     */
    public static long parseSize(String s) {
        String t = s.trim().toUpperCase(java.util.Locale.ROOT);
        if (t.endsWith("IB")) {
            t = t.substring(0, t.length() - 2);
        } else if (t.endsWith("B") && t.length() > 1 && !Character.isDigit(t.charAt(t.length() - 2))) {
            t = t.substring(0, t.length() - 1);
        }
        long mult = 1;
        if (!t.isEmpty()) {
            switch (t.charAt(t.length() - 1)) {
                case 'K' -> mult = 1L << 10;
                case 'M' -> mult = 1L << 20;
                case 'G' -> mult = 1L << 30;
                case 'T' -> mult = 1L << 40;
                default -> mult = 1;
            }
        }
        if (mult != 1) {
            t = t.substring(0, t.length() - 1);
        }
        try {
            return Math.multiplyExact(Long.parseLong(t.trim()), mult);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("'" + s.trim() + "' is not a size (examples: 65536, 64K, 4M, 1G)");
        }
    }

    /** A chunk size as {@link #parseSize} reads it, refused past what a chunk may hold. */
    public static int parseChunkBytes(String s) {
        long n = parseSize(s);
        if (n < MIN_CHUNK_BYTES || n > MAX_CHUNK_BYTES) {
            throw new IllegalArgumentException("chunk size must be between 64 bytes and 256 MiB: " + s.trim());
        }
        return (int) n;
    }

    /** "true" or "false", nothing else (Boolean.parseBoolean would take any typo for false). */
    static boolean parseBoolean(String key, String value) {
        return switch (value.trim()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(key + " must be true or false: '" + value.trim() + "'");
        };
    }

    /** A decimal number such as 0.6 (no hexadecimal, no "NaN", no "Infinity", no type suffix). */
    static double parseFraction(String value) {
        String v = value.trim();
        if (!v.matches("[0-9]*\\.?[0-9]+([eE][-+]?[0-9]+)?")) {
            throw new NumberFormatException("not a number between 0 and 1: '" + v + "'");
        }
        return Double.parseDouble(v);
    }

    public static RepositoryConfig read(Path file) throws IOException {
        Properties p = new Properties();
        try {
            p.load(new StringReader(new String(ChecksummedFile.read(file, MAGIC, 1, 1, 16 << 20).bytes(), StandardCharsets.UTF_8)));
        } catch (CorruptObjectException e) {
            throw e;
        } catch (NoSuchFileException e) {
            throw new CorruptObjectException(file + ": missing");
        } catch (FileSystemException e) {
            throw new CorruptObjectException(file + ": cannot be read: " + FailureWords.reason(e));
        } catch (IllegalArgumentException e) { // a hand-edited backslash: Properties takes backslash-u for the start of an escape
            throw new CorruptObjectException(file + ": " + e.getMessage());
        }
        try {
            return new RepositoryConfig(
                    setting(file, p, "chunk.bytes", DEFAULT_CHUNK_BYTES, RepositoryConfig::parseChunkBytes),
                    setting(file, p, "zstd.level", DEFAULT_ZSTD_LEVEL, RepositoryConfig::parseWhole),
                    setting(file, p, "delta.max-depth", DEFAULT_MAX_CHAIN_DEPTH, RepositoryConfig::parseWhole),
                    setting(file, p, "delta.run", LEGACY_DELTA_RUN, RepositoryConfig::parseWhole),
                    setting(file, p, "codec.contexts", DEFAULT_CONTEXT_CODING, v -> parseBoolean("codec.contexts", v)),
                    setting(file, p, "codec.zigzag", DEFAULT_ZIGZAG_DELTAS, v -> parseBoolean("codec.zigzag", v)),
                    setting(file, p, "cache.bytes", DEFAULT_CACHE_BYTES, RepositoryConfig::parseSize),
                    setting(file, p, "similarity.threshold", DEFAULT_SIMILARITY_THRESHOLD, RepositoryConfig::parseFraction),
                    setting(file, p, "checkout.fsync", DEFAULT_CHECKOUT_FSYNC, v -> parseBoolean("checkout.fsync", v)));
        } catch (IllegalArgumentException e) {
            throw new CorruptObjectException(file + ": " + e.getMessage());
        }
    }

    /** One setting of the file, {@code absent} when it has none; a value that does not parse names its key. */
    private static <T> T setting(Path file, Properties p, String key, T absent, java.util.function.Function<String, T> parse)
            throws CorruptObjectException {
        String v = p.getProperty(key);
        if (v == null) {
            return absent;
        }
        try {
            return parse.apply(v);
        } catch (IllegalArgumentException e) {
            String why = e.getMessage() == null ? "'" + v.trim() + "'" : e.getMessage();
            throw new CorruptObjectException(file + ": " + key + ": " + (why.startsWith(key) ? why.substring(key.length()).trim() : why));
        }
    }

    /** Every setting as {@code key -> value}, sorted by key (as written to the file). */
    public SortedMap<String, String> settings() {
        TreeMap<String, String> m = new TreeMap<>();
        m.put("chunk.bytes", String.valueOf(chunkBytes));
        m.put("zstd.level", String.valueOf(zstdLevel));
        m.put("delta.max-depth", String.valueOf(maxChainDepth));
        m.put("delta.run", String.valueOf(deltaRun));
        m.put("codec.contexts", String.valueOf(contextCoding));
        m.put("codec.zigzag", String.valueOf(zigzagDeltas));
        m.put("cache.bytes", String.valueOf(cacheBytes));
        m.put("similarity.threshold", String.valueOf(similarityThreshold));
        m.put("checkout.fsync", String.valueOf(checkoutFsync));
        return m;
    }

    public void write(Path file) throws IOException {
        write(file, Map.of());
    }

    /**
     * Writes the settings and, after them, {@code unknown}: keys this Coral does not know (a newer
     * Coral's, or a typo), kept as they were by a rewrite of the file ({@link #unknownSettings}).
     */
    public void write(Path file, Map<String, String> unknown) throws IOException {
        StringBuilder sb = new StringBuilder();
        SortedMap<String, String> settings = settings();
        settings.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        for (Map.Entry<String, String> e : new TreeMap<>(unknown).entrySet()) {
            if (!settings.containsKey(e.getKey())) {
                Properties one = new Properties(); // escaped as Properties reads it back
                one.setProperty(e.getKey(), e.getValue());
                java.io.StringWriter w = new java.io.StringWriter();
                one.store(w, null);
                w.toString().lines().filter(l -> !l.startsWith("#")).forEach(l -> sb.append(l).append('\n'));
            }
        }
        ChecksummedFile.write(file, MAGIC, 1, sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * What fsck and {@code coral config} say of settings in {@code file} this Coral does not know,
     * or empty when there are none.
     */
    public static Optional<String> unknownSettingsWarning(Path file) {
        SortedMap<String, String> unknown = unknownSettings(file);
        return unknown.isEmpty() ? Optional.empty() : Optional.of("settings this Coral does not know, kept as they "
                + "are (a newer Coral's, or a typo): " + String.join(", ", unknown.keySet()));
    }

    /**
     * The keys of {@code file} this Coral does not know, with their values, sorted; empty when
     * there are none or the file cannot be read (a damaged file is reported by {@link #read}).
     */
    public static SortedMap<String, String> unknownSettings(Path file) {
        TreeMap<String, String> out = new TreeMap<>();
        try {
            Properties p = new Properties();
            p.load(new StringReader(new String(ChecksummedFile.read(file, MAGIC, 1, 1, 16 << 20).bytes(), StandardCharsets.UTF_8)));
            java.util.Set<String> known = defaults().settings().keySet();
            for (String k : p.stringPropertyNames()) {
                if (!known.contains(k)) {
                    out.put(k, p.getProperty(k));
                }
            }
        } catch (IOException | RuntimeException e) {
            // damaged or missing: nothing to keep
        }
        return out;
    }

    /** Parses a setting as {@code coral config KEY VALUE} takes it. */
    public RepositoryConfig with(String key, String value) throws BadInputException {
        try {
            return switch (key) {
                case "chunk.bytes" -> withChunkBytes(parseChunkBytes(value));
                case "zstd.level" -> withZstdLevel(parseWhole(value));
                case "delta.max-depth" -> withMaxChainDepth(parseWhole(value));
                case "delta.run" -> withDeltaRun(parseWhole(value));
                case "codec.contexts" -> withContextCoding(parseBoolean(key, value));
                case "codec.zigzag" -> withZigzagDeltas(parseBoolean(key, value));
                case "cache.bytes" -> withCacheBytes(parseSize(value));
                case "similarity.threshold" -> withSimilarityThreshold(parseFraction(value));
                case "checkout.fsync" -> withCheckoutFsync(parseBoolean(key, value));
                default -> throw new BadInputException("unknown setting '" + key + "' (known: chunk.bytes, zstd.level, "
                        + "delta.max-depth, delta.run, codec.contexts, codec.zigzag, cache.bytes, similarity.threshold, checkout.fsync)");
            };
        } catch (IllegalArgumentException e) {
            throw new BadInputException("setting " + key + "=" + value + ": " + e.getMessage());
        }
    }
}
