package dev.coral.cli;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * One-time work a command's main thread would otherwise do itself, started on a thread of its
 * own before the command line is parsed (picocli takes 60-80 ms of it): the JDK's security
 * providers and SHA-256, which every command that reads an object needs for its id (a fresh JVM's
 * first {@code MessageDigest.getInstance("SHA-256")} and digest took 35-38 ms), and for the
 * commands that read or write object bodies zstd-jni's native library ({@link ZstdNativeLibrary}).
 * Whatever the main thread needs before this thread is done, it waits for or does itself:
 * both are idempotent and thread-safe.
 */
final class StartupWork extends Thread {
    private final boolean zstd;

    private StartupWork(boolean zstd) {
        super("coral-startup");
        this.zstd = zstd;
        setDaemon(true); // never holds up an exit
    }

    /** Starts the work {@code args}' command needs. */
    static void start(String... args) {
        String command = CoralCommand.requestedSubcommand(args);
        // no thread could start (ulimit -u): the main thread does the work as it needs it
        dev.coral.io.Threads.tryStart(new StartupWork(command != null && ZstdNativeLibrary.NEEDED_BY.contains(command)));
    }

    @Override
    public void run() {
        if (zstd) {
            ZstdNativeLibrary.load();
        }
        try {
            MessageDigest.getInstance("SHA-256").digest(new byte[64]);
        } catch (NoSuchAlgorithmException e) {
            // the command reports it when it needs one
        }
    }
}
