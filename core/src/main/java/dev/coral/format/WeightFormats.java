package dev.coral.format;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The fixed registry of weight-file formats Coral knows. A file's format is chosen by its name
 * extension, case-insensitively.
 */
public final class WeightFormats {
    private static final List<WeightFileFormat> ALL = List.of(
            new SafetensorsFormat(),
            new NpyFormat(),
            new NpzFormat(),
            new Hdf5Format(),
            new KerasFormat()
    );

    private WeightFormats() {
    }

    /** Every format, in a stable order. */
    public static List<WeightFileFormat> all() {
        return ALL;
    }

    /** The format whose {@link WeightFileFormat#name()} is {@code name} (case-insensitive). */
    public static Optional<WeightFileFormat> byName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return ALL.stream().filter(f -> f.name().equals(n)).findFirst();
    }

    /** The format claiming {@code file}'s extension, or empty if it is not a weight file Coral reads. */
    public static Optional<WeightFileFormat> forPath(Path file) {
        Path fileName = file.getFileName();
        if (fileName == null) {
            return Optional.empty();
        }
        String s = fileName.toString();
        int dot = s.lastIndexOf('.');
        if (dot < 0) {
            return Optional.empty();
        }
        String ext = s.substring(dot + 1).toLowerCase(Locale.ROOT);
        return ALL.stream().filter(f -> f.extensions().contains(ext)).findFirst();
    }
}
