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
 * The repository handles a {@code coral batch} process keeps from one command to the next, one
 * per repository root: what a handle holds (the chunks a commit just wrote, which the next
 * commit's deltas are taken against; the pack indexes it read) is not read again per command. A
 * handle is opened afresh when its repository's {@code .coral} folder, settings file or format
 * features file ({@code .coral/format}) is no longer the one it opened (the folder removed and made again, the settings changed by
 * {@code coral config} here or by another process): each is told by its file key (device and
 * inode) and, for the settings, their time stamp, since a folder made again can get the same
 * inode. Commands close what {@link #open} gives them as usual; the handles close with this.
 */
final class SharedHandles implements AutoCloseable {
    /** A kept handle and what it opened: the {@code .coral} folder's and settings file's identities. */
    private record Held(Repository repo, List<Object> opened) {
    }

    private final Map<Path, Held> held = new HashMap<>();

    /** The repository containing {@code start}: its kept handle, retained for the caller to close. */
    Repository open(Path start) throws IOException {
        Path root = Repository.rootOf(start);
        List<Object> opened = identity(root.resolve(".coral"));
        Held h = held.get(root);
        if (h != null && (opened.contains(null) || !opened.equals(h.opened()))) {
            held.remove(root);
            h.repo().close();
            h = null;
        }
        if (h == null) {
            h = new Held(Repository.open(root), opened);
            held.put(root, h);
        }
        return h.repo().retain();
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
    public void close() throws IOException {
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
