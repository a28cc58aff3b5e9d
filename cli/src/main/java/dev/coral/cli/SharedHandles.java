package dev.coral.cli;

import dev.coral.api.Repository;
import dev.coral.repo.FormatFeatures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The repository handles a {@code coral batch} process or a {@code coral daemon} keeps from one command to the next, one
 * per repository root: what a handle holds (the chunks a commit just wrote, which the next
 * commit's deltas are taken against; the pack indexes it read) is not read again per command. A
 * handle is opened afresh when its repository's {@code .coral} folder, settings file or format
 * features file ({@code .coral/format}) is no longer the one it opened (the folder removed and made again, the settings changed by
 * {@code coral config} here or by another process): each is told by its file key (device and
 * inode) and, for the settings, their time stamp, since a folder made again can get the same
 * inode. Commands close what {@link #open} gives them as usual; the handles close with this.
 * At most {@link #MOST_KEPT} are kept, the least lately given out closed beyond that.
 */
final class SharedHandles implements AutoCloseable {
    /**
     * Most handles kept: a script going through many repositories kept every one it had opened
     * (their open packs, chunk-cache writer threads and about 3 MB of heap each, measured at
     * -Xmx120m on 2026-12-07) until it ended. Closing one writes what it kept of its newest
     * chunks to its disk cache; opened again it reads its pack indexes again, as a command of its
     * own does.
     */
    static final int MOST_KEPT = 16;
    /** A kept handle, what it opened (the {@code .coral} folder's and settings file's identities), and when it was last given out. */
    private record Held(Repository repo, List<Object> opened, long usedNanos) {
    }

    private final Map<Path, Held> held = new HashMap<>();

    /**
     * The repository containing {@code start}: its kept handle, retained for the caller to close.
     * Thread-safe ({@code coral daemon} runs commands at once; a {@link Repository} is thread-safe).
     */
    synchronized Repository open(Path start) throws IOException {
        Path root = Repository.rootOf(start);
        List<Object> opened = identity(root.resolve(".coral"));
        Held h = held.get(root);
        if (h != null && (opened.contains(null) || !opened.equals(h.opened()))) {
            held.remove(root);
            h.repo().close();
            h = null;
        }
        Repository repo = h == null ? Repository.open(root) : h.repo();
        held.put(root, new Held(repo, opened, System.nanoTime()));
        Repository given = repo.retain();
        while (held.size() > MOST_KEPT) {
            Map.Entry<Path, Held> oldest = null;
            for (Map.Entry<Path, Held> e : held.entrySet()) {
                if (oldest == null || e.getValue().usedNanos() - oldest.getValue().usedNanos() < 0) {
                    oldest = e;
                }
            }
            held.remove(oldest.getKey());
            oldest.getValue().repo().close(); // a command still holding it keeps it until it closes it
        }
        return given;
    }

    /**
     * Closes the kept handles not given out for {@code nanos} (a daemon lets go of repositories no
     * longer worked on: their caches, open packs); commands that still hold one keep it until they close it.
     */
    synchronized void closeUnused(long nanos) throws IOException {
        long now = System.nanoTime();
        for (java.util.Iterator<Held> it = held.values().iterator(); it.hasNext(); ) {
            Held h = it.next();
            if (now - h.usedNanos() > nanos) {
                it.remove();
                h.repo().close();
            }
        }
    }

    /**
     * The folder's file key, and the settings file's and the format features file's keys and time
     * stamps (null where the file system has no key): a feature another process declared is
     * checked by the handle opened again.
     */
    private static List<Object> identity(Path coral) throws IOException {
        Object folder = Files.readAttributes(coral, BasicFileAttributes.class).fileKey();
        List<Object> id = new java.util.ArrayList<>(java.util.Arrays.asList(folder));
        for (String name : List.of("config", FormatFeatures.FILE)) {
            Path file = coral.resolve(name);
            if (!Files.exists(file)) {
                id.add("no " + name + " file");
                continue;
            }
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            id.add(a.fileKey());
            id.add(a.lastModifiedTime());
        }
        return id;
    }

    @Override
    public synchronized void close() throws IOException {
        IOException first = null;
        for (Held h : held.values()) {
            try {
                h.repo().close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        held.clear();
        if (first != null) {
            throw first;
        }
    }
}
