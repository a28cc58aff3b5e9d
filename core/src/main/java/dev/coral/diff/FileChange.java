package dev.coral.diff;

import java.util.List;

/**
 * One tracked file, from one version to the other: {@code tensors} in the newer version's order,
 * then the ones it no longer has. A file {@link Kind#MODIFIED} whose tensors are all unchanged
 * differs elsewhere (its header's metadata, or an npz's zip bytes).
 */
public record FileChange(String path, Kind kind, List<TensorChange> tensors) {
    /** What happened to the file. */
    public enum Kind {
        ADDED,
        DELETED,
        MODIFIED;

        /** The word output uses for it: lower case. */
        public String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** How many of its tensors changed (anything but {@link TensorChange.Kind#UNCHANGED}). */
    public long tensorsChanged() {
        return tensors.stream().filter(t -> t.kind() != TensorChange.Kind.UNCHANGED).count();
    }
}
