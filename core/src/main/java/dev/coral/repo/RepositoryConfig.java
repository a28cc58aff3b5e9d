package dev.coral.repo;

import dev.coral.error.BadInputException;
import dev.coral.error.CorruptObjectException;
import dev.coral.io.ChecksummedFile;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Repository settings ({@code .coral/config}, ChecksummedFile "CORALCFG" v1 holding
 * {@code key=value} lines): chunk size and zstd level. Immutable.
 */
public record RepositoryConfig(int chunkBytes, int zstdLevel) {
    static final String MAGIC = "CORALCFG";
    public static final int DEFAULT_CHUNK_BYTES = 4 << 20;
    public static final int DEFAULT_ZSTD_LEVEL = 1; // measured: level 3 stored 0.1% less at 0.7x the commit speed

    public RepositoryConfig {
        if (chunkBytes < 64 || chunkBytes > (256 << 20)) {
            throw new IllegalArgumentException("chunk size must be between 64 bytes and 256 MiB: " + chunkBytes);
        }
        if (zstdLevel < -7 || zstdLevel > 22) {
            throw new IllegalArgumentException("zstd level must be between -7 and 22: " + zstdLevel);
        }
    }

    public static RepositoryConfig defaults() {
        return new RepositoryConfig(DEFAULT_CHUNK_BYTES, DEFAULT_ZSTD_LEVEL);
    }

    public RepositoryConfig withChunkBytes(int n) {
        return new RepositoryConfig(n, zstdLevel);
    }

    public RepositoryConfig withZstdLevel(int level) {
        return new RepositoryConfig(chunkBytes, level);
    }

    public static RepositoryConfig read(Path file) throws IOException {
        String text = new String(ChecksummedFile.read(file, MAGIC, 1, 1).bytes(), StandardCharsets.UTF_8);
        Properties p = new Properties();
        p.load(new StringReader(text));
        try {
            return new RepositoryConfig(
                    Integer.parseInt(p.getProperty("chunk.bytes", String.valueOf(DEFAULT_CHUNK_BYTES)).trim()),
                    Integer.parseInt(p.getProperty("zstd.level", String.valueOf(DEFAULT_ZSTD_LEVEL)).trim()));
        } catch (IllegalArgumentException e) {
            throw new CorruptObjectException(file + ": " + e.getMessage());
        }
    }

    public void write(Path file) throws IOException {
        TreeMap<String, String> m = new TreeMap<>();
        m.put("chunk.bytes", String.valueOf(chunkBytes));
        m.put("zstd.level", String.valueOf(zstdLevel));
        StringBuilder sb = new StringBuilder();
        m.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        ChecksummedFile.write(file, MAGIC, 1, sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Parses a {@code key=value} setting as {@code coral init --config} takes it. */
    public RepositoryConfig with(String key, String value) throws BadInputException {
        try {
            return switch (key) {
                case "chunk.bytes" -> withChunkBytes(Integer.parseInt(value));
                case "zstd.level" -> withZstdLevel(Integer.parseInt(value));
                default -> throw new BadInputException("unknown setting '" + key + "' (known: chunk.bytes, zstd.level)");
            };
        } catch (IllegalArgumentException e) {
            throw new BadInputException("setting " + key + "=" + value + ": " + e.getMessage());
        }
    }
}
