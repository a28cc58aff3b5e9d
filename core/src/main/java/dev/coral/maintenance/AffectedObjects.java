package dev.coral.maintenance;

import dev.coral.store.ObjectId;
import dev.coral.store.ObjectKind;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Traces damaged objects up a finished {@link ObjectWalk} to what a user knows: which tensors of
 * which files in which commits (or the staging index) cannot be read because of them. A damaged
 * chunk also affects every chunk stored as a delta against it, and their tensors.
 */
final class AffectedObjects {
    private static final int MAX_LISTED = 6;

    private final ObjectWalk walk;

    AffectedObjects(ObjectWalk walk) {
        this.walk = walk;
    }

    /** What damage to {@code objects} affects, as phrases, commit ids and {@code path:tensor} names. */
    record Affected(List<String> phrases, Set<ObjectId> commits, Set<String> tensors, boolean staged) {
        static final Affected NONE = new Affected(List.of(), Set.of(), Set.of(), false);

        boolean isEmpty() {
            return phrases.isEmpty();
        }
    }

    Affected of(Collection<ObjectId> objects) {
        // subject ("tensor 'w' of model.safetensors") -> where (commits; STAGING for the index)
        Map<String, Set<ObjectId>> places = new LinkedHashMap<>();
        Set<ObjectId> commits = new LinkedHashSet<>();
        Set<String> tensors = new LinkedHashSet<>();
        boolean staged = false;
        for (ObjectId id : objects) {
            ObjectKind kind = walk.reached().get(id);
            if (kind == null) {
                continue; // not reachable: affects nothing anyone can check out
            }
            switch (kind) {
                case CHUNK -> {
                    for (ObjectId c : withDeltaDependents(id)) {
                        for (ObjectWalk.Edge t : walk.referrers(c)) {
                            if (t.fromKind() == ObjectKind.TENSOR) {
                                tensorPlaces(t.from(), places, tensors);
                            }
                        }
                    }
                }
                case TENSOR -> tensorPlaces(id, places, tensors);
                case FILE -> filePlaces(id, "file ", places);
                case TREE -> {
                    for (ObjectWalk.Edge c : walk.referrers(id)) {
                        places.computeIfAbsent("every file", k -> new LinkedHashSet<>()).add(c.from());
                    }
                }
                case COMMIT -> places.computeIfAbsent("every file", k -> new LinkedHashSet<>()).add(id);
                case TAG -> places.computeIfAbsent("annotated tag " + id.abbreviate(7), k -> new LinkedHashSet<>());
            }
        }
        List<String> phrases = new ArrayList<>();
        for (Map.Entry<String, Set<ObjectId>> e : places.entrySet()) {
            List<String> ids = new ArrayList<>();
            boolean inIndex = false;
            for (ObjectId c : e.getValue()) {
                if (c.equals(ObjectWalk.STAGING)) {
                    inIndex = true;
                } else {
                    commits.add(c);
                    ids.add(c.abbreviate(7));
                }
            }
            staged |= inIndex;
            StringBuilder sb = new StringBuilder(e.getKey());
            if (!ids.isEmpty()) {
                sb.append(ids.size() == 1 ? " in commit " : " in commits ").append(list(ids));
            }
            if (inIndex) {
                sb.append(ids.isEmpty() ? " in the staging index" : " and the staging index");
            }
            phrases.add(sb.toString());
        }
        if (phrases.size() > MAX_LISTED) {
            int more = phrases.size() - MAX_LISTED;
            phrases = new ArrayList<>(phrases.subList(0, MAX_LISTED));
            phrases.add("and " + more + " more");
        }
        return new Affected(phrases, commits, tensors, staged);
    }

    /** The chunk and every chunk stored as a delta on it, directly or down a chain. */
    private Set<ObjectId> withDeltaDependents(ObjectId chunk) {
        Set<ObjectId> out = new LinkedHashSet<>();
        Deque<ObjectId> todo = new ArrayDeque<>();
        todo.add(chunk);
        while (!todo.isEmpty()) {
            ObjectId c = todo.pop();
            if (out.add(c)) {
                for (ObjectWalk.Edge e : walk.referrers(c)) {
                    if (e.fromKind() == ObjectKind.CHUNK) {
                        todo.add(e.from());
                    }
                }
            }
        }
        return out;
    }

    private void tensorPlaces(ObjectId tensor, Map<String, Set<ObjectId>> places, Set<String> tensors) {
        for (ObjectWalk.Edge f : walk.referrers(tensor)) {
            if (f.fromKind() == ObjectKind.FILE) {
                filePlaces(f.from(), "tensor '" + f.label() + "' of ", places);
                for (ObjectWalk.Edge t : walk.referrers(f.from())) {
                    tensors.add(t.label() + ":" + f.label());
                }
            }
        }
    }

    /** Adds "{@code prefix}PATH" for each path the file entry is at, with the commits holding it. */
    private void filePlaces(ObjectId fileEntry, String prefix, Map<String, Set<ObjectId>> places) {
        for (ObjectWalk.Edge t : walk.referrers(fileEntry)) {
            Set<ObjectId> where = places.computeIfAbsent(prefix + t.label(), k -> new LinkedHashSet<>());
            if (t.fromKind() == null) {
                where.add(ObjectWalk.STAGING);
            } else {
                for (ObjectWalk.Edge c : walk.referrers(t.from())) {
                    if (c.fromKind() == ObjectKind.COMMIT) {
                        where.add(c.from());
                    }
                }
            }
        }
    }

    /** Whether {@code id}'s failure is explained by damage to an object it depends on (its delta chain). */
    static boolean dependsOn(ObjectId id, Map<ObjectId, ObjectId> deltaBases, Set<ObjectId> damaged) {
        Set<ObjectId> seen = new HashSet<>();
        ObjectId c = deltaBases.get(id);
        while (c != null && seen.add(c)) {
            if (damaged.contains(c)) {
                return true;
            }
            c = deltaBases.get(c);
        }
        return false;
    }

    private static String list(List<String> ids) {
        if (ids.size() <= MAX_LISTED) {
            return String.join(", ", ids);
        }
        return String.join(", ", ids.subList(0, MAX_LISTED)) + " and " + (ids.size() - MAX_LISTED) + " more";
    }
}
