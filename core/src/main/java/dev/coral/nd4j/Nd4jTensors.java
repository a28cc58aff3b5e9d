package dev.coral.nd4j;

import dev.coral.error.BadInputException;
import dev.coral.format.TensorSource;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Converts between ND4J arrays and Coral's tensors, bit for bit: the same dtype (see
 * {@link Nd4jDTypes}), the same shape (a scalar stays rank 0, an empty array keeps its
 * dimensions), the same bytes (NaN payloads, -0.0 and subnormals included, as nothing is
 * converted through Java numbers).
 *
 * <p>A plain array (C order, not a view, no offset) is streamed from its native memory without a
 * copy, so it must not change until the commit that reads it returns (an asynchronous commit
 * copies it before it returns). Any other array (Fortran order, a view such as a slice or a
 * transpose) is first copied to C order, outside any workspace: a safetensors file holds C order.
 * An array in a workspace must stay valid (its workspace open) until the commit returns.
 *
 * <p>Needs ND4J ({@code org.nd4j:nd4j-api} and a backend) on the class path: an optional
 * dependency of Coral.
 */
public final class Nd4jTensors {
    private Nd4jTensors() {
    }

    /**
     * The arrays of {@code weights} as tensors named by their keys, in the map's iteration order,
     * which becomes the order of the tensors in the file: give a {@link LinkedHashMap} (insertion
     * order) or a {@link java.util.TreeMap} (sorted) for a stable one, not a {@link java.util.HashMap}.
     *
     * @throws BadInputException for a null map, key or array, or an array of a type Coral lacks
     *     (UTF8, COMPRESSED), naming the tensor; nothing is copied before every array is checked
     */
    public static List<TensorSource> toTensors(Map<String, ? extends INDArray> weights) throws BadInputException {
        return toTensors(weights, NativeBytes.WINDOW_BYTES);
    }

    /** As {@link #toTensors(Map)}, reading native memory in windows of {@code windowBytes} (tests). */
    static List<TensorSource> toTensors(Map<String, ? extends INDArray> weights, int windowBytes) throws BadInputException {
        if (weights == null) {
            throw new BadInputException("weights: the map of arrays is null");
        }
        List<Map.Entry<String, ? extends INDArray>> entries = new ArrayList<>(weights.entrySet());
        List<TensorSpec> specs = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) { // all checked first: a bad one copies nothing
            specs.add(spec(i, entries.get(i).getKey(), entries.get(i).getValue()));
        }
        NativeBytes.requireLittleEndian();
        List<TensorSource> tensors = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            String name = entries.get(i).getKey();
            INDArray a = entries.get(i).getValue();
            tensors.add(new ArrayTensor(name, specs.get(i), a.isEmpty() || NativeBytes.isPlain(a) ? a : plainCopy(name, a), windowBytes));
        }
        return tensors;
    }

    /** The spec of array {@code a}, entry {@code i} of the map under {@code name}; throws naming what is wrong. */
    private static TensorSpec spec(int i, String name, INDArray a) throws BadInputException {
        if (name == null) {
            throw new BadInputException("weights: the name (key) of entry " + i + " is null");
        }
        if (a == null) {
            throw new BadInputException("tensor '" + name + "': the array is null");
        }
        if (a.isCompressed()) {
            throw new BadInputException("tensor '" + name + "': a compressed ND4J array; decompress it first");
        }
        DType dtype = Nd4jDTypes.toCoral(name, a.dataType());
        return TensorSpec.of(dtype, a.shape());
    }

    /** {@code a} copied to a plain C-order array, outside any workspace (it outlives the caller's scope). */
    @SuppressWarnings("try") // the scope is only entered and left
    private static INDArray plainCopy(String name, INDArray a) {
        INDArray c;
        try (MemoryWorkspace none = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            c = a.dup('c');
        }
        if (!NativeBytes.isPlain(c)) { // not seen: dup('c') gives a fresh array
            throw new IllegalStateException("tensor '" + name + "': ND4J's C-order copy is not a plain array");
        }
        return c;
    }

    /**
     * The tensors as ND4J arrays under their names, in the list's order: each a new array of its
     * own memory, detached from any workspace, of the tensor's dtype, shape and order (C order for
     * a tensor read from a commit), with its bytes.
     *
     * @throws BadInputException for a tensor of a dtype ND4J lacks (F8_E4M3, F4, complex ...) or two
     *     tensors of one name, naming it, before any is read
     * @throws IOException when a tensor cannot be read, or yields fewer bytes than its spec says
     */
    public static LinkedHashMap<String, INDArray> toArrays(List<? extends TensorSource> tensors) throws IOException {
        return toArrays(tensors, NativeBytes.WINDOW_BYTES);
    }

    /** As {@link #toArrays(List)}, writing native memory in windows of {@code windowBytes} (tests). */
    static LinkedHashMap<String, INDArray> toArrays(List<? extends TensorSource> tensors, int windowBytes) throws IOException {
        if (tensors == null) {
            throw new BadInputException("tensors: the list is null");
        }
        List<DataType> types = new ArrayList<>(tensors.size());
        java.util.Set<String> names = new java.util.HashSet<>();
        for (TensorSource t : tensors) {
            if (t == null) {
                throw new BadInputException("tensors: a tensor is null");
            }
            if (!names.add(t.name())) {
                throw new BadInputException("tensor '" + t.name() + "': the name appears twice");
            }
            types.add(Nd4jDTypes.toNd4j(t.name(), t.spec().dtype()));
        }
        NativeBytes.requireLittleEndian();
        LinkedHashMap<String, INDArray> arrays = new LinkedHashMap<>();
        for (int i = 0; i < tensors.size(); i++) {
            TensorSource t = tensors.get(i);
            arrays.put(t.name(), toArray(t, types.get(i), windowBytes));
        }
        return arrays;
    }

    /** One tensor as a new ND4J array of type {@code type}. */
    private static INDArray toArray(TensorSource t, DataType type, int windowBytes) throws IOException {
        TensorSpec spec = t.spec();
        long[] dims = spec.shape().dims();
        INDArray a = Nd4j.createUninitializedDetached(type, spec.fortranOrder() ? 'f' : 'c', dims);
        long bytes = spec.byteSize();
        if (bytes == 0) {
            return a;
        }
        byte[] buf = new byte[(int) Math.min(bytes, 1 << 16)];
        try (InputStream in = t.openStream()) {
            long done = 0;
            while (done < bytes) {
                int n = (int) Math.min(windowBytes, bytes - done);
                ByteBuffer w = NativeBytes.window(a, done, n);
                while (w.hasRemaining()) {
                    int r = in.read(buf, 0, Math.min(buf.length, w.remaining()));
                    if (r < 0) {
                        throw new EOFException("tensor '" + t.name() + "': " + (done + w.position()) + " bytes read, " + spec + " takes "
                                + bytes);
                    }
                    w.put(buf, 0, r);
                }
                done += n;
            }
        }
        return a;
    }
}
