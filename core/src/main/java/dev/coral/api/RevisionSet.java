package dev.coral.api;

import dev.coral.error.UnknownRevisionException;
import dev.coral.repo.CommitWalk;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The commits {@code coral log} lists, as git's revision arguments name them: each {@code REV}
 * and its ancestors, but none reachable from a {@code ^REV}; {@code A..B} is {@code B ^A} (what
 * B has that A has not), {@code A...B} is {@code A B} without what both have (their merge bases
 * and below); a side left out of a range is HEAD. {@code starts} and {@code bottoms} are the
 * resolved positive and negative commits, in the order given.
 */
public record RevisionSet(List<ObjectId> starts, List<ObjectId> bottoms) {
    public RevisionSet {
        starts = List.copyOf(starts);
        bottoms = List.copyOf(bottoms);
    }

    /** Resolves {@code revisions} (none: HEAD); throws naming the first that names no commit. */
    public static RevisionSet parse(Repository repo, List<String> revisions) throws IOException {
        Set<ObjectId> starts = new LinkedHashSet<>();
        Set<ObjectId> bottoms = new LinkedHashSet<>();
        if (revisions.isEmpty()) {
            starts.add(repo.resolve("HEAD"));
        }
        for (String r : revisions) {
            int dots = r.indexOf("..");
            if (r.startsWith("^")) {
                bottoms.add(one(repo, r.substring(1), r));
            } else if (dots < 0) {
                starts.add(one(repo, r, r));
            } else {
                boolean symmetric = r.startsWith("...", dots);
                ObjectId a = one(repo, side(r.substring(0, dots)), r);
                ObjectId b = one(repo, side(r.substring(dots + (symmetric ? 3 : 2))), r);
                if (symmetric) {
                    starts.add(a);
                    starts.add(b);
                    bottoms.addAll(new CommitWalk(repo.graph()).mergeBases(a, b));
                } else {
                    starts.add(b);
                    bottoms.add(a);
                }
            }
        }
        return new RevisionSet(new ArrayList<>(starts), new ArrayList<>(bottoms));
    }

    /** Whether {@code s} is a revision argument of {@code repo}: a revision, {@code ^REV}, or a range of two. */
    public static boolean isRevision(Repository repo, String s) throws IOException {
        try {
            parse(repo, List.of(s));
            return true;
        } catch (UnknownRevisionException e) {
            return false;
        }
    }

    /** Whether {@code s} is written as a range or an exclusion (contains {@code ..}, or starts with {@code ^}). */
    public static boolean isRangeNotation(String s) {
        return s.startsWith("^") || s.contains("..");
    }

    /**
     * The two revisions {@code coral diff A..B} compares, as git's diff reads a range: A and B
     * ({@code A..B} is {@code A B}), or for {@code A...B} their merge base and B (what B changed
     * since it left A's history; of several bases the first by id, a warning aside, as git takes
     * one). A side left out is HEAD. Throws when a side names no commit, or A and B share no history.
     */
    public static DiffRange diffRange(Repository repo, String range) throws IOException {
        int dots = range.indexOf("..");
        if (dots < 0) {
            throw new UnknownRevisionException("'" + range + "' is not a range A..B or A...B");
        }
        boolean symmetric = range.startsWith("...", dots);
        String a = side(range.substring(0, dots));
        String b = side(range.substring(dots + (symmetric ? 3 : 2)));
        ObjectId from = one(repo, a, range);
        one(repo, b, range);
        if (!symmetric) {
            return new DiffRange(a, b, null);
        }
        List<ObjectId> bases = new ArrayList<>(new CommitWalk(repo.graph()).mergeBases(from, repo.resolve(b)));
        if (bases.isEmpty()) {
            throw new UnknownRevisionException(range + ": " + a + " and " + b + " have no common ancestor");
        }
        java.util.Collections.sort(bases);
        String warning = bases.size() == 1 ? null : range + ": " + bases.size() + " merge bases, using " + bases.get(0).abbreviate(12);
        return new DiffRange(bases.get(0).hex(), b, warning);
    }

    /** The two revisions a diff range compares, and what to warn of (null: nothing). */
    public record DiffRange(String from, String to, String warning) {
    }

    private static String side(String s) {
        return s.isEmpty() ? "HEAD" : s;
    }

    private static ObjectId one(Repository repo, String rev, String whole) throws IOException {
        try {
            return repo.resolve(rev);
        } catch (UnknownRevisionException e) {
            throw rev.equals(whole) ? e : new UnknownRevisionException("unknown revision '" + rev + "' in '" + whole + "'");
        }
    }
}
