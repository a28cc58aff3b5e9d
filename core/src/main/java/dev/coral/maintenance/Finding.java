package dev.coral.maintenance;

import dev.coral.store.ObjectId;
import java.util.List;
import java.util.Set;

/**
 * One problem or warning {@code coral fsck} found: the file at fault (relative to {@code .coral}),
 * what is wrong, and what it affects (phrases such as {@code tensor 'w' of model.safetensors in
 * commits 1a2b3c4, 9f8e7d6}, plus the full commit ids and {@code path:tensor} names for tools).
 */
public record Finding(String file, String message, List<String> affected, Set<ObjectId> commits, Set<String> tensors) {
    public Finding {
        affected = List.copyOf(affected);
        commits = Set.copyOf(commits);
        tensors = Set.copyOf(tensors);
    }

    static Finding of(String file, String message) {
        return new Finding(file, message, List.of(), Set.of(), Set.of());
    }

    /** The finding as one line: {@code FILE: MESSAGE[: affects ...]}. */
    public String line() {
        return file + ": " + message + (affected.isEmpty() ? "" : ": affects " + String.join("; ", affected));
    }
}
