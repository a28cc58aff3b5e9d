package dev.coral.cli;

import static dev.coral.cli.SourceFiles.AFTER;
import static dev.coral.cli.SourceFiles.BEFORE;
import static dev.coral.cli.SourceFiles.BUILT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's check of its sources walks them once, then again only after a change under them
 * (or to the jar): and it finds every change the walk alone would, a source edited, added in a
 * new folder, a build file touched, a folder made where none was.
 */
class WatchedBuildSourcesTest {

    @TempDir
    Path home;
    private Path jar;
    private WatchedBuildSources sources;

    @BeforeEach
    void build() throws Exception {
        jar = file("cli/target/coral.jar", BUILT);
        file("core/src/main/java/dev/coral/A.java", BEFORE);
        file("cli/src/main/java/dev/coral/cli/B.java", BEFORE);
        file("pom.xml", BEFORE);
        sources = new WatchedBuildSources(new BuildSources(home, jar));
    }

    @AfterEach
    void close() {
        sources.close();
    }

    private Path file(String path, FileTime modified) throws Exception {
        return SourceFiles.file(home, path, modified);
    }

    /** The answer once the watch's thread has heard of the change (it takes it microseconds to milliseconds; a launcher 10 ms to start). */
    private Optional<Path> newerOnceHeard() throws Exception {
        long until = System.nanoTime() + 10_000_000_000L;
        Optional<Path> newer = sources.newerThanJar();
        while (newer.isEmpty() && System.nanoTime() < until) {
            Thread.sleep(5);
            newer = sources.newerThanJar();
        }
        return newer;
    }

    @Test
    void nothingChangedIsOneWalk() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertEquals(Optional.empty(), sources.newerThanJar());
        }
        assertEquals(1, sources.walks, "the first call walks, the others find the watch quiet");
    }

    @Test
    void aSourceEditedAfterTheWalkIsFound() throws Exception {
        assertEquals(Optional.empty(), sources.newerThanJar());
        Path edited = file("core/src/main/java/dev/coral/A.java", AFTER);
        assertEquals(Optional.of(edited), newerOnceHeard());
        assertEquals(Optional.of(edited), sources.newerThanJar(), "found at every call until the jar is built again");
        Files.setLastModifiedTime(jar, FileTime.fromMillis(1_900_000_000_000L)); // built again
        assertEquals(Optional.empty(), sources.newerThanJar());
    }

    @Test
    void aSourceInANewFolderIsFound() throws Exception {
        assertEquals(Optional.empty(), sources.newerThanJar());
        Path added = file("cli/src/main/java/dev/coral/cli/deeper/still/C.java", AFTER);
        assertEquals(Optional.of(added), newerOnceHeard());
        Files.setLastModifiedTime(added, BEFORE);
        assertEquals(Optional.empty(), sources.newerThanJar(), "walked again: the last answer was not clean");
        Path inTheNewFolder = file("cli/src/main/java/dev/coral/cli/deeper/still/D.java", AFTER);
        assertEquals(Optional.of(inTheNewFolder), newerOnceHeard(), "the new folder is watched too");
    }

    @Test
    void aBuildFileOutsideTheWatchedFoldersIsLookedAtEveryTime() throws Exception {
        assertEquals(Optional.empty(), sources.newerThanJar());
        Path pom = file("pom.xml", AFTER);
        assertEquals(Optional.of(pom), sources.newerThanJar(), "at once: build files are not left to the watch");
        file("pom.xml", BEFORE);
        Path corePom = file("core/pom.xml", AFTER);
        assertEquals(Optional.of(corePom), sources.newerThanJar());
    }

    @Test
    void aSourceFolderMadeWhereNoneWasIsWalked() throws Exception {
        sources.close();
        Path bare = home.resolve("bare");
        Path bareJar = Files.createDirectories(bare.resolve("cli/target")).resolve("coral.jar");
        Files.writeString(bareJar, "jar");
        Files.setLastModifiedTime(bareJar, BUILT);
        sources = new WatchedBuildSources(new BuildSources(bare, bareJar)); // an installed jar: no sources
        assertEquals(Optional.empty(), sources.newerThanJar());
        Path made = bare.resolve("core/src/main/java/E.java");
        Files.createDirectories(made.getParent());
        Files.writeString(made, "E");
        Files.setLastModifiedTime(made, AFTER);
        assertEquals(Optional.of(made), sources.newerThanJar(), "at once: no watch covered where it was made");
    }

    @Test
    void aMissingJarIsOlderThanEverything() throws Exception {
        Files.delete(jar);
        assertEquals(Optional.of(jar), sources.newerThanJar());
        assertEquals(Optional.of(jar), sources.newerThanJar());
        assertTrue(sources.walks >= 2, "nothing kept while the jar is missing");
    }
}
