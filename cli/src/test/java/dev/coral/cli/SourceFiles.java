package dev.coral.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;

/** Files of a Coral home made up for a test of the check of a build's sources against its jar, with the times chosen. */
final class SourceFiles {
    static final FileTime BUILT = FileTime.fromMillis(1_700_000_000_000L);
    static final FileTime BEFORE = FileTime.fromMillis(1_600_000_000_000L);
    static final FileTime AFTER = FileTime.fromMillis(1_800_000_000_000L);

    private SourceFiles() {
    }

    /** Writes {@code home/path} (its folders made) and sets its modification time. */
    static Path file(Path home, String path, FileTime modified) throws IOException {
        Path p = home.resolve(path);
        Files.createDirectories(p.getParent());
        Files.writeString(p, path);
        Files.setLastModifiedTime(p, modified);
        return p;
    }
}
