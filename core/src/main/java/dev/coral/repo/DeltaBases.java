package dev.coral.repo;

import dev.coral.format.TensorSource;
import dev.coral.store.ObjectId;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a new version of a file finds the delta bases of its tensors: the same-named tensor of
 * the version staged or committed before (same path), when it has the same dtype and byte size.
 * Loaded lazily; {@link #NONE} when the file is new.
 */
public final class DeltaBases {
    public static final DeltaBases NONE = new DeltaBases(null, null, false);

    private final ObjectGraph graph;
    private final ObjectId previousEntry;
    private final boolean lossyBasesAllowed;
    private Map<String, ObjectId> byName;

    private DeltaBases(ObjectGraph graph, ObjectId previousEntry, boolean lossyBasesAllowed) {
        this.graph = graph;
        this.previousEntry = previousEntry;
        this.lossyBasesAllowed = lossyBasesAllowed;
    }

    /**
     * Bases for a lossless version from the file entry {@code previousEntry} (null: none). A lossy
     * previous version is never the base of a lossless one.
     */
    public static DeltaBases from(ObjectGraph graph, ObjectId previousEntry) {
        return previousEntry == null ? NONE : new DeltaBases(graph, previousEntry, false);
    }

    /** Bases for a lossy version: any previous version will do. */
    public static DeltaBases forLossy(ObjectGraph graph, ObjectId previousEntry) {
        return previousEntry == null ? NONE : new DeltaBases(graph, previousEntry, true);
    }

    /** The previous version of tensor {@code name}, if it can serve as a base for {@code spec}. */
    public TensorObject baseFor(String name, TensorSpec spec) throws IOException {
        if (previousEntry == null) {
            return null;
        }
        if (byName == null) {
            byName = new HashMap<>();
            FileEntry previous = graph.file(previousEntry);
            if (lossyBasesAllowed || !previous.isLossy()) {
                for (FileEntry.NamedTensor t : previous.tensors()) {
                    byName.put(t.name(), t.tensorId());
                }
            }
        }
        ObjectId id = byName.get(name);
        if (id == null) {
            return null;
        }
        TensorObject t = graph.tensor(id);
        return t.spec().dtype() == spec.dtype() && t.byteSize() == spec.byteSize() ? t : null;
    }

    /** {@link #baseFor} of each tensor, in order. */
    public List<TensorObject> basesFor(List<? extends TensorSource> tensors) throws IOException {
        List<TensorObject> out = new ArrayList<>(tensors.size());
        for (TensorSource t : tensors) {
            out.add(baseFor(t.name(), t.spec()));
        }
        return out;
    }
}
