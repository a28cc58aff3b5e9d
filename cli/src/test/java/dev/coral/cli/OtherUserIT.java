package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commands run as a user other than root, for whom the file system's permissions hold (root, which
 * runs the suite here, may open and write any folder, so permission errors went untested: found
 * running commands by hand as another user, 2026-12-06). Run as root, the test runs the commands
 * as {@code nobody} through util-linux's {@code setpriv}, and fails, saying so, where it is missing.
 */
class OtherUserIT {
    private static final Path ROOT = Path.of(System.getProperty("coral.root", "..")).toAbsolutePath().normalize();
    private static final Path JAR = ROOT.resolve("cli/target/coral.jar");

    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    /** The command prefix that runs a command as a user other than root: none when this JVM is not root. */
    private static List<String> asOtherUser() throws IOException {
        return asUser(65534, "OtherUserIT");
    }

    /**
     * The command prefix that runs a command as user (and group) {@code uid} when this JVM is
     * root, through util-linux's {@code setpriv}; none when it is not root. {@code test} names the
     * test in the failure that says setpriv is missing.
     */
    static List<String> asUser(int uid, String test) throws IOException {
        if (((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() != 0) {
            return List.of();
        }
        Path setpriv = Path.of("/usr/bin/setpriv");
        if (!Files.isExecutable(setpriv)) {
            throw new IllegalStateException(test + " runs as root and needs /usr/bin/setpriv (Debian's util-linux) to run commands as user " + uid);
        }
        return List.of(setpriv.toString(), "--reuid=" + uid, "--regid=" + uid, "--clear-groups");
    }

    private static Run coral(Path cwd, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(asOtherUser());
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
        pb.environment().put("CORAL_DAEMON", "0");
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] err = new byte[0];
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("coral " + String.join(" ", args) + " did not end in 120 s");
        }
        return new Run(p.exitValue(), out, new String(err, StandardCharsets.UTF_8));
    }

    private static void chmod(Path p, String mode) throws IOException {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
    }

    /** A repository the other user made, in a working folder every user may write, in a temporary folder every user may enter. */
    private Path sharedRepository() throws Exception {
        chmod(dir, "rwxr-xr-x");
        Path w = Files.createDirectories(dir.resolve("w"));
        chmod(w, "rwxrwxrwx");
        assertEquals(0, coral(w, "init", "-q").code());
        return w;
    }

    /** A weight file every user may write, in a folder every user may write. */
    private static Path weights(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        chmod(file.getParent(), "rwxrwxrwx");
        Files.copy(ROOT.resolve("testdata/st_mixed.safetensors"), file);
        chmod(file, "rw-rw-rw-");
        return file;
    }

    /**
     * A folder the user may not open (one a container made as root, say) is passed over by status
     * and {@code add .} with a warning naming it, as git's "could not open directory": it failed
     * every status and every add of a folder above it.
     */
    @Test
    void aFolderTheUserMayNotOpenIsPassedOverWithAWarning() throws Exception {
        Path w = sharedRepository();
        weights(w.resolve("sub/a.safetensors"));
        weights(w.resolve("secret/b.safetensors"));
        chmod(w.resolve("secret"), "---------");
        try {
            Run status = coral(w, "status");
            assertEquals(0, status.code(), status.err());
            assertEquals("coral: warning: could not open folder 'secret/': permission denied\n", status.err());
            assertTrue(status.out().contains("\tsub/a.safetensors") && !status.out().contains("secret"), status.out());
            Run add = coral(w, "add", ".");
            assertEquals(0, add.code(), add.err());
            assertEquals("coral: warning: could not open folder 'secret/': permission denied\n", add.err());
            assertTrue(add.out().startsWith("staged 1 file"), add.out());
            Run named = coral(w, "add", "secret");
            assertEquals(1, named.code(), "a folder named on the command line that cannot be opened is an error: " + named.err());
            assertEquals(1, named.err().strip().lines().count(), named.err());
            assertTrue(named.err().contains("secret") && named.err().contains("permission denied"), named.err());
        } finally {
            chmod(w.resolve("secret"), "rwxr-xr-x");
        }
    }

    /**
     * A tracked file behind a folder the user may not search is neither there nor gone as far as
     * Coral can tell: left as it was staged, with a warning, as git does. It read as deleted, and
     * {@code commit -a} committed its deletion.
     */
    @Test
    void aTrackedFileBehindAFolderTheUserMayNotSearchIsNotTakenForDeleted() throws Exception {
        Path w = sharedRepository();
        weights(w.resolve("secret/a.safetensors"));
        weights(w.resolve("top.safetensors"));
        assertEquals(0, coral(w, "commit", "-q", "-m", "one", "secret", "top.safetensors").code());
        chmod(w.resolve("secret"), "---------");
        String warnings = "coral: warning: could not open folder 'secret/': permission denied\n"
                + "coral: warning: could not look at 'secret/a.safetensors' (permission denied): left as it was staged\n";
        try {
            Run status = coral(w, "status");
            assertEquals(0, status.code(), status.err());
            assertEquals(warnings, status.err());
            assertTrue(status.out().contains("nothing to commit, working tree clean"), status.out());
            Run all = coral(w, "commit", "-a", "-m", "two");
            assertEquals(1, all.code(), "commit -a committed something: " + all.out());
            assertTrue(all.err().startsWith(warnings) && all.err().contains("nothing to commit"), all.err());
            Run add = coral(w, "add", ".");
            assertEquals(0, add.code(), add.err());
            assertFalse(add.out().contains("removed"), add.out());
            Run named = coral(w, "add", "secret/a.safetensors");
            assertEquals(1, named.code(), named.out());
            assertEquals("coral: " + w.resolve("secret/a.safetensors") + ": permission denied\n", named.err());
            assertEquals(0, coral(w, "status").code());
        } finally {
            chmod(w.resolve("secret"), "rwxrwxrwx");
        }
        Run status = coral(w, "status");
        assertEquals("", status.err());
        assertTrue(status.out().contains("nothing to commit, working tree clean"), "the file is still staged as committed: " + status.out());
        assertEquals(1, coral(w, "log", "--oneline").out().lines().count());
    }

    /**
     * A checkout into a folder the user may not write fails naming the file it would write, not
     * the temporary file beside it ({@code .tmp-NAME-UUID}), and leaves the repository as it was.
     */
    @Test
    void aCheckoutIntoAFolderTheUserMayNotWriteNamesTheFile() throws Exception {
        Path w = sharedRepository();
        weights(w.resolve("m.safetensors"));
        assertEquals(0, coral(w, "commit", "-q", "-m", "one", "m.safetensors").code());
        Files.delete(w.resolve("m.safetensors"));
        chmod(w, "r-xr-xr-x");
        try {
            Run checkout = coral(w, "checkout", "--force", "main");
            assertEquals(1, checkout.code(), checkout.err());
            assertEquals("coral: " + w.resolve("m.safetensors") + ": permission denied\n", checkout.err());
        } finally {
            chmod(w, "rwxrwxrwx");
        }
        Run fsck = coral(w, "fsck");
        assertEquals(0, fsck.code(), fsck.err());
        assertFalse(fsck.out().contains("problem") && !fsck.out().contains("no problems"), fsck.out());
    }
}
