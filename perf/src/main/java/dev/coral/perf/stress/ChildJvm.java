package dev.coral.perf.stress;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Starts a child JVM running a main class of this module with the runner's class path (under
 * {@code mvn exec:java} that is the exec class loader's, not {@code java.class.path}). Children
 * report figures as {@code key=value} lines on stdout.
 */
final class ChildJvm {
    private ChildJvm() {
    }

    static ProcessBuilder builder(String maxHeap, Class<?> main, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx" + maxHeap);
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd);
    }

    /** Runs to completion; returns its {@code key=value} lines; throws with its output if it fails. */
    static Map<String, String> run(Path log, String maxHeap, Class<?> main, String... args) throws IOException, InterruptedException {
        Process p = builder(maxHeap, main, args).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        int rc = p.waitFor();
        List<String> lines = Files.readAllLines(log);
        if (rc != 0) {
            throw new IOException(main.getSimpleName() + " exited " + rc + ": " + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())));
        }
        return keyValues(lines);
    }

    static Map<String, String> keyValues(List<String> lines) {
        Map<String, String> m = new TreeMap<>();
        for (String l : lines) {
            int eq = l.indexOf('=');
            if (eq > 0 && !l.contains(" ") && !l.startsWith("[")) {
                m.put(l.substring(0, eq), l.substring(eq + 1));
            }
        }
        return m;
    }

    static String classPath() {
        LinkedHashSet<String> parts = new LinkedHashSet<>();
        for (ClassLoader cl = ChildJvm.class.getClassLoader(); cl != null; cl = cl.getParent()) {
            if (cl instanceof URLClassLoader u) {
                for (URL url : u.getURLs()) {
                    try {
                        parts.add(Path.of(url.toURI()).toString());
                    } catch (URISyntaxException | IllegalArgumentException e) {
                        parts.add(url.getPath());
                    }
                }
            }
        }
        for (String s : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
            if (!s.isEmpty()) {
                parts.add(s);
            }
        }
        return String.join(File.pathSeparator, parts);
    }

    /** VmHWM (peak resident set) of this process in bytes, or -1 off Linux. */
    static long peakRss() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmHWM:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** Heap in use after two forced collections. */
    static long heapAfterGc() {
        System.gc();
        System.gc();
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }
}
