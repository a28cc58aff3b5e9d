package dev.coral.format;

import dev.coral.error.BadInputException;
import dev.coral.tensor.DType;
import dev.coral.tensor.Shape;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A parsed npy header: the verbatim bytes from the magic through the header's end, and what
 * they say about the data that follows. Shared by the npy and npz formats.
 *
 * @param bytes        the verbatim header (magic, version, length, dict text)
 * @param bigEndian    the data is big-endian ('&gt;' in descr) and must be swapped while streaming
 */
record NpyHeader(byte[] bytes, int majorVersion, TensorSpec spec, boolean bigEndian) {
    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    /** numpy aligns the data start to this many bytes. */
    static final int ARRAY_ALIGN = 64;

    /** Spare room numpy leaves after the dict so the growing axis can be rewritten in place. */
    private static final int GROWTH_AXIS_MAX_DIGITS = 21;

    /** Far above anything numpy writes (its reader refuses more than 10,000 by default). */
    static final int MAX_HEADER_BYTES = 1 << 20;

    private static final Set<String> KEYS = Set.of("descr", "fortran_order", "shape");

    /** Bytes of the header; the data starts here. */
    long length() {
        return bytes.length;
    }

    /**
     * Reads exactly the header from the start of {@code in} and validates it.
     *
     * @throws BadInputException naming {@code where} if the header is not one Coral accepts
     */
    static NpyHeader read(InputStream in, String where) throws IOException {
        byte[] prefix = in.readNBytes(8);
        if (prefix.length < 8 || !Arrays.equals(Arrays.copyOf(prefix, 6), MAGIC)) {
            throw new BadInputException(where + ": not an npy file (bad magic)");
        }
        int major = prefix[6] & 0xff;
        int minor = prefix[7] & 0xff;
        if ((major != 1 && major != 2 && major != 3) || minor != 0) {
            throw new BadInputException(where + ": unsupported npy format version " + major + "." + minor);
        }
        int lengthBytes = major == 1 ? 2 : 4;
        byte[] lenField = in.readNBytes(lengthBytes);
        if (lenField.length < lengthBytes) {
            throw new BadInputException(where + ": file ends inside the npy header");
        }
        long hlen = 0;
        for (int i = lengthBytes - 1; i >= 0; i--) {
            hlen = (hlen << 8) | (lenField[i] & 0xff);
        }
        if (hlen > MAX_HEADER_BYTES) {
            throw new BadInputException(where + ": npy header length " + hlen + " exceeds the limit of " + MAX_HEADER_BYTES);
        }
        byte[] dict = in.readNBytes((int) hlen);
        if (dict.length < hlen) {
            throw new BadInputException(where + ": file ends inside the npy header");
        }
        byte[] all = new byte[8 + lengthBytes + (int) hlen];
        System.arraycopy(prefix, 0, all, 0, 8);
        System.arraycopy(lenField, 0, all, 8, lengthBytes);
        System.arraycopy(dict, 0, all, 8 + lengthBytes, (int) hlen);
        return interpret(all, major, dict, where);
    }

    /** Parses verbatim header bytes (as kept in restore info); they must be exactly one header. */
    static NpyHeader parse(byte[] bytes, String where) throws IOException {
        InputStream in = new java.io.ByteArrayInputStream(bytes);
        NpyHeader h = read(in, where);
        if (h.bytes.length != bytes.length) {
            throw new BadInputException(where + ": " + (bytes.length - h.bytes.length) + " bytes follow the npy header");
        }
        return h;
    }

    private static NpyHeader interpret(byte[] all, int major, byte[] dictBytes, String where) throws BadInputException {
        String text;
        if (major >= 3) {
            try {
                text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(dictBytes)).toString();
            } catch (CharacterCodingException e) {
                throw new BadInputException(where + ": npy 3.0 header is not valid UTF-8");
            }
        } else {
            text = new String(dictBytes, StandardCharsets.ISO_8859_1);
        }
        Map<String, Object> d;
        try {
            d = PyLiteral.parseDict(text);
        } catch (PyLiteral.SyntaxException e) {
            throw new BadInputException(where + ": npy header is not a valid dict literal: " + e.getMessage());
        }
        if (!d.keySet().equals(KEYS)) {
            throw new BadInputException(where + ": npy header keys are " + d.keySet() + ", expected descr, fortran_order and shape");
        }
        Object fortran = d.get("fortran_order");
        if (!(fortran instanceof Boolean)) {
            throw new BadInputException(where + ": npy header fortran_order is not True or False");
        }
        Shape shape = shape(d.get("shape"), where);
        Object descr = d.get("descr");
        if (descr instanceof List || descr instanceof PyLiteral.Tuple) {
            throw new BadInputException(where + ": structured npy dtype " + text.trim() + " is not supported");
        }
        if (!(descr instanceof String)) {
            throw new BadInputException(where + ": npy header descr is not a string");
        }
        String s = (String) descr;
        char order = s.isEmpty() ? '=' : s.charAt(0);
        String code = ORDERS.indexOf(order) >= 0 ? s.substring(1) : s; // no mark: native, as numpy reads it (little-endian here)
        if (ORDERS.indexOf(order) < 0) {
            order = '=';
        }
        String kind = NUMPY_ALIASES.getOrDefault(code, code);
        DType dtype = DType.fromNumpyCode(kind).orElseThrow(() -> new BadInputException(where + ": " + unsupported(s, kind)));
        TensorSpec spec = new TensorSpec(dtype, shape, (Boolean) fortran);
        try {
            spec.byteSize();
        } catch (ArithmeticException e) {
            throw new BadInputException(where + ": npy shape " + shape + " of " + dtype + " is larger than fits in a long");
        }
        return new NpyHeader(all, major, spec, order == '>' && dtype.swapUnitBytes() > 1);
    }

    private static final String ORDERS = "<>|=";

    /**
     * Spellings numpy.dtype() reads that np.save never writes, as the kind and size Coral knows
     * ({@code 'f4'} with no byte-order mark, {@code '<f'}, {@code 'float32'}: the npy format takes
     * any descr numpy.dtype() reads; they were refused, found by fuzzing). One-character codes as
     * on a 64-bit Linux ({@code 'l'}: 8 bytes); names as numpy gives them.
     */
    private static final Map<String, String> NUMPY_ALIASES = Map.ofEntries(
            Map.entry("?", "b1"), Map.entry("b", "i1"), Map.entry("B", "u1"), Map.entry("h", "i2"), Map.entry("H", "u2"),
            Map.entry("i", "i4"), Map.entry("I", "u4"), Map.entry("l", "i8"), Map.entry("L", "u8"), Map.entry("q", "i8"),
            Map.entry("Q", "u8"), Map.entry("e", "f2"), Map.entry("f", "f4"), Map.entry("d", "f8"), Map.entry("F", "c8"),
            Map.entry("D", "c16"), Map.entry("bool", "b1"), Map.entry("int8", "i1"), Map.entry("int16", "i2"),
            Map.entry("int32", "i4"), Map.entry("int64", "i8"), Map.entry("uint8", "u1"), Map.entry("uint16", "u2"),
            Map.entry("uint32", "u4"), Map.entry("uint64", "u8"), Map.entry("float16", "f2"), Map.entry("float32", "f4"),
            Map.entry("float64", "f8"), Map.entry("half", "f2"), Map.entry("single", "f4"), Map.entry("double", "f8"),
            Map.entry("complex64", "c8"), Map.entry("complex128", "c16"));

    private static String unsupported(String descr, String code) {
        char kind = code.isEmpty() ? '?' : code.charAt(0);
        switch (kind) {
            case 'O':
                return "npy object arrays (dtype '" + descr + "') hold pickled Python objects and are not supported";
            case 'U':
            case 'S':
            case 'a':
                return "npy string dtype '" + descr + "' is not supported (only numeric tensors)";
            case 'V':
                return "npy void/structured dtype '" + descr + "' is not supported";
            case 'M':
            case 'm':
                return "npy datetime dtype '" + descr + "' is not supported";
            default:
                return "unsupported npy dtype '" + descr + "'";
        }
    }

    private static Shape shape(Object value, String where) throws BadInputException {
        if (!(value instanceof PyLiteral.Tuple)) {
            throw new BadInputException(where + ": npy header shape is not a tuple");
        }
        List<Object> items = ((PyLiteral.Tuple) value).items();
        long[] dims = new long[items.size()];
        for (int i = 0; i < dims.length; i++) {
            if (!(items.get(i) instanceof BigInteger)) {
                throw new BadInputException(where + ": npy shape entry " + PyLiteral.show(items.get(i)) + " is not an integer");
            }
            BigInteger b = (BigInteger) items.get(i);
            if (b.signum() < 0 || b.bitLength() > 63) {
                throw new BadInputException(where + ": npy shape entry " + b + " is negative or too large");
            }
            dims[i] = b.longValue();
        }
        try {
            return Shape.of(dims);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(where + ": npy " + e.getMessage());
        }
    }

    /**
     * The header numpy's {@code np.save} writes for {@code spec} (little-endian): version 1.0, or
     * 2.0 when the header does not fit, padded so the data starts at a multiple of 64. A Fortran
     * flag on a tensor whose C and Fortran layouts coincide is dropped, as numpy does.
     *
     * @throws BadInputException if numpy has no such dtype, naming the tensor
     */
    /**
     * Refuses a shape numpy cannot make: the product of its non-zero dimensions times the element
     * size must fit in a signed 64-bit size, zero-size or not ({@code (0, 2**62)} of float32 is
     * "array is too big"). Such a file was exported, exit 0, and np.load failed on it (found by
     * fuzzing); safetensors holds it.
     */
    private static void requireNumpySize(String tensorName, TensorSpec spec, String where) throws BadInputException {
        long bytes = spec.dtype().bits() / 8;
        for (long d : spec.shape().dims()) {
            if (d != 0 && Math.multiplyHigh(bytes, d) != 0 || d != 0 && bytes * d < 0) {
                throw new BadInputException(where + ": tensor '" + tensorName + "' of shape " + spec.shape() + " is larger than numpy"
                        + " can hold (its non-zero dimensions times " + spec.dtype().bits() / 8 + " bytes pass 2^63 - 1; export it to"
                        + " safetensors instead)");
            }
            bytes = d == 0 ? bytes : bytes * d;
        }
    }

    static byte[] build(String tensorName, TensorSpec spec, String where) throws BadInputException {
        String code = spec.dtype().numpyCode().orElseThrow(() -> new BadInputException(where + ": tensor '" + tensorName
                + "' has dtype " + spec.dtype() + ", which numpy cannot hold (export it to safetensors instead)"));
        char order = spec.dtype().bits() <= 8 ? '|' : '<';
        long[] dims = spec.shape().dims();
        requireNumpySize(tensorName, spec, where);
        // like np.save: Fortran order only where it differs from C order (0-d, 1-d, empty are C)
        boolean fortran = FortranToC.needed(spec);
        StringBuilder shape = new StringBuilder("(");
        for (int i = 0; i < dims.length; i++) {
            shape.append(i == 0 ? "" : ", ").append(dims[i]);
        }
        shape.append(dims.length == 1 ? ",)" : ")");
        StringBuilder h = new StringBuilder();
        h.append("{'descr': '").append(order).append(code).append("', 'fortran_order': ")
                .append(fortran ? "True" : "False").append(", 'shape': ").append(shape).append(", }");
        if (dims.length > 0) {
            long growthAxis = dims[fortran ? dims.length - 1 : 0];
            h.append(" ".repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - Long.toString(growthAxis).length())));
        }
        byte[] text = h.toString().getBytes(StandardCharsets.ISO_8859_1);
        for (int major = 1; major <= 2; major++) {
            int prefix = 8 + (major == 1 ? 2 : 4);
            int hlen = text.length + 1; // + '\n'
            // numpy pads a whole 64 bytes when already aligned; copied so exports match np.save byte for byte
            int pad = ARRAY_ALIGN - ((prefix + hlen) % ARRAY_ALIGN);
            long total = (long) hlen + pad;
            if (major == 1 && total > 0xffff) {
                continue;
            }
            ByteBuffer out = ByteBuffer.allocate(prefix + (int) total).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            out.put(MAGIC).put((byte) major).put((byte) 0);
            if (major == 1) {
                out.putShort((short) total);
            } else {
                out.putInt((int) total);
            }
            out.put(text);
            while (out.position() < out.limit() - 1) {
                out.put((byte) ' ');
            }
            out.put((byte) '\n');
            return out.array();
        }
        throw new BadInputException(where + ": tensor '" + tensorName + "': npy header too long");
    }
}
