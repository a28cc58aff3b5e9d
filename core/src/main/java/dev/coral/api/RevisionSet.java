package dev.coral.api;

import dev.coral.error.UnknownRevisionException;
import dev.coral.repo.RangeWalk;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The commits {@code coral log} lists, as git's revision arguments name them: each {@code REV}
 * and its ancestors, but none reachable from a {@code ^REV}; {@code A..B} is {@code B ^A} (what
 * B has that A has not), {@code A...B} is {@code A B} without what both have (their merge bases
 * and below); a side left out of a range is HEAD. Resolved, in the order given, for
 * {@link dev.coral.repo.RangeWalk}, which walks them as git does.
 */
public record RevisionSet(List<RangeWalk.Revision> revisions) {
    public RevisionSet {
        revisions = List.copyOf(revisions);
    }

    /** Resolves {@code revisions} (none: HEAD); throws naming the first that names no commit. */
    public static RevisionSet parse(Repository repo, List<String> revisions) throws IOException {
        List<RangeWalk.Revision> out = new ArrayList<>();
        if (revisions.isEmpty()) {
            out.add(new RangeWalk.One(repo.resolve("HEAD"), false));
        }
        for (String r : revisions) {
            Sides range = Sides.of(r);
            if (r.startsWith("^")) {
                out.add(new RangeWalk.One(one(repo, r.substring(1), r), true));
            } else if (range == null) {
                out.add(new RangeWalk.One(one(repo, r, r), false));
            } else {
                out.add(new RangeWalk.Range(one(repo, range.a(), r), one(repo, range.b(), r), range.symmetric()));
            }
        }
        return new RevisionSet(out);
    }

    /**
     * {@code git log --all}: every branch's and tag's commit, then HEAD's, before the revisions
     * given ({@code revisions}, which may leave some out); an empty repository has none.
     */
    public static RevisionSet all(Repository repo, List<String> revisions) throws IOException {
        List<RangeWalk.Revision> out = new ArrayList<>();
        for (String b : new java.util.TreeSet<>(repo.branches())) {
            ObjectId tip = repo.branchTip(b);
            if (tip != null) {
                out.add(new RangeWalk.One(tip, false));
            }
        }
        for (String t : new java.util.TreeSet<>(repo.tags())) {
            out.add(new RangeWalk.One(repo.resolve("refs/tags/" + t), false));
        }
        if (repo.headCommit() != null) {
            out.add(new RangeWalk.One(repo.headCommit(), false));
        }
        if (!revisions.isEmpty()) {
            out.addAll(parse(repo, revisions).revisions());
        }
        return new RevisionSet(out);
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
     * since it left A's history; of several bases the newest, with a warning, as git's diff). A
     * side left out is HEAD. Throws when a side names no commit, or A and B share no history.
     */
    public static DiffRange diffRange(Repository repo, String range) throws IOException {
        Sides sides = Sides.of(range);
        if (sides == null) {
            throw new UnknownRevisionException("'" + range + "' is not a range A..B or A...B");
        }
        String a = sides.a();
        String b = sides.b();
        ObjectId from = one(repo, a, range);
        ObjectId to = one(repo, b, range);
        if (!sides.symmetric()) {
            return new DiffRange(a, b, null);
        }
        List<ObjectId> bases = new RangeWalk(repo.graph()).mergeBases(from, to); // newest first: git's diff takes the first
        if (bases.isEmpty()) {
            throw new UnknownRevisionException(range + ": " + a + " and " + b + " have no common ancestor");
        }
        String warning = bases.size() == 1 ? null : range + ": " + bases.size() + " merge bases, using " + bases.get(0).abbreviate(12);
        return new DiffRange(bases.get(0).hex(), b, warning);
    }

    /** The two revisions a diff range compares, and what to warn of (null: nothing). */
    public record DiffRange(String from, String to, String warning) {
    }

    /** The revisions {@code arg} names, as written: itself, without a leading {@code ^}, or a range's two sides (HEAD for one left out). */
    public static List<String> names(String arg) {
        Sides range = Sides.of(arg);
        return range != null ? List.of(range.a(), range.b()) : List.of(arg.startsWith("^") ? arg.substring(1) : arg);
    }

    /** The two sides of {@code A..B} or {@code A...B} as written, HEAD for one left out, split at the first {@code ..} as git does. */
    private record Sides(String a, String b, boolean symmetric) {
        /** The sides of {@code range}; null when it has no {@code ..}. */
        static Sides of(String range) {
            int dots = range.indexOf("..");
            if (dots < 0) {
                return null;
            }
            boolean symmetric = range.startsWith("...", dots);
            return new Sides(orHead(range.substring(0, dots)), orHead(range.substring(dots + (symmetric ? 3 : 2))), symmetric);
        }

        private static String orHead(String s) {
            return s.isEmpty() ? "HEAD" : s;
        }
    }

    private static ObjectId one(Repository repo, String rev, String whole) throws IOException {
        try {
            return repo.resolve(rev);
        } catch (UnknownRevisionException e) {
            throw rev.equals(whole) ? e : new UnknownRevisionException("unknown revision '" + rev + "' in '" + whole + "'");
        }
    }
}
