package dev.coral.repo;

import dev.coral.error.CorruptObjectException;
import dev.coral.error.UnsupportedVersionException;
import dev.coral.io.BinaryReader;
import dev.coral.io.BinaryWriter;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectKind;
import dev.coral.tensor.DType;
import dev.coral.tensor.Shape;
import dev.coral.tensor.TensorSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * A tensor: what its bytes mean and the ordered chunks holding them (little-endian).
 *
 * <pre>Body --&gt; DTypeName string, Rank varint, Dim varlong^Rank, Fortran bool,
 *          ChunkCount varint, (ChunkId[32], RawLength varlong)^ChunkCount</pre>
 */
public record TensorObject(TensorSpec spec, List<ChunkRef> chunks) {
    static final int VERSION = 1;

    public TensorObject {
        chunks = List.copyOf(chunks);
    }

    public long byteSize() {
        return spec.byteSize();
    }

    byte[] encode() {
        BinaryWriter w = ObjectEnvelope.begin(ObjectKind.TENSOR, VERSION);
        w.string(spec.dtype().name()).varInt(spec.shape().rank());
        for (long d : spec.shape().dims()) {
            w.varLong(d);
        }
        w.bool(spec.fortranOrder()).varInt(chunks.size());
        for (ChunkRef c : chunks) {
            w.bytes(c.id().toBytes()).varLong(c.rawLength());
        }
        return w.toByteArray();
    }

    static TensorObject decode(byte[] content, ObjectId id) throws CorruptObjectException, UnsupportedVersionException {
        BinaryReader r = ObjectEnvelope.open(content, ObjectKind.TENSOR, id, VERSION);
        try {
            DType dtype = DType.fromCoralName(r.string());
            int rank = r.varInt();
            long[] dims = new long[rank];
            for (int i = 0; i < rank; i++) {
                dims[i] = r.varLong();
            }
            TensorSpec spec = new TensorSpec(dtype, Shape.of(dims), r.bool());
            int n = r.varInt();
            List<ChunkRef> chunks = new ArrayList<>(Math.min(n, 1 << 16));
            long total = 0;
            for (int i = 0; i < n; i++) {
                ChunkRef c = new ChunkRef(ObjectId.fromBytes(r.bytes(ObjectId.BYTES)), r.varLong());
                total = Math.addExact(total, c.rawLength());
                chunks.add(c);
            }
            r.expectEnd();
            if (total != spec.byteSize()) {
                throw new CorruptObjectException(r.source() + ": chunks hold " + total + " bytes, the spec needs " + spec.byteSize());
            }
            return new TensorObject(spec, chunks);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new CorruptObjectException(r.source() + ": " + e.getMessage(), e);
        }
    }
}
