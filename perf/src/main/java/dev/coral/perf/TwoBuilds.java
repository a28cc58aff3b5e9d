package dev.coral.perf;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Two builds of the core module side by side in one JVM, for paired A/B measurements: each in a
 * class loader of its own, over a shared parent holding the libraries (so that zstd-jni's native
 * code loads once). The JVM's own classpath gives the libraries; its coral-core entries are left out.
 */
public final class TwoBuilds {
    private TwoBuilds() {
    }

    /** Class loaders of build A and build B: each a core module's classes folder or jar. */
    public static ClassLoader[] loaders(String a, String b) throws Exception {
        ClassLoader shared = new URLClassLoader(libraries(), ClassLoader.getPlatformClassLoader());
        return new ClassLoader[] {new URLClassLoader(new URL[] {url(a)}, shared), new URLClassLoader(new URL[] {url(b)}, shared)};
    }

    /** This JVM's classpath without its own coral-core: the libraries both builds share. */
    private static URL[] libraries() throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String e = entry.replace('\\', '/');
            if (!e.isEmpty() && !e.contains("coral-core") && !e.endsWith("core/target/classes") && !e.endsWith("core/target/classes/")) {
                urls.add(url(entry));
            }
        }
        return urls.toArray(new URL[0]);
    }

    private static URL url(String path) throws Exception {
        return Path.of(path).toAbsolutePath().toUri().toURL();
    }
}
