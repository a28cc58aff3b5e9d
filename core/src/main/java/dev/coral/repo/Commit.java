package dev.coral.repo;

import dev.coral.error.CorruptObjectException;
import dev.coral.error.UnsupportedVersionException;
import dev.coral.io.BinaryReader;
import dev.coral.io.BinaryWriter;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectKind;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A commit: the tree it snapshots, its parents, who, when, why, free numeric metrics, and — for
 * an opt-in lossy commit — the maximum absolute error its quantized tensors may have.
 *
 * <pre>Body --&gt; TreeId[32], ParentCount varint, ParentId[32]^ParentCount, Author string,
 *          TimeMillis i64, Message string, MetricCount varint, (Name string, Value string)^MetricCount,
 *          LossyEps string                    (version 2; "" for a lossless commit; absent in version 1)</pre>
 */
public record Commit(ObjectId tree, List<ObjectId> parents, String author, long timeMillis,
                     String message, SortedMap<String, String> metrics, String lossyEps) {
    static final int VERSION = 2;

    public Commit {
        parents = List.copyOf(parents);
        metrics = Collections.unmodifiableSortedMap(new TreeMap<>(metrics));
        lossyEps = lossyEps == null ? "" : lossyEps;
    }

    public Commit(ObjectId tree, List<ObjectId> parents, String author, long timeMillis, String message,
                  SortedMap<String, String> metrics) {
        this(tree, parents, author, timeMillis, message, metrics, "");
    }

    /** True when tensors of this commit may differ from what was added (by at most {@link #lossyEps()}). */
    public boolean isLossy() {
        return !lossyEps.isEmpty();
    }

    byte[] encode() {
        BinaryWriter w = ObjectEnvelope.begin(ObjectKind.COMMIT, VERSION);
        w.bytes(tree.toBytes()).varInt(parents.size());
        parents.forEach(p -> w.bytes(p.toBytes()));
        w.string(author).i64(timeMillis).string(message).varInt(metrics.size());
        metrics.forEach((k, v) -> w.string(k).string(v));
        w.string(lossyEps);
        return w.toByteArray();
    }

    static Commit decode(byte[] content, ObjectId id) throws CorruptObjectException, UnsupportedVersionException {
        int version = ObjectEnvelope.version(content);
        BinaryReader r = ObjectEnvelope.open(content, ObjectKind.COMMIT, id, VERSION);
        ObjectId tree = ObjectId.fromBytes(r.bytes(ObjectId.BYTES));
        int np = r.varInt();
        List<ObjectId> parents = new ArrayList<>();
        for (int i = 0; i < np; i++) {
            parents.add(ObjectId.fromBytes(r.bytes(ObjectId.BYTES)));
        }
        String author = r.string();
        long time = r.i64();
        String message = r.string();
        int nm = r.varInt();
        TreeMap<String, String> metrics = new TreeMap<>();
        for (int i = 0; i < nm; i++) {
            metrics.put(r.string(), r.string());
        }
        String lossy = version >= 2 ? r.string() : "";
        r.expectEnd();
        return new Commit(tree, parents, author, time, message, metrics, lossy);
    }

    /** First line of the message. */
    public String subject() {
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
