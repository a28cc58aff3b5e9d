package dev.coral.repo;

/**
 * How long a read of a working file waits for its stamp to settle first (git's "racy" files, at
 * the read instead of the index). An add compares two stats of the file, before and after its
 * reads, to tell that no writer changed it meanwhile; but a file system stamps a write with the
 * kernel's coarse clock, up to a tick (4 ms at HZ=250, 10 ms at 100) behind the clock Java reads,
 * unless the kernel gives fine stamps to files whose times were just read (Linux 6.13 and later,
 * "multigrain" times). On the older ones, a second write of the same size within the tick of the
 * first keeps size, modification and change times, so a read begun between the two took bytes of
 * both unnoticed: the commit recorded a hash and chunks of different bytes, a version no checkout
 * can write back. A stat taken when the stamp is older than a tick needs no wait: any later write
 * is stamped later; nor does one on a kernel and file system that stamp finely
 * ({@link #finelyStamped}).
 */
final class StampSettling {
    /** Twice the coarsest kernel tick in use (10 ms at HZ=100). */
    static final long FINE_NANOS = 20_000_000L;

    /**
     * For a stamp in whole seconds (FAT keeps two; a second is the unit of file systems without
     * finer times): two seconds, and the tick. A file system with finer times stamps a whole
     * second once in a billion writes, and waits for nothing then.
     */
    static final long WHOLE_SECONDS_NANOS = 2_000_000_000L + FINE_NANOS;

    /**
     * The file systems that stamp a write finely once the file's times were read, from Linux 6.13
     * (its multigrain times: the stat before the read asks for them).
     */
    private static final java.util.Set<String> MULTIGRAIN_TYPES = java.util.Set.of("ext4", "xfs", "btrfs", "tmpfs");

    /** {@code -Dcoral.fileTimes=coarse}: wait on any file system (tests; a file system that stamps by another's clock). */
    static final String PROPERTY = "coral.fileTimes";

    private static final java.util.Map<Object, Boolean> FINE_BY_DEVICE = new java.util.concurrent.ConcurrentHashMap<>();

    private StampSettling() {
    }

    /**
     * Whether writes to {@code file} (on the device {@code device}, its key for the answer; null:
     * not kept) are stamped finely after a stat, so that a stat needs no wait: Linux 6.13 or later
     * and one of {@link #MULTIGRAIN_TYPES}. Anything else, or a file system that cannot be told,
     * waits.
     */
    static boolean finelyStamped(java.nio.file.Path file, Object device) {
        if ("coarse".equals(System.getProperty(PROPERTY))) {
            return false;
        }
        if (!multigrainKernel(System.getProperty("os.name"), System.getProperty("os.version"))) {
            return false;
        }
        if (device == null) {
            return typeIsMultigrain(file);
        }
        return FINE_BY_DEVICE.computeIfAbsent(device, d -> typeIsMultigrain(file));
    }

    private static boolean typeIsMultigrain(java.nio.file.Path file) {
        try {
            return MULTIGRAIN_TYPES.contains(java.nio.file.Files.getFileStore(file).type());
        } catch (java.io.IOException | RuntimeException cannotTell) {
            return false;
        }
    }

    /** Whether {@code osName} and {@code osVersion} (Java's) are Linux 6.13 or later. */
    static boolean multigrainKernel(String osName, String osVersion) {
        if (!"Linux".equals(osName) || osVersion == null) {
            return false;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\d+)\\.(\\d+)").matcher(osVersion);
        if (!m.find()) {
            return false;
        }
        try {
            int major = Integer.parseInt(m.group(1));
            int minor = Integer.parseInt(m.group(2));
            return major > 6 || (major == 6 && minor >= 13);
        } catch (NumberFormatException huge) {
            return false;
        }
    }

    /**
     * How long to wait, from {@code nowNanos} (the wall clock, nanoseconds since the epoch), until
     * a file last stamped at {@code newestStampNanos} (the later of its modification and change
     * times, the same scale) is old enough to tell any later write: 0 when it is, and when the
     * stamp lies more than that age ahead of the clock (a time set by hand, another machine's
     * clock): such a stamp is not waited for, and the file is read as before.
     */
    static long waitNanos(long newestStampNanos, long nowNanos) {
        long window = newestStampNanos % 1_000_000_000L == 0 ? WHOLE_SECONDS_NANOS : FINE_NANOS;
        long wait = newestStampNanos + window - nowNanos;
        return wait <= 0 || wait > 2 * window ? 0 : wait;
    }

    /** The wall clock in nanoseconds since the epoch, as finely as the platform gives it. */
    static long nowNanos() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
