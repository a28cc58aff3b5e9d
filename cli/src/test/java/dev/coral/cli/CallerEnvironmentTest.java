package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    void environIsNulEndedEntriesTheLastOfANameTakenAsBashDoes() {
        byte[] raw = "A=1\0B=x=y\0NOEQUALS\0=nameless\0A=2\0EMPTY=\0LAST=ünï".getBytes(StandardCharsets.UTF_8);
        assertEquals(env("A", "2", "B", "x=y", "EMPTY", "", "LAST", "ünï"), CallerEnvironment.parse(raw));
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

    /** A /proc/PID folder of this process's status, namespace, root and limits, with {@code change} applied to its files' text. */
    private Path fakeProc(String name, java.util.function.UnaryOperator<String> change) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.resolve("ns"));
        Path self = Path.of("/proc/self");
        Files.writeString(p.resolve("status"), change.apply(Files.readString(self.resolve("status"))));
        Files.writeString(p.resolve("limits"), change.apply(Files.readString(self.resolve("limits"))));
        Files.createSymbolicLink(p.resolve("ns/mnt"), Path.of(change.apply(Files.readSymbolicLink(self.resolve("ns/mnt")).toString())));
        Files.createSymbolicLink(p.resolve("root"), Path.of(change.apply(Files.readSymbolicLink(self.resolve("root")).toString())));
        return p;
    }

    @Test
    void aProcessDiffersInItsUmaskUserGroupsNamespaceRootOrLimits() throws IOException {
        Path self = Path.of("/proc/self");
        org.junit.jupiter.api.Assumptions.assumeTrue(CallerEnvironment.umask(self) != null, "this kernel tells no umask");
        assertNull(CallerEnvironment.processDifference(fakeProc("same", t -> t), self));
        String umask = CallerEnvironment.umask(self);
        String other = umask.equals("0077") ? "0022" : "0077";
        assertEquals("umask " + other + " is not the daemon's " + umask + " (the files a command creates take it)",
                CallerEnvironment.processDifference(fakeProc("umask", t -> t.replace("Umask:\t" + umask, "Umask:\t" + other)), self));
        assertTrue(CallerEnvironment.processDifference(fakeProc("gid", t -> t.replaceFirst("(?m)^Gid:.*$", "Gid:\t4\t4\t4\t4")), self)
                .startsWith("user or groups are not the daemon's (Gid: 4 4 4 4 against "));
        assertEquals("mount namespace is not the daemon's (its folders may not be the daemon's)",
                CallerEnvironment.processDifference(fakeProc("mnt", t -> t.startsWith("mnt:[") ? "mnt:[1]" : t), self));
        assertEquals("root folder is not the daemon's (chroot)",
                CallerEnvironment.processDifference(fakeProc("root", t -> t.equals("/") ? "/srv/jail" : t), self));
        assertEquals("resource limits are not the daemon's (Max file size 8192 unlimited bytes)",
                CallerEnvironment.processDifference(fakeProc("fsize", t -> t.replaceFirst("(?m)^Max file size +\\S+", "Max file size 8192")), self));
        assertNull(CallerEnvironment.processDifference(fakeProc("nofile",
                t -> t.replaceFirst("(?m)^(Max open files +)\\S+", "$11024")), self), "every JVM raises its soft limit of open files");
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

    private Path fakeJava(String folder) throws IOException {
        Path exe = Files.createDirectories(dir.resolve(folder)).resolve("java");
        Files.writeString(exe, "#!/bin/sh\n");
        Files.setPosixFilePermissions(exe, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        return exe;
    }

    /** The launcher's choice: JAVA_HOME's, else the PATH's first executable java (an empty entry is the caller's folder). */
    @Test
    void theCallersJavaIsJavaHomesElseThePathsFirst() throws IOException {
        Path a = fakeJava("a/bin");
        Path b = fakeJava("b/bin");
        Files.createDirectories(dir.resolve("plain/bin"));
        Files.writeString(dir.resolve("plain/bin/java"), "not executable");
        Path cwd = Files.createDirectories(dir.resolve("cwd"));
        assertEquals(a, CallerEnvironment.launcherJava(env("JAVA_HOME", dir.resolve("a").toString(), "PATH", dir.resolve("b/bin").toString()), cwd));
        assertEquals(b, CallerEnvironment.launcherJava(env("JAVA_HOME", "", "PATH", dir.resolve("plain/bin") + "::" + dir.resolve("b/bin")), dir.resolve("b/bin")),
                "an empty entry: the caller's folder");
        assertEquals(b, CallerEnvironment.launcherJava(env("PATH", "/nonexistent:" + dir.resolve("plain/bin") + ":" + dir.resolve("b/bin") + ":" + dir.resolve("a/bin")), cwd));
        // not normalized: the daemon's cwd is the magic link /proc/PID/cwd, whose ".." is not /proc/PID
        assertEquals(cwd.resolve("../b/bin/java"), CallerEnvironment.launcherJava(env("PATH", "../b/bin"), cwd), "relative to the caller's folder");
        assertNull(CallerEnvironment.launcherJava(env("PATH", "/nonexistent"), cwd));
        assertNull(CallerEnvironment.launcherJava(env(), cwd));
    }

    /** Another JDK than the daemon's (a JAVA_HOME set since it started) is a difference; a link to its own java is not. */
    @Test
    void aCallerOnAnotherJavaIsNotServed() throws IOException {
        Path a = fakeJava("a/bin");
        fakeJava("b/bin");
        Files.createSymbolicLink(Files.createDirectories(dir.resolve("links")).resolve("java"), a);
        Path cwd = dir;
        assertNull(CallerEnvironment.javaDifference(env("JAVA_HOME", dir.resolve("a").toString()), cwd, a));
        assertNull(CallerEnvironment.javaDifference(env("PATH", dir.resolve("links").toString()), cwd, a), "a link to the same java");
        assertEquals("java (" + dir.resolve("b/bin/java").toRealPath() + ") is not the daemon's (" + a.toRealPath() + ")",
                CallerEnvironment.javaDifference(env("JAVA_HOME", dir.resolve("b").toString()), cwd, a));
        assertNull(CallerEnvironment.javaDifference(env("JAVA_HOME", dir.resolve("gone").toString()), cwd, a), "cannot be told: served");
        assertNull(CallerEnvironment.javaDifference(env("PATH", "/nonexistent"), cwd, a), "none found: served");
    }
}
