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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon's check of the launcher's sources against its jar: the launcher's find, file for file. */
class BuildSourcesTest {

    @TempDir
    Path home;

    private Path file(String path, FileTime modified) throws Exception {
        return SourceFiles.file(home, path, modified);
    }

    private BuildSources sources() throws Exception {
        return new BuildSources(home, file("cli/target/coral.jar", BUILT));
    }

    @Test
    void sourcesOlderThanTheJarOrOutsideTheListAreNotNewer() throws Exception {
        BuildSources s = sources();
        file("core/src/main/java/dev/coral/A.java", BEFORE);
        file("cli/src/main/resources/x.properties", BUILT); // the same time: find's -newer is strict
        file("pom.xml", BEFORE);
        file("core/src/test/java/T.java", AFTER); // tests are not in the jar
        file("perf/src/main/java/P.java", AFTER);
        file("README.md", AFTER);
        assertEquals(Optional.empty(), s.newerThanJar());
    }

    @Test
    void anyListedSourceNewerThanTheJarIsFound() throws Exception {
        for (String path : new String[] {"core/src/main/java/dev/coral/deep/B.java", "cli/src/main/C.java", "pom.xml", "core/pom.xml", "cli/pom.xml"}) {
            BuildSources s = sources();
            Path newer = file(path, AFTER);
            assertEquals(Optional.of(newer), s.newerThanJar(), path);
            Files.setLastModifiedTime(newer, BEFORE);
        }
    }

    @Test
    void aMissingJarIsOlderThanEverythingAndMissingSourcesAreNone() throws Exception {
        assertEquals(Optional.empty(), sources().newerThanJar(), "no sources at all (an installed jar)");
        Path jar = home.resolve("cli/target/none.jar");
        assertEquals(Optional.of(jar), new BuildSources(home, jar).newerThanJar());
    }

    @Test
    void knownOnlyWithAHomeAndAJar() {
        assertTrue(BuildSources.of(null, home).isEmpty());
        assertTrue(BuildSources.of("", home).isEmpty());
        assertTrue(BuildSources.of(home.toString(), null).isEmpty());
        assertEquals(home, BuildSources.of(home.toString(), home.resolve("j.jar")).orElseThrow().home());
    }
}
