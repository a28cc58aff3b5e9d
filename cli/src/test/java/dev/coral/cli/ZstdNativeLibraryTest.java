package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.util.Native;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Random;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kept copy of zstd-jni's native library ({@link ZstdNativeLibrary}): made once from the jar
 * entry, reused while it matches the entry, made again when damaged, never left half-written;
 * and the name it looks for is the one zstd-jni's own jar holds for this platform.
 */
class ZstdNativeLibraryTest {
    @TempDir
    Path dir;

    private URL jarWith(String entry, byte[] bytes) throws Exception {
        Path jar = dir.resolve("lib-" + System.nanoTime() + ".jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry(entry));
            out.write(bytes);
            out.closeEntry();
        }
        return new URL("jar:" + jar.toUri() + "!/" + entry);
    }

    private static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void theCopyIsMadeOnceThenReusedWhileItMatches() throws Exception {
        byte[] lib = randomBytes(300_000, 1);
        URL url = jarWith("linux/amd64/libtest-1.so", lib);
        Path native_ = dir.resolve("native");
        Path first = ZstdNativeLibrary.keptCopy(url, native_);
        assertEquals(native_.resolve("libtest-1.so"), first);
        assertArrayEquals(lib, Files.readAllBytes(first));
        FileTime old = FileTime.fromMillis(1_000_000_000L);
        Files.setLastModifiedTime(first, old);
        assertEquals(first, ZstdNativeLibrary.keptCopy(url, native_));
        assertEquals(old, Files.getLastModifiedTime(first), "a matching copy was written again");
        try (Stream<Path> s = Files.list(native_)) {
            assertEquals(List.of(first), s.toList(), "temporary files left behind");
        }
    }

    @Test
    void aDamagedOrShortCopyIsMadeAgain() throws Exception {
        byte[] lib = randomBytes(100_000, 2);
        URL url = jarWith("linux/amd64/libtest-2.so", lib);
        Path native_ = dir.resolve("native");
        Path copy = ZstdNativeLibrary.keptCopy(url, native_);
        byte[] damaged = lib.clone();
        damaged[50_000] ^= 1; // same size, other bytes
        Files.write(copy, damaged);
        assertArrayEquals(lib, Files.readAllBytes(ZstdNativeLibrary.keptCopy(url, native_)));
        Files.write(copy, new byte[10]);
        assertArrayEquals(lib, Files.readAllBytes(ZstdNativeLibrary.keptCopy(url, native_)));
    }

    @Test
    void aTemporaryLeftByACommandThatEndedIsRemovedOnceStale() throws Exception {
        URL url = jarWith("linux/amd64/libtest-3.so", new byte[] {7, 7, 7});
        Path native_ = Files.createDirectories(dir.resolve("native"));
        Path stale = Files.write(native_.resolve(".tmp-libtest-3.so-123"), new byte[] {1});
        Path fresh = Files.write(native_.resolve(".tmp-libtest-3.so-456"), new byte[] {1});
        Files.setLastModifiedTime(stale, FileTime.fromMillis(System.currentTimeMillis() - 2 * ZstdNativeLibrary.STALE_TEMPORARY_MILLIS));
        ZstdNativeLibrary.keptCopy(url, native_);
        assertTrue(Files.notExists(stale), "stale temporary kept");
        assertTrue(Files.exists(fresh), "a temporary another command may be writing was removed");
    }

    @Test
    void aUrlThatIsNoJarEntryKeepsNothing() throws Exception {
        Path plain = Files.write(dir.resolve("plain.so"), new byte[] {1, 2, 3});
        assertNull(ZstdNativeLibrary.keptCopy(plain.toUri().toURL(), dir.resolve("native")));
        assertTrue(Files.notExists(dir.resolve("native")));
    }

    /** On the platforms it names (Linux, macOS), zstd-jni's jar holds a library under that name. */
    @Test
    void theResourceNameIsOneZstdJniHolds() {
        String name = ZstdNativeLibrary.resourceName();
        String os = System.getProperty("os.name").toLowerCase();
        if (os.contains("linux") || os.contains("mac")) {
            assertNotNull(name);
            assertNotNull(Native.class.getResource(name), name + " is not in zstd-jni's jar");
        }
    }

    @Test
    void onlyCommandsThatReadOrWriteBodiesLoadIt() {
        for (String c : List.of("add", "commit", "checkout", "export")) {
            assertTrue(ZstdNativeLibrary.NEEDED_BY.contains(c), c);
        }
        for (String c : List.of("log", "status", "branch", "diff", "init")) {
            assertFalse(ZstdNativeLibrary.NEEDED_BY.contains(c), c);
        }
    }
}
