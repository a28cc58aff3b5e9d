package dev.coral.cli;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The sources the {@code coral} launcher builds its jar from, and whether one is newer than the jar:
 * the launcher's {@code find ... -newer coral.jar} (which it runs when no daemon takes the command),
 * done by the daemon for each command it is sent, so that a launcher the daemon serves forks no
 * {@code find} (4-5 ms a fork on a 2-core VM, 10 ms for that one) and a daemon never runs a build
 * older than its sources.
 */
record BuildSources(Path home, Path jar) {
    /** What the launcher's {@code stale} looks at, relative to the Coral home. */
    static final List<String> PATHS = List.of("core/src/main", "cli/src/main", "pom.xml", "core/pom.xml", "cli/pom.xml");

    /** The sources of the running build: {@code coral.home} and the jar the daemon was started from, when both are known. */
    static Optional<BuildSources> of(String home, Path jar) {
        return home == null || home.isEmpty() || jar == null ? Optional.empty() : Optional.of(new BuildSources(Path.of(home), jar));
    }

    /**
     * A regular file among {@link #PATHS} modified after the jar (the first found), or empty; a
     * missing jar counts as older than everything (the launcher builds it), a missing path as no source.
     */
    Optional<Path> newerThanJar() throws IOException {
        return newerThanJar(folder -> { });
    }

    /** As {@link #newerThanJar()}, telling {@code eachFolder} every folder it walks into. */
    Optional<Path> newerThanJar(Consumer<Path> eachFolder) throws IOException {
        FileTime built;
        try {
            built = Files.getLastModifiedTime(jar);
        } catch (NoSuchFileException e) {
            return Optional.of(jar);
        }
        Path[] found = new Path[1];
        for (String p : PATHS) {
            Path start = home.resolve(p);
            if (!Files.exists(start)) {
                continue;
            }
            Files.walkFileTree(start, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path folder, BasicFileAttributes a) {
                    eachFolder.accept(folder);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes a) {
                    if (a.isRegularFile() && a.lastModifiedTime().compareTo(built) > 0) {
                        found[0] = file;
                        return FileVisitResult.TERMINATE;
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE; // as find's 2>/dev/null: an unreadable entry is no source
                }
            });
            if (found[0] != null) {
                return Optional.of(found[0]);
            }
        }
        return Optional.empty();
    }
}
