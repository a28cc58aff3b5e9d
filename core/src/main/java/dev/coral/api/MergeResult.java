package dev.coral.api;

import dev.coral.store.ObjectId;
import java.util.List;

/**
 * What {@link Repository#merge} did: its outcome, the commit HEAD is at after it, and the files
 * it took from the other side, averaged, or removed (each sorted); {@code leftAsFound}, those of
 * the files it took that another process wrote while it ran, left as written, the merge's
 * version committed under them (a local change now; see {@link Repository.CheckoutResult}).
 */
public record MergeResult(Outcome outcome, ObjectId commit, List<String> taken, List<String> averaged, List<String> removed,
                          List<String> leftAsFound) {
    /** Nothing to do (the other side is already in this history), a fast-forward, or a merge commit. */
    public enum Outcome { UP_TO_DATE, FAST_FORWARD, MERGED }

    public MergeResult {
        taken = List.copyOf(taken);
        averaged = List.copyOf(averaged);
        removed = List.copyOf(removed);
        leftAsFound = List.copyOf(leftAsFound);
    }

    public MergeResult(Outcome outcome, ObjectId commit, List<String> taken, List<String> averaged, List<String> removed) {
        this(outcome, commit, taken, averaged, removed, List.of());
    }
}
