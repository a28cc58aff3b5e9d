package dev.coral.repo;

import dev.coral.io.AtomicFile;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Temporary files a checkout that died (a killed process, a crash of the machine) left beside the
 * files it was writing: {@code .tmp-NAME-UUID} ({@link AtomicFile#tempSibling}), either the new
 * file, partly written, or the old one, set aside for a moment before the new one took its name.
 * Nothing else would ever remove them (status and add pass over them), and each is as large as a
 * checkpoint. A checkout removes those of the files it writes, under the index lock, so no other
 * checkout is writing them; a leftover younger than {@link #MIN_AGE_MILLIS} is kept, in case an
 * {@code export -o} (which takes no lock) is writing it now. Best effort: a leftover that cannot be
 * removed is left, and the checkout goes on.
 */
public final class WorkTreeLeftovers {
    /** Leftovers modified this recently are kept (an export to that name may be writing one). */
    public static final long MIN_AGE_MILLIS = 60_000;

    private static final Pattern UUID_SUFFIX =
            Pattern.compile("-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$");

    /** "-" and a UUID's 36 characters. */
    private static final int UUID_SUFFIX_LENGTH = 37;

    private WorkTreeLeftovers() {
    }

    /**
     * Removes the temporary files named for any of {@code files} beside it that are regular files
     * older than {@link #MIN_AGE_MILLIS} at {@code nowMillis}; each folder is listed once. Returns
     * how many were removed.
     */
    public static int removeStale(Collection<Path> files, long nowMillis) {
        Map<Path, Set<String>> byFolder = new HashMap<>();
        for (Path f : files) {
            Path abs = f.toAbsolutePath();
            if (abs.getParent() != null && abs.getFileName() != null) {
                byFolder.computeIfAbsent(abs.getParent(), k -> new HashSet<>()).add(AtomicFile.tempStem(abs.getFileName().toString()));
            }
        }
        int removed = 0;
        for (Map.Entry<Path, Set<String>> e : byFolder.entrySet()) {
            removed += removeStaleIn(e.getKey(), e.getValue(), nowMillis);
        }
        return removed;
    }

    private static int removeStaleIn(Path folder, Set<String> names, long nowMillis) {
        int removed = 0;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(folder, AtomicFile.TEMP_PREFIX + "*")) {
            for (Path p : s) {
                if (isLeftoverOf(p.getFileName().toString(), names) && isStale(p, nowMillis)) {
                    try {
                        Files.deleteIfExists(p);
                        removed++;
                    } catch (IOException ignored) {
                        // best effort: left for the next checkout
                    }
                }
            }
        } catch (IOException ignored) {
            // a folder that cannot be listed keeps its leftovers; the checkout reports its own errors
        }
        return removed;
    }

    /**
     * Whether {@code fileName} is the temporary name of a weight file ({@code .tmp-NAME-UUID}, NAME
     * a weight file's name, or the start of one too long to keep whole), whichever file that is:
     * what {@code status} lists and {@code gc} removes once it is {@link #MIN_AGE_MILLIS} old.
     */
    public static boolean isLeftoverName(String fileName) {
        int nameEnd = fileName.length() - UUID_SUFFIX_LENGTH;
        if (!fileName.startsWith(AtomicFile.TEMP_PREFIX) || nameEnd <= AtomicFile.TEMP_PREFIX.length()
                || !UUID_SUFFIX.matcher(fileName).find()) {
            return false;
        }
        String name = fileName.substring(AtomicFile.TEMP_PREFIX.length(), nameEnd);
        // a stem one more character (of up to four bytes) would not fit is the cut start of a longer name
        String longer = name + "\uD83D\uDE00";
        return WorkTree.isWeightFile(Path.of(name)) || !AtomicFile.tempStem(longer).equals(longer);
    }

    /** Whether {@code p} is a regular file last modified at least {@link #MIN_AGE_MILLIS} before {@code nowMillis}. */
    public static boolean isStale(Path p, long nowMillis) {
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return a.isRegularFile() && nowMillis - a.lastModifiedTime().toMillis() >= MIN_AGE_MILLIS;
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether {@code fileName} is {@code .tmp-STEM-UUID} for one of {@code stems} ({@link AtomicFile#tempStem} of the names). */
    static boolean isLeftoverOf(String fileName, Set<String> stems) {
        int nameEnd = fileName.length() - UUID_SUFFIX_LENGTH;
        if (!fileName.startsWith(AtomicFile.TEMP_PREFIX) || nameEnd <= AtomicFile.TEMP_PREFIX.length()
                || !UUID_SUFFIX.matcher(fileName).find()) {
            return false;
        }
        String name = fileName.substring(AtomicFile.TEMP_PREFIX.length(), nameEnd);
        return stems.contains(name);
    }

}
