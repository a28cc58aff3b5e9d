package dev.coral.diff;

import dev.coral.format.FortranToC;
import dev.coral.format.TensorSource;
import dev.coral.repo.StoredTensor;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Compares two versions of a file tensor by tensor, matched by name. A tensor stored on both
 * sides under the same id is unchanged without being read; any other pair of the same dtype and
 * shape is read side by side ({@link TensorComparison}).
 */
public final class FileComparison {
    private FileComparison() {
    }

    /**
     * The change of {@code path} from {@code from} to {@code to} (null: the file is absent on that
     * side; not both). Tensors absent on one side are listed without being read.
     */
    public static FileChange compare(String path, List<? extends TensorSource> from, List<? extends TensorSource> to) throws IOException {
        if (from == null && to == null) {
            throw new IllegalArgumentException(path + ": absent on both sides");
        }
        List<TensorChange> out = new ArrayList<>();
        if (from == null) {
            for (TensorSource t : to) {
                out.add(new TensorChange(t.name(), TensorChange.Kind.ADDED, null, t.spec(), null));
            }
            return new FileChange(path, FileChange.Kind.ADDED, out);
        }
        if (to == null) {
            for (TensorSource t : from) {
                out.add(new TensorChange(t.name(), TensorChange.Kind.REMOVED, t.spec(), null, null));
            }
            return new FileChange(path, FileChange.Kind.DELETED, out);
        }
        Map<String, TensorSource> before = new LinkedHashMap<>();
        for (TensorSource t : from) {
            before.put(t.name(), t);
        }
        for (TensorSource t : to) {
            TensorSource old = before.remove(t.name());
            out.add(old == null ? new TensorChange(t.name(), TensorChange.Kind.ADDED, null, t.spec(), null) : tensor(path, old, t));
        }
        for (TensorSource old : before.values()) {
            out.add(new TensorChange(old.name(), TensorChange.Kind.REMOVED, old.spec(), null, null));
        }
        return new FileChange(path, FileChange.Kind.MODIFIED, out);
    }

    private static TensorChange tensor(String path, TensorSource a, TensorSource b) throws IOException {
        if (a.spec().dtype() != b.spec().dtype()) {
            return new TensorChange(b.name(), TensorChange.Kind.RETYPED, a.spec(), b.spec(), null);
        }
        if (!a.spec().shape().equals(b.spec().shape())) {
            return new TensorChange(b.name(), TensorChange.Kind.RESHAPED, a.spec(), b.spec(), null);
        }
        ObjectId ida = idOf(a);
        if (ida != null && Objects.equals(ida, idOf(b))) {
            return new TensorChange(b.name(), TensorChange.Kind.UNCHANGED, a.spec(), b.spec(), null);
        }
        TensorStats s;
        String what = path + ": tensor '" + b.name() + "'";
        try (InputStream x = logicalOrder(a, b, what); InputStream y = logicalOrder(b, a, what)) {
            s = TensorComparison.compare(a.spec(), x, y, what);
        }
        return new TensorChange(b.name(), s.identical() ? TensorChange.Kind.UNCHANGED : TensorChange.Kind.MODIFIED, a.spec(), b.spec(), s);
    }

    /**
     * {@code t}'s bytes in an element order that pairs them with {@code other}'s: as stored, unless
     * one of the two is in Fortran order and the other not (np.save of a transposed array), when
     * the Fortran one is read in C order.
     */
    private static InputStream logicalOrder(TensorSource t, TensorSource other, String what) throws IOException {
        if (t.spec().fortranOrder() == other.spec().fortranOrder() || !FortranToC.needed(t.spec())) {
            return t.openStream();
        }
        FortranToC.check(t, what);
        return FortranToC.openTransposed(t, what);
    }

    private static ObjectId idOf(TensorSource t) {
        return t instanceof StoredTensor s ? s.id() : null;
    }
}
