package dev.coral.maintenance;

import java.util.List;

/**
 * What {@code coral fsck} found: problems (damage: exit code 1), warnings (leftovers of dead
 * writers, stale locks, a stale multi-pack index: {@code coral gc} or {@code --rebuild-index}
 * clears them), what {@code --rebuild-index} rewrote, and how much was checked. Immutable.
 */
public record FsckReport(List<Finding> problems, List<Finding> warnings, List<String> repairs,
                         int packs, long packedObjects, long reachableObjects, long commits, long chunksVerified) {
    public FsckReport {
        problems = List.copyOf(problems);
        warnings = List.copyOf(warnings);
        repairs = List.copyOf(repairs);
    }

    /** True when no problem was found (warnings allowed). */
    public boolean clean() {
        return problems.isEmpty();
    }
}
