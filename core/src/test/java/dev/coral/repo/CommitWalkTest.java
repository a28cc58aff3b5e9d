package dev.coral.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.store.ObjectId;
import dev.coral.store.ObjectInserter;
import dev.coral.store.ObjectStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link CommitWalk#parentsFirst}: every commit after all its parents whatever their time stamps
 * (a clock that went back, commits of one millisecond), ties oldest first. Repack, the
 * similarity index's rebuild and {@code stats --clusters} follow lineages in this order; sorting
 * by time alone, as repack did, put a child first when the clock had gone back.
 */
class CommitWalkTest {
    @TempDir
    Path dir;

    @RepeatedTest(20)
    void everyCommitComesAfterItsParentsWhateverTheClockSaid(RepetitionInfo rep) throws IOException {
        long seed = 7919L * rep.getCurrentRepetition();
        Random r = new Random(seed);
        List<ObjectId> commits = new ArrayList<>();
        Map<ObjectId, List<ObjectId>> parents = new HashMap<>();
        try (ObjectStore store = new ObjectStore(dir.resolve("packs" + rep.getCurrentRepetition()), 3);
             ObjectInserter ins = store.newInserter()) {
            ObjectId tree = ObjectGraph.write(ins, new Tree(new TreeMap<>()));
            for (int i = 0; i < 40; i++) {
                List<ObjectId> ps = new ArrayList<>();
                if (!commits.isEmpty()) {
                    ps.add(commits.get(commits.size() - 1 - r.nextInt(Math.min(3, commits.size()))));
                    if (r.nextInt(5) == 0) {
                        ps.add(commits.get(r.nextInt(commits.size()))); // a merge
                    }
                }
                long time = 1_000_000L + r.nextInt(5) * 1000L; // the clock jumps back and forth; many share a time
                ObjectId id = ObjectGraph.write(ins, new Commit(tree, ps, "a", time, "c" + i, new TreeMap<>()));
                commits.add(id);
                parents.put(id, ps);
            }
            ins.flush();
            List<CommitWalk.Entry> order = new CommitWalk(new ObjectGraph(store)).parentsFirst(
                    List.of(commits.get(commits.size() - 1), commits.get(r.nextInt(commits.size()))));
            Map<ObjectId, Integer> at = new HashMap<>();
            for (int i = 0; i < order.size(); i++) {
                at.put(order.get(i).id(), i);
            }
            assertEquals(at.size(), order.size(), "seed " + seed + ": each commit once");
            for (CommitWalk.Entry e : order) {
                for (ObjectId p : parents.get(e.id())) {
                    assertTrue(at.containsKey(p) && at.get(p) < at.get(e.id()), "seed " + seed + ": a parent after its child");
                }
            }
            assertTrue(at.containsKey(commits.get(0)), "seed " + seed + ": the root is reached");
        }
    }
}
