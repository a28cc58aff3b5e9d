package dev.coral.format;

import dev.coral.error.BadInputException;
import dev.coral.tensor.DType;
import dev.coral.tensor.Shape;
import io.jhdf.checksum.JenkinsLookup3HashLittle;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes an HDF5 file of any tensors, streaming their bytes: superblock version 2, version-2
 * object headers, groups with their links in the header (libhdf5 1.8 and later, h5py, jhdf read
 * it). A tensor named {@code a/b/c} is the dataset {@code c} in group {@code a/b}; each is
 * contiguous and little-endian, in C order. Metadata become scalar UTF-8 string attributes of the
 * root group. Dtypes: integers, F16, F32, F64, BOOL as h5py writes it (an enum of int8,
 * FALSE = 0, TRUE = 1), BF16 as Keras 3 writes a bfloat16 variable (an opaque 2-byte type with no
 * tag and the attribute {@code dtype="bfloat16"}, a variable-length string in a global heap: Keras
 * loads it as bfloat16, h5py reads the bits as 'V2', Coral as BF16); the others (complex, F128,
 * the 8/6/4-bit floats) are refused naming the tensor. Until 2026-12-05 BF16 was written as a
 * 16-bit float of 8 exponent and 7 mantissa bits, which h5py reads converted to float16 (out of
 * range above 65504) and Keras would have taken so.
 *
 * <p>Written by hand rather than with jhdf's writer, which takes whole Java arrays (so a tensor
 * of 2^31 elements or more cannot be written, and every tensor is held in memory twice) and has
 * no half, bfloat16 or unsigned types.
 */
final class Hdf5Writer {
    private static final long UNDEFINED = -1L;
    private static final int SUPERBLOCK_BYTES = 48;
    private static final int MAX_MESSAGE_BYTES = 0xFFFF;
    private static final int HEAP_BYTES = 4096;
    private static final byte[] BFLOAT16 = "bfloat16".getBytes(StandardCharsets.US_ASCII);

    private final String where;

    Hdf5Writer(String where) {
        this.where = where;
    }

    /** A group: its members by name, in the order first named; a member is a group or a tensor's index. */
    private static final class GroupNode {
        final Map<String, Object> members = new LinkedHashMap<>();
        long address;
        byte[] header;
    }

    void write(List<? extends TensorSource> tensors, Map<String, String> metadata, OutputStream out) throws IOException {
        GroupNode root = new GroupNode();
        for (int i = 0; i < tensors.size(); i++) {
            place(root, tensors.get(i), i);
        }
        for (TensorSource t : tensors) {
            datatype(t); // refuse what HDF5 cannot hold before writing anything
            if (FortranToC.needed(t.spec())) {
                FortranToC.check(t, where);
            }
        }
        byte[][] datasetHeaders = new byte[tensors.size()][];
        long[] datasetAddresses = new long[tensors.size()];
        List<GroupNode> groups = new ArrayList<>();
        collect(root, groups);
        // object header sizes do not depend on addresses (all 8 bytes): size everything, then place it
        long pos = SUPERBLOCK_BYTES;
        for (GroupNode g : groups) {
            g.address = pos;
            pos += groupHeader(g, g == root ? metadata : Map.of(), datasetAddresses).length;
        }
        for (int i = 0; i < tensors.size(); i++) {
            datasetAddresses[i] = pos;
            pos += datasetHeader(tensors.get(i), 0, 0).length;
        }
        boolean anyBf16 = tensors.stream().anyMatch(t -> t.spec().dtype() == DType.BF16);
        long heapAddress = pos;
        if (anyBf16) {
            pos += HEAP_BYTES;
        }
        long dataStart = pos;
        for (int i = 0; i < tensors.size(); i++) {
            long size = tensors.get(i).spec().byteSize();
            datasetHeaders[i] = datasetHeader(tensors.get(i), size == 0 ? UNDEFINED : pos, heapAddress);
            pos += size;
        }
        long eof = pos;
        for (GroupNode g : groups) {
            g.header = groupHeader(g, g == root ? metadata : Map.of(), datasetAddresses);
        }
        out.write(superblock(root.address, eof));
        for (GroupNode g : groups) {
            out.write(g.header);
        }
        for (byte[] h : datasetHeaders) {
            out.write(h);
        }
        if (anyBf16) {
            out.write(globalHeap());
        }
        long written = dataStart;
        for (TensorSource t : tensors) {
            FortranToC.copyInCOrder(t, out, where);
            written += t.spec().byteSize();
        }
        if (written != eof) {
            throw new IllegalStateException("HDF5 layout planned " + eof + " bytes, wrote " + written);
        }
    }

    private void place(GroupNode root, TensorSource t, int index) throws BadInputException {
        String name = t.name();
        String[] parts = name.split("/", -1);
        GroupNode g = root;
        for (int p = 0; p < parts.length; p++) {
            String part = parts[p];
            if (part.isEmpty() || part.equals(".")) {
                throw new BadInputException(where + ": tensor '" + name + "' cannot be an HDF5 path (an empty or '.' part between its '/')");
            }
            if (part.getBytes(StandardCharsets.UTF_8).length > 60_000) {
                throw new BadInputException(where + ": tensor '" + name.substring(0, 40) + "...': a part of its name is over 60,000 bytes");
            }
            Object member = g.members.get(part);
            boolean last = p == parts.length - 1;
            if (last) {
                if (member != null) {
                    throw new BadInputException(where + ": tensor name '" + name + "' is given twice, or is also a group of other tensors");
                }
                g.members.put(part, index);
            } else if (member == null) {
                GroupNode child = new GroupNode();
                g.members.put(part, child);
                g = child;
            } else if (member instanceof GroupNode child) {
                g = child;
            } else {
                throw new BadInputException(where + ": tensor '" + name + "' would be inside tensor '"
                        + String.join("/", java.util.Arrays.copyOf(parts, p + 1)) + "', which is a dataset, not a group");
            }
        }
    }

    private static void collect(GroupNode g, List<GroupNode> into) {
        into.add(g);
        for (Object m : g.members.values()) {
            if (m instanceof GroupNode child) {
                collect(child, into);
            }
        }
    }

    private static byte[] superblock(long rootAddress, long eof) {
        ByteBuffer b = ByteBuffer.allocate(SUPERBLOCK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'});
        b.put((byte) 2).put((byte) 8).put((byte) 8).put((byte) 0); // version, size of offsets, size of lengths, flags
        b.putLong(0).putLong(UNDEFINED).putLong(eof).putLong(rootAddress);
        b.putInt(JenkinsLookup3HashLittle.hash(java.util.Arrays.copyOf(b.array(), SUPERBLOCK_BYTES - 4)));
        return b.array();
    }

    private byte[] groupHeader(GroupNode g, Map<String, String> attributes, long[] datasetAddresses) throws BadInputException {
        Messages m = new Messages();
        ByteBuffer linkInfo = le(18);
        linkInfo.put((byte) 0).put((byte) 0).putLong(UNDEFINED).putLong(UNDEFINED); // compact: links in this header
        m.add(0x02, linkInfo.array());
        m.add(0x0A, new byte[] {0, 0}); // group info: defaults
        for (Map.Entry<String, Object> e : g.members.entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            long target = e.getValue() instanceof GroupNode child ? child.address : datasetAddresses[(Integer) e.getValue()];
            ByteBuffer link = le(1 + 1 + 1 + 2 + name.length + 8);
            link.put((byte) 1).put((byte) (0x10 | 0x01)).put((byte) 1); // version 1; charset present, 2-byte name length; UTF-8
            link.putShort((short) name.length).put(name).putLong(target);
            m.add(0x06, link.array());
        }
        for (Map.Entry<String, String> a : attributes.entrySet()) {
            m.add(0x0C, stringAttribute(a.getKey(), a.getValue()));
        }
        return m.objectHeader();
    }

    private byte[] datasetHeader(TensorSource t, long dataAddress, long heapAddress) throws BadInputException {
        Shape shape = t.spec().shape();
        int rank = shape.rank();
        Messages m = new Messages();
        ByteBuffer space = le(4 + 8 * rank);
        space.put((byte) 2).put((byte) rank).put((byte) 0).put((byte) (rank == 0 ? 0 : 1));
        for (int d = 0; d < rank; d++) {
            space.putLong(shape.dim(d));
        }
        m.add(0x01, space.array());
        m.add(0x03, datatype(t), 1);
        m.add(0x05, new byte[] {3, 0x0A}, 1); // fill value v3: allocated late, written if set, none set
        ByteBuffer layout = le(18);
        layout.put((byte) 3).put((byte) 1).putLong(dataAddress).putLong(t.spec().byteSize()); // v3, contiguous
        m.add(0x08, layout.array());
        if (t.spec().dtype() == DType.BF16) {
            m.add(0x0C, bfloat16Marker(heapAddress));
        }
        return m.objectHeader();
    }

    /**
     * The attribute Keras 3 gives a bfloat16 variable (saving_lib's H5IOStore), {@code dtype = "bfloat16"},
     * as h5py writes a str: a scalar variable-length UTF-8 string, its bytes object 1 of the global heap
     * collection at {@code heapAddress} ({@link #globalHeap}). Attribute message version 3, as h5py's.
     */
    private static byte[] bfloat16Marker(long heapAddress) {
        byte[] name = {'d', 't', 'y', 'p', 'e', 0};
        ByteBuffer type = le(20);
        type.put((byte) 0x19).put((byte) 0x01).put((byte) 0x01).put((byte) 0).putInt(16); // v1 class 9: a string, null-terminated, UTF-8
        type.put(fixedPoint(1, false)); // its characters: unsigned bytes
        ByteBuffer value = le(16);
        value.putInt(BFLOAT16.length).putLong(heapAddress).putInt(1); // length, collection, object index
        return scalarAttribute(name, 0, type.array(), value.array(), 16);
    }

    /**
     * An attribute message (version 3) of a scalar: its name (NUL-terminated; encoding 0 ASCII, 1
     * UTF-8), datatype and value, the value zero-padded to {@code valueBytes}.
     */
    private static byte[] scalarAttribute(byte[] name, int nameEncoding, byte[] type, byte[] value, int valueBytes) {
        byte[] scalar = {2, 0, 0, 0};
        ByteBuffer b = le(9 + name.length + type.length + scalar.length + valueBytes);
        b.put((byte) 3).put((byte) 0).putShort((short) name.length).putShort((short) type.length).putShort((short) scalar.length);
        b.put((byte) nameEncoding).put(name).put(type).put(scalar).put(value);
        return b.array();
    }

    /** A global heap collection ("GCOL", 4096 bytes, libhdf5's least) holding object 1, the bytes "bfloat16"; the rest free. */
    private static byte[] globalHeap() {
        ByteBuffer b = le(HEAP_BYTES);
        b.put(new byte[] {'G', 'C', 'O', 'L', 1, 0, 0, 0}).putLong(HEAP_BYTES);
        b.putShort((short) 1).putShort((short) 0).putInt(0).putLong(BFLOAT16.length).put(BFLOAT16); // 8 bytes: no padding
        b.putShort((short) 0).putShort((short) 0).putInt(0).putLong(HEAP_BYTES - 16 - 16 - BFLOAT16.length); // free space
        return b.array();
    }

    /** The datatype message of a tensor's dtype; a dtype HDF5 export cannot hold is refused naming the tensor. */
    private byte[] datatype(TensorSource t) throws BadInputException {
        DType d = t.spec().dtype();
        return switch (d) {
            case U8, U16, U32, U64 -> fixedPoint(d.elementBytes(), false);
            case I8, I16, I32, I64 -> fixedPoint(d.elementBytes(), true);
            case F16 -> floatingPoint(2, 10, 5, 15);
            case BF16 -> new byte[] {0x15, 0, 0, 0, 2, 0, 0, 0}; // Keras 3's: opaque, 2 bytes, no tag (with the marker, above)
            case F32 -> floatingPoint(4, 23, 8, 127);
            case F64 -> floatingPoint(8, 52, 11, 1023);
            case BOOL -> boolEnum();
            default -> throw new BadInputException(where + ": tensor '" + t.name() + "' has dtype " + d
                    + ", which this HDF5 export cannot hold (export it to npz or safetensors instead)");
        };
    }

    private static byte[] fixedPoint(int bytes, boolean signed) {
        ByteBuffer b = le(12);
        b.put((byte) 0x10).put((byte) (signed ? 0x08 : 0)).put((byte) 0).put((byte) 0).putInt(bytes); // v1 class 0; LE
        b.putShort((short) 0).putShort((short) (bytes * 8)); // bit offset, precision
        return b.array();
    }

    private static byte[] floatingPoint(int bytes, int mantissaBits, int exponentBits, int bias) {
        int bits = bytes * 8;
        ByteBuffer b = le(20);
        b.put((byte) 0x11).put((byte) 0x20).put((byte) (bits - 1)).put((byte) 0).putInt(bytes); // v1 class 1; LE, implied msb; sign bit
        b.putShort((short) 0).putShort((short) bits).put((byte) mantissaBits).put((byte) exponentBits);
        b.put((byte) 0).put((byte) mantissaBits).putInt(bias); // mantissa at bit 0
        return b.array();
    }

    /** h5py's bool: an enum of signed 8-bit integers, FALSE = 0 and TRUE = 1 (version 3: names unpadded). */
    private static byte[] boolEnum() {
        byte[] base = fixedPoint(1, true);
        byte[] names = "FALSE\0TRUE\0".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = le(8 + base.length + names.length + 2);
        b.put((byte) 0x38).put((byte) 2).put((byte) 0).put((byte) 0).putInt(1); // v3 class 8; 2 members; 1 byte
        b.put(base).put(names).put((byte) 0).put((byte) 1);
        return b.array();
    }

    private byte[] stringAttribute(String key, String value) throws BadInputException {
        byte[] name = (key + "\0").getBytes(StandardCharsets.UTF_8);
        byte[] data = value.getBytes(StandardCharsets.UTF_8);
        int size = Math.max(1, data.length); // an HDF5 string type holds at least one byte
        ByteBuffer type = le(8);
        type.put((byte) 0x13).put((byte) 0x10).put((byte) 0).put((byte) 0).putInt(size); // v1 class 3; null-terminated, UTF-8
        long total = 9L + name.length + 8 + 4 + size;
        if (key.isEmpty() || total > MAX_MESSAGE_BYTES) {
            throw new BadInputException(where + ": metadata '" + (key.length() > 40 ? key.substring(0, 40) + "..." : key) + "' "
                    + (key.isEmpty() ? "has an empty name" : "is over the 64 KiB an HDF5 attribute of this export holds"));
        }
        return scalarAttribute(name, 1, type.array(), data, size);
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The messages of a version-2 object header ("OHDR", 8-byte chunk size, Jenkins lookup3 checksum). */
    private final class Messages {
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();

        void add(int type, byte[] data) throws BadInputException {
            add(type, data, 0);
        }

        void add(int type, byte[] data, int flags) throws BadInputException {
            if (data.length > MAX_MESSAGE_BYTES) {
                throw new BadInputException(where + ": an HDF5 header message of " + data.length + " bytes is over its limit of "
                        + MAX_MESSAGE_BYTES);
            }
            body.write(type);
            body.write(data.length & 0xFF);
            body.write(data.length >>> 8);
            body.write(flags);
            body.writeBytes(data);
        }

        byte[] objectHeader() {
            byte[] messages = body.toByteArray();
            ByteBuffer b = le(4 + 1 + 1 + 8 + messages.length + 4);
            b.put(new byte[] {'O', 'H', 'D', 'R'}).put((byte) 2).put((byte) 0x03).putLong(messages.length).put(messages);
            b.putInt(JenkinsLookup3HashLittle.hash(java.util.Arrays.copyOf(b.array(), b.capacity() - 4)));
            return b.array();
        }
    }
}
