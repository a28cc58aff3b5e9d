package dev.coral.repo;

import dev.coral.error.UnknownRevisionException;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectKind;
import dev.coral.store.PackIndex;
import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Turns a revision expression into a commit id, with git's syntax: {@code HEAD}, a branch, a
 * tag (annotated tags are peeled), {@code refs/heads/X}, {@code refs/tags/X}, a full id or a
 * unique prefix of at least 4 hex digits, each followed by any of {@code ~N}, {@code ~},
 * {@code ^}, {@code ^N} (N-th parent). Thread-safe.
 */
public final class RevisionResolver {
    private static final int MIN_PREFIX = 4;
    private final Refs refs;
    private final ObjectGraph graph;

    public RevisionResolver(Refs refs, ObjectGraph graph) {
        this.refs = refs;
        this.graph = graph;
    }

    public ObjectId resolve(String rev) throws IOException {
        if (rev == null || rev.isBlank()) {
            throw new UnknownRevisionException("empty revision");
        }
        int cut = firstSuffix(rev);
        ObjectId id = resolveBase(rev.substring(0, cut), rev);
        int i = cut;
        while (i < rev.length()) {
            char op = rev.charAt(i++);
            int start = i;
            while (i < rev.length() && Character.isDigit(rev.charAt(i))) {
                i++;
            }
            int n;
            try {
                n = start == i ? 1 : Integer.parseInt(rev.substring(start, i));
            } catch (NumberFormatException e) {
                throw new UnknownRevisionException("revision '" + rev + "': bad number");
            }
            if (op == '~') {
                for (int k = 0; k < n; k++) {
                    id = parent(id, 1, rev);
                }
            } else if (op == '^') {
                id = n == 0 ? id : parent(id, n, rev);
            } else {
                throw new UnknownRevisionException("revision '" + rev + "': unexpected '" + op + "'");
            }
        }
        return id;
    }

    /**
     * The name {@code rev} starts from when that name is both a branch and a tag (git's
     * "ambiguous refname": as a revision it is the tag), else null. A full ref name
     * ({@code refs/heads/NAME}), HEAD, {@code @} and ORIG_HEAD are never ambiguous.
     */
    public String ambiguousName(String rev) throws IOException {
        if (rev == null) {
            return null;
        }
        String base = rev.substring(0, firstSuffix(rev));
        if (base.startsWith("refs/") || base.equals("HEAD") || base.equals("@") || base.equals(Refs.ORIG_HEAD) || !refNameOk(base)) {
            return null;
        }
        return refs.tag(base) != null && refs.branch(base) != null ? base : null;
    }

    private static int firstSuffix(String rev) {
        for (int i = 0; i < rev.length(); i++) {
            char c = rev.charAt(i);
            if (c == '~' || c == '^') {
                return i;
            }
        }
        return rev.length();
    }

    private ObjectId parent(ObjectId id, int n, String rev) throws IOException {
        Commit c = graph.commit(id);
        if (c.parents().size() < n) {
            throw new UnknownRevisionException("revision '" + rev + "': commit " + id.abbreviate(12)
                    + (c.parents().isEmpty() ? " has no parent" : " has no parent number " + n));
        }
        return c.parents().get(n - 1);
    }

    private ObjectId resolveBase(String base, String rev) throws IOException {
        if (base.isEmpty()) {
            throw new UnknownRevisionException("revision '" + rev + "': nothing before '~' or '^'");
        }
        if (base.equals("HEAD") || base.equals("@")) {
            ObjectId head = refs.headCommit();
            if (head == null) {
                throw new UnknownRevisionException("revision '" + rev + "': HEAD has no commit yet");
            }
            return head;
        }
        if (base.equals(Refs.ORIG_HEAD)) {
            ObjectId orig = refs.origHead();
            if (orig != null) { // else a branch or tag of that name, as git looks there next
                return requireCommit(orig, rev);
            }
        }
        String branch = base.startsWith("refs/heads/") ? base.substring(11) : base;
        String tag = base.startsWith("refs/tags/") ? base.substring(10) : base;
        ObjectId id = null;
        // a tag before a branch of the same name, as git's rules for revisions say (refs/tags/NAME, then
        // refs/heads/NAME): reset and log took the branch where git takes the tag (found by fuzzing against
        // git); checkout and switch of such a name take the branch, as git's do
        if (!base.startsWith("refs/heads/") && refNameOk(tag)) {
            ObjectId t = refs.tag(tag);
            if (t != null) {
                id = peel(t);
            }
        }
        if (id == null && !base.startsWith("refs/tags/") && refNameOk(branch)) {
            id = refs.branch(branch);
        }
        if (id == null && base.length() >= MIN_PREFIX && base.length() <= 2 * ObjectId.BYTES && ObjectId.isHex(base)) {
            id = byPrefix(base, rev);
        }
        if (id == null) {
            throw unknown(rev, "not a branch, tag or commit id");
        }
        return requireCommit(id, rev);
    }

    /** {@code id}, once it names a stored commit. */
    private ObjectId requireCommit(ObjectId id, String rev) throws IOException {
        ObjectKind kind = graph.kindOf(id);
        if (kind == null) {
            throw unknown(rev, "no such object in the repository");
        }
        if (kind != ObjectKind.COMMIT) {
            throw new UnknownRevisionException("revision '" + rev + "' names " + id.abbreviate(12) + ", which is not a commit");
        }
        return id;
    }

    /** An unknown revision, and why; naming a pack that could not be read, where one could not (the revision may be in it). */
    private UnknownRevisionException unknown(String rev, String why) {
        String unreadable = graph.store().unreadableNote();
        return new UnknownRevisionException("unknown revision '" + rev + "' (" + why
                + (unreadable.isEmpty() ? ")" : "; " + unreadable.substring(2)));
    }

    private static boolean refNameOk(String name) {
        try {
            RefName.check("ref", name);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Follows an annotated tag to its commit. */
    public ObjectId peel(ObjectId id) throws IOException {
        ObjectKind k = graph.kindOf(id);
        return k == ObjectKind.TAG ? graph.tag(id).target() : id;
    }

    private ObjectId byPrefix(String prefix, String rev) throws IOException {
        if (prefix.length() == 64) {
            return ObjectId.fromHex(prefix);
        }
        Set<ObjectId> hits = new LinkedHashSet<>();
        for (PackIndex.Entry e : graph.store().findByPrefix(prefix)) {
            if (e.kind() == ObjectKind.COMMIT || e.kind() == ObjectKind.TAG) {
                hits.add(e.kind() == ObjectKind.TAG ? graph.tag(e.id()).target() : e.id());
            }
        }
        if (hits.size() > 1) {
            throw new UnknownRevisionException("revision '" + rev + "' is ambiguous: " + hits.size() + " commits start with " + prefix);
        }
        return hits.isEmpty() ? null : hits.iterator().next();
    }
}
