package dev.coral.cli;

import com.github.luben.zstd.util.Native;
import com.github.luben.zstd.util.ZstdVersion;
import dev.coral.io.AtomicFile;
import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.Locale;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.zip.CRC32;

/**
 * Loads zstd-jni's native library as a command starts ({@link StartupWork}), from a copy kept
 * beside the jar ({@code cli/target/native/}). zstd-jni otherwise copies the library (1 MB) out
 * of the jar into a temporary file in every process before loading it: measured, 56-68 ms
 * against 11-12 ms from a kept copy, on the main thread of every command that reads an object.
 *
 * <p>The copy is made by the first command that finds none (written to a temporary name and
 * renamed, so a concurrent command sees a whole file or none; one left by a command that ended
 * while writing it is removed a minute later) and used only while its size and
 * CRC-32 are those of the jar's entry; otherwise, or wherever anything here fails (a read-only
 * install, a platform whose library this does not find, classes not run from a jar), zstd-jni
 * loads the library its own way when first used. zstd-jni's {@code Native.load} is synchronized:
 * a command that needs zstd before this thread is done waits for it.
 */
final class ZstdNativeLibrary {
    /**
     * The commands that read or write chunk and object bodies, where zstd-jni gets loaded (seen
     * with {@code -verbose:class}); log, status, branch and diff never load it, and would only
     * pay for loading it.
     */
    static final Set<String> NEEDED_BY = Set.of("add", "commit", "checkout", "switch", "restore", "export", "show", "stats", "fsck", "gc",
            "repack", "demo", "batch");

    private ZstdNativeLibrary() {
    }

    /** Loads the library, from the kept copy where there is one ({@link StartupWork} calls this on its thread). */
    static void load() {
        boolean set = false;
        try {
            Path kept = System.getProperty("ZstdNativePath") == null ? keptCopy() : null; // a path the user gave wins
            if (kept != null) {
                System.setProperty("ZstdNativePath", kept.toString());
                set = true;
            }
            Native.load();
        } catch (RuntimeException | LinkageError | IOException e) {
            if (set) {
                System.clearProperty("ZstdNativePath"); // zstd-jni loads the library its own way when first used
            }
        }
    }

    /** The kept copy of the library, made now if missing or stale; null where there is none to keep. */
    static Path keptCopy() throws IOException {
        String resource = resourceName();
        URL url = resource == null ? null : Native.class.getResource(resource);
        Path jarDir = jarDirectory();
        return url == null || jarDir == null ? null : keptCopy(url, jarDir.resolve("native"));
    }

    /**
     * The copy in {@code dir} of the jar entry at {@code url} (a {@code jar:} URL), under the
     * entry's own file name: reused while its size and CRC-32 are the entry's, else written anew
     * ({@link AtomicFile}, not fsynced: a copy lost in a crash is made again). Null when
     * {@code url} is not a jar entry or what it reads does not match the entry.
     */
    static Path keptCopy(URL url, Path dir) throws IOException {
        URLConnection c = url.openConnection();
        if (!(c instanceof JarURLConnection jc)) {
            return null;
        }
        JarEntry entry = jc.getJarEntry();
        String name = entry.getName();
        Path copy = dir.resolve(name.substring(name.lastIndexOf('/') + 1));
        if (Files.isRegularFile(copy) && Files.size(copy) == entry.getSize() && matches(Files.readAllBytes(copy), entry)) {
            return copy;
        }
        byte[] bytes;
        try (InputStream in = jc.getInputStream()) {
            bytes = in.readAllBytes();
        }
        if (!matches(bytes, entry)) {
            return null;
        }
        Files.createDirectories(dir);
        removeStaleTemporaries(dir);
        AtomicFile.write(copy, bytes, false);
        return copy;
    }

    private static boolean matches(byte[] bytes, JarEntry entry) {
        CRC32 crc = new CRC32();
        crc.update(bytes);
        return bytes.length == entry.getSize() && crc.getValue() == entry.getCrc();
    }

    /** A temporary file this old was left by a command that ended while writing it (a copy takes milliseconds). */
    static final long STALE_TEMPORARY_MILLIS = 60_000;

    private static void removeStaleTemporaries(Path dir) throws IOException {
        long now = System.currentTimeMillis();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, AtomicFile.TEMP_PREFIX + "*")) {
            for (Path p : s) {
                if (now - Files.getLastModifiedTime(p).toMillis() > STALE_TEMPORARY_MILLIS) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /**
     * The library's path inside zstd-jni's jar, as zstd-jni names it on Linux and macOS
     * ({@code /linux/amd64/libzstd-jni-VERSION.so}); null elsewhere.
     */
    static String resourceName() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).replace(" ", "");
        String arch = System.getProperty("os.arch", "");
        String ext;
        if (os.equals("linux")) {
            ext = "so";
        } else if (os.startsWith("macosx") || os.startsWith("darwin")) {
            os = "darwin";
            arch = arch.equals("amd64") ? "x86_64" : arch;
            ext = "dylib";
        } else {
            return null;
        }
        return "/" + os + "/" + arch + "/libzstd-jni-" + ZstdVersion.VERSION + "." + ext;
    }

    /** The folder of the jar these classes run from; null when they do not run from a jar file. */
    private static Path jarDirectory() {
        try {
            CodeSource cs = ZstdNativeLibrary.class.getProtectionDomain().getCodeSource();
            if (cs == null || cs.getLocation() == null) {
                return null;
            }
            Path p = Path.of(cs.getLocation().toURI());
            return Files.isRegularFile(p) && p.toString().endsWith(".jar") ? p.getParent() : null;
        } catch (URISyntaxException | IllegalArgumentException | SecurityException e) {
            return null;
        }
    }
}
