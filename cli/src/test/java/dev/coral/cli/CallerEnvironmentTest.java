package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The caller's environment as the daemon reads it, and when the daemon cannot run a command in it. */
class CallerEnvironmentTest {
    @TempDir
    Path dir;

    private static Map<String, String> env(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void environIsNulEndedEntriesTheFirstOfANameTaken() {
        byte[] raw = "A=1\0B=x=y\0NOEQUALS\0=nameless\0A=2\0EMPTY=\0LAST=ünï".getBytes(StandardCharsets.UTF_8);
        assertEquals(env("A", "1", "B", "x=y", "EMPTY", "", "LAST", "ünï"), CallerEnvironment.parse(raw));
        assertEquals(Map.of(), CallerEnvironment.parse(new byte[0]));
        assertEquals(Map.of(), CallerEnvironment.parse(new byte[] {0, 0}));
    }

    @Test
    void readsAProcessEnvironmentAndRefusesOneTooLarge() throws IOException {
        Files.write(dir.resolve("environ"), "CORAL_AUTHOR=Alice\0TZ=UTC\0".getBytes(StandardCharsets.UTF_8));
        assertEquals(env("CORAL_AUTHOR", "Alice", "TZ", "UTC"), CallerEnvironment.read(dir));
        Files.write(dir.resolve("environ"), new byte[CallerEnvironment.MAX_BYTES + 1]);
        assertThrows(IOException.class, () -> CallerEnvironment.read(dir));
        assertThrows(IOException.class, () -> CallerEnvironment.read(dir.resolve("gone")));
        assertEquals(System.getenv("PATH"), CallerEnvironment.read(Path.of("/proc/self")).get("PATH"), "this JVM's own");
    }

    @Test
    void theUmaskIsReadFromTheProcessStatus() throws IOException {
        Files.writeString(dir.resolve("status"), "Name:\tsleep\nUmask:\t0077\nState:\tS (sleeping)\n");
        assertEquals("0077", CallerEnvironment.umask(dir));
        Files.writeString(dir.resolve("status"), "Name:\tsleep\n");
        assertNull(CallerEnvironment.umask(dir), "a kernel before 4.7 tells none");
        assertThrows(IOException.class, () -> CallerEnvironment.umask(dir.resolve("gone")));
    }

    @Test
    void theLauncherRunsTheJvmInCUtf8WhenNoLocaleOrTheCOneIsSet() {
        for (Map<String, String> none : new Map[] {env(), env("LANG", "C"), env("LANG", "POSIX"), env("LC_ALL", "", "LANG", "C")}) {
            assertEquals("C.UTF-8", CallerEnvironment.asLaunched(none).get("LC_ALL"), none.toString());
        }
        assertNull(CallerEnvironment.asLaunched(env("LANG", "en_US.UTF-8")).get("LC_ALL"));
        assertNull(CallerEnvironment.asLaunched(env("LC_CTYPE", "fr_FR.UTF-8", "LANG", "C")).get("LC_ALL"));
    }

    @Test
    void variablesTheJvmReadsAtItsStartMustMatch() {
        Map<String, String> daemon = env("LC_ALL", "C.UTF-8", "PATH", "/bin", "CORAL_AUTHOR", "Bob");
        assertNull(CallerEnvironment.differing(env("PATH", "/usr/bin", "CORAL_AUTHOR", "Alice"), daemon),
                "no locale is the launcher's C.UTF-8; PATH and CORAL_AUTHOR do not matter");
        assertNull(CallerEnvironment.differing(env("LANG", "C", "LC_NUMERIC", "de_DE.UTF-8"), daemon),
                "LC_ALL overrides the other locale variables for both");
        assertEquals("LC_ALL", CallerEnvironment.differing(env("LANG", "en_US.UTF-8"), daemon));
        assertEquals("TZ", CallerEnvironment.differing(env("TZ", "Asia/Tokyo"), daemon));
        assertEquals("TZ", CallerEnvironment.differing(env("TZ", ""), daemon), "an empty TZ is UTC, not the system's zone");
        assertNull(CallerEnvironment.differing(env("TZ", "UTC"), env("TZ", "UTC")));
        assertEquals("JAVA_TOOL_OPTIONS", CallerEnvironment.differing(env("JAVA_TOOL_OPTIONS", "-Xmx1g"), daemon));
        assertNull(CallerEnvironment.differing(env("JAVA_TOOL_OPTIONS", ""), daemon), "empty is as none");
        assertEquals("CORAL_THREADS", CallerEnvironment.differing(env("CORAL_THREADS", "3"), daemon));
        Map<String, String> german = env("LANG", "de_DE.UTF-8");
        assertNull(CallerEnvironment.differing(german, german));
        assertEquals("LC_MESSAGES", CallerEnvironment.differing(env("LANG", "de_DE.UTF-8", "LC_MESSAGES", "en_US.UTF-8"), german));
    }
}
