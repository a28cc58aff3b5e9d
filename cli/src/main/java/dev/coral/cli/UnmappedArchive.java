package dev.coral.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The launcher's class-data archive ({@code cli/target/coral.jsa}), named to this JVM in the
 * property {@value #PROPERTY}, dropped when this JVM could not map it, so that the next command
 * that lists its classes makes it again. The JVM ignores without a word an archive another JDK
 * made (another release, or the same one after an update: an archive fits one build), and the
 * launcher remade one only when the jar was rebuilt: every command of a user whose JDK changed
 * loaded its classes from the jar (about 150 ms more per commit) until then. The launcher names
 * the archive only when no JVM options of the user's could be what keeps it from mapping
 * ({@code CORAL_JAVA_OPTS}, {@code JAVA_TOOL_OPTIONS}, {@code JDK_JAVA_OPTIONS}, {@code
 * _JAVA_OPTIONS}: a larger heap without compressed pointers, {@code -Xshare:off}), else every
 * command would drop an archive the next one made again.
 */
final class UnmappedArchive {
    static final String PROPERTY = "coral.archive";

    private UnmappedArchive() {
    }

    /** Deletes the archive {@value #PROPERTY} names if this JVM shares no classes ({@code java.vm.info} lacks "sharing"); never fails. */
    static void dropIfUnmapped() {
        String archive = System.getProperty(PROPERTY);
        if (archive == null || archive.isEmpty() || System.getProperty("java.vm.info", "").contains("sharing")) {
            return;
        }
        try {
            Files.deleteIfExists(Path.of(archive));
        } catch (IOException | RuntimeException e) {
            // the next command runs without it as this one did
        }
    }
}
