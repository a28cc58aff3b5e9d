package dev.coral.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Which boot of the machine this process runs in: Linux's {@code /proc/sys/kernel/random/boot_id},
 * a random id the kernel draws at every boot. A file written without fsync survives the crash of
 * the process that wrote it (its bytes are in the kernel's page cache), but not necessarily a crash
 * of the machine; after one, the machine has booted again and the id differs. So a record of what
 * was written unsynced, and in which boot, tells whether those files can still be trusted.
 * Empty where the platform has no such id (macOS, Windows): there, files are fsynced instead.
 */
public final class BootId {
    private static final Path SOURCE = Path.of("/proc/sys/kernel/random/boot_id");
    private static final Optional<String> CURRENT = read(SOURCE);

    private BootId() {
    }

    /** This boot's id, or empty when the platform cannot tell one boot from the next. */
    public static Optional<String> current() {
        return CURRENT;
    }

    /** The id in {@code file}: its first line, trimmed; empty if unreadable or blank. */
    static Optional<String> read(Path file) {
        try {
            String s = new String(Files.readAllBytes(file), StandardCharsets.US_ASCII).trim();
            int nl = s.indexOf('\n');
            s = nl >= 0 ? s.substring(0, nl).trim() : s;
            return s.isEmpty() ? Optional.empty() : Optional.of(s);
        } catch (IOException | SecurityException e) {
            return Optional.empty();
        }
    }
}
