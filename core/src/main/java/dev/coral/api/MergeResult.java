package dev.coral.api;

import dev.coral.store.ObjectId;
import java.util.List;

/**
 * What {@link Repository#merge} did: its outcome, the commit HEAD is at after it, and the files
 * it took from the other side, averaged, or removed (each sorted).
 */
public record MergeResult(Outcome outcome, ObjectId commit, List<String> taken, List<String> averaged, List<String> removed) {
    /** Nothing to do (the other side is already in this history), a fast-forward, or a merge commit. */
    public enum Outcome { UP_TO_DATE, FAST_FORWARD, MERGED }

    public MergeResult {
        taken = List.copyOf(taken);
        averaged = List.copyOf(averaged);
        removed = List.copyOf(removed);
    }
}
