package dev.coral.api;

import dev.coral.store.ObjectId;
import java.util.List;

/**
 * What {@code coral status} shows: the branch (null when HEAD is detached), the HEAD commit (null
 * before the first commit), changes staged for the next commit, changes in the working folder not
 * staged, weight files nobody tracks, weight files no repository path can name (a backslash
 * in a name: {@code unstorable}, as the folder's own names relative to the root), and the
 * temporary files a killed checkout, merge or export left beside weight files, a minute old or
 * more ({@code leftovers}, the same way; {@code coral gc} removes them, as does the next checkout
 * of their file).
 */
public record Status(String branch, ObjectId head, List<Change> staged, List<Change> notStaged, List<String> untracked,
                     List<String> unstorable, List<String> leftovers) {
    /** How a path changed. */
    public enum Kind { ADDED, MODIFIED, DELETED }

    /** One changed path. */
    public record Change(Kind kind, String path) {
    }

    /** No change staged and none in the working folder; untracked files aside (as {@code git diff --quiet HEAD}). */
    public boolean isClean() {
        return staged.isEmpty() && notStaged.isEmpty();
    }

    /** As {@link #isClean}, and no untracked or unstorable weight file either: what git calls a clean working tree. */
    public boolean isWorkingTreeClean() {
        return isClean() && untracked.isEmpty() && unstorable.isEmpty();
    }
}
