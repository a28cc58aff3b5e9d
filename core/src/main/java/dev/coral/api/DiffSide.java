package dev.coral.api;

/**
 * One side of {@link Repository#diff}: a revision's files, the staged files (the staging index),
 * or the working files of the tracked paths.
 */
public record DiffSide(Where where, String revision) {
    /** Which files a side holds. */
    public enum Where { REVISION, INDEX, WORK_TREE, NOTHING }

    /** No files (the side of a branch before its first commit). */
    public static final DiffSide NOTHING = new DiffSide(Where.NOTHING, null);
    /** What is staged. */
    public static final DiffSide INDEX = new DiffSide(Where.INDEX, null);
    /** The working files of the paths the staging index tracks (untracked files are left out, as by git diff). */
    public static final DiffSide WORK_TREE = new DiffSide(Where.WORK_TREE, null);

    public DiffSide {
        if ((where == Where.REVISION) != (revision != null)) {
            throw new IllegalArgumentException("a revision side names its revision, no other side does");
        }
    }

    /** The files of {@code revision} (a branch, tag, commit id or HEAD~N). */
    public static DiffSide revision(String revision) {
        return new DiffSide(Where.REVISION, java.util.Objects.requireNonNull(revision, "revision"));
    }
}
