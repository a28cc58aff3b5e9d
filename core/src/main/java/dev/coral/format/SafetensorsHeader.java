package dev.coral.format;

import dev.coral.error.BadInputException;
import dev.coral.tensor.DType;
import dev.coral.tensor.Shape;
import dev.coral.tensor.TensorSpec;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A validated safetensors header: the free metadata and the tensors sorted by where their bytes
 * start (which is file data order). Parsing checks every rule the reference implementation
 * checks, plus duplicate keys; building writes the compact JSON the reference writer writes.
 */
final class SafetensorsHeader {
    /** The reference implementation's limit; a bigger header is treated as an attack. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    static final String METADATA_KEY = "__metadata__";
    /** Longest array a header may hold: its arrays are shapes and data offsets (numpy allows 64 dimensions, torch fewer). */
    static final int MAX_ARRAY_ITEMS = 4096;

    /** One tensor's entry: its bytes are {@code [begin, end)} of the data region. */
    record Entry(String name, TensorSpec spec, long begin, long end) {
    }

    private final Map<String, String> metadata;
    private final List<Entry> entries;

    private SafetensorsHeader(Map<String, String> metadata, List<Entry> entries) {
        this.metadata = metadata;
        this.entries = entries;
    }

    Map<String, String> metadata() {
        return metadata;
    }

    /** Entries in data order. */
    List<Entry> entries() {
        return entries;
    }

    /** Reads the little-endian header length N from the first 8 bytes of a file. */
    static long headerLength(byte[] first8) {
        return ByteBuffer.wrap(first8, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /**
     * Validates the JSON header bytes (without the 8-byte length) against a data region of
     * {@code dataLength} bytes; a negative {@code dataLength} means "the data ends where the
     * last tensor ends" (used when restoring, where no file exists yet).
     */
    static SafetensorsHeader parse(byte[] json, long dataLength, String where) throws BadInputException {
        if (json.length == 0 || json[0] != '{') {
            throw new BadInputException(where + ": safetensors header does not start with '{'");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(json)).toString();
        } catch (CharacterCodingException e) {
            throw new BadInputException(where + ": safetensors header is not valid UTF-8");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        try {
            // member by member: the tree of a whole 100 MB header of small tensors took 4.8 GB of heap (found by fuzzing)
            Json.<BadInputException>forEachMember(text, MAX_ARRAY_ITEMS, (key, value) -> {
                if (key.equals(METADATA_KEY)) {
                    readMetadata(value, metadata, where);
                } else {
                    entries.add(readEntry(key, value, where));
                }
            });
        } catch (Json.SyntaxException e) {
            throw new BadInputException(where + ": safetensors header is not valid JSON: " + e.getMessage());
        }
        // zero-size tensors sort before a tensor starting at the same offset; stable otherwise
        entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        for (Entry en : entries) {
            if (en.begin() != expected) {
                String what = en.begin() < expected ? "overlaps the previous tensor" : "leaves a hole of " + (en.begin() - expected) + " bytes before it";
                throw new BadInputException(where + ": tensor '" + en.name() + "': data_offsets [" + en.begin() + ", " + en.end() + "] " + what);
            }
            if (dataLength >= 0 && en.end() > dataLength) {
                throw new BadInputException(where + ": tensor '" + en.name() + "': data_offsets [" + en.begin() + ", " + en.end() + "] reach beyond the " + dataLength + "-byte data region");
            }
            expected = en.end();
        }
        if (dataLength >= 0 && expected != dataLength) {
            throw new BadInputException(where + ": tensors cover " + expected + " bytes but the data region has " + dataLength + " (trailing bytes)");
        }
        return new SafetensorsHeader(Collections.unmodifiableMap(metadata), List.copyOf(entries));
    }

    private static void readMetadata(Object value, Map<String, String> out, String where) throws BadInputException {
        if (value == Json.NULL) {
            return;
        }
        if (!(value instanceof Map)) {
            throw new BadInputException(where + ": __metadata__ is not a JSON object");
        }
        for (Map.Entry<?, ?> m : ((Map<?, ?>) value).entrySet()) {
            if (!(m.getValue() instanceof String)) {
                throw new BadInputException(where + ": __metadata__ value of '" + m.getKey() + "' is not a string");
            }
            out.put((String) m.getKey(), (String) m.getValue());
        }
    }

    private static Entry readEntry(String name, Object value, String where) throws BadInputException {
        String at = where + ": tensor '" + name + "'";
        if (!(value instanceof Map)) {
            throw new BadInputException(at + ": entry is not a JSON object");
        }
        // unknown fields are ignored, as the reference reader does; the header is kept verbatim anyway
        Map<?, ?> m = (Map<?, ?>) value;
        Object dtypeValue = m.get("dtype");
        if (!(dtypeValue instanceof String)) {
            throw new BadInputException(at + ": missing or non-string \"dtype\"");
        }
        DType dtype = DType.fromSafetensors((String) dtypeValue).orElseThrow(
                () -> new BadInputException(at + ": unknown dtype \"" + dtypeValue + "\""));
        long[] dims = nonNegativeLongs(m.get("shape"), -1, at, "shape");
        long[] offsets = nonNegativeLongs(m.get("data_offsets"), 2, at, "data_offsets");
        Shape shape;
        long size;
        try {
            shape = Shape.of(dims);
            size = dtype.byteSize(shape.elementCount());
        } catch (IllegalArgumentException e) {
            throw new BadInputException(at + ": " + e.getMessage());
        } catch (ArithmeticException e) {
            throw new BadInputException(at + ": shape " + Shape.of(dims) + " of " + dtypeValue + " has more bytes than fit in a long");
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (end < begin || end - begin != size) {
            throw new BadInputException(at + ": data_offsets [" + begin + ", " + end + "] do not match dtype "
                    + dtypeValue + " and shape " + shape + " (" + size + " bytes)");
        }
        return new Entry(name, new TensorSpec(dtype, shape, false), begin, end);
    }

    /** A JSON array of integers in [0, Long.MAX_VALUE]; {@code count} < 0 means any length. */
    private static long[] nonNegativeLongs(Object value, int count, String at, String field) throws BadInputException {
        if (!(value instanceof List)) {
            throw new BadInputException(at + ": missing or non-array \"" + field + "\"");
        }
        List<?> list = (List<?>) value;
        if (count >= 0 && list.size() != count) {
            throw new BadInputException(at + ": \"" + field + "\" must have " + count + " entries, has " + list.size());
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            Object v = list.get(i);
            if (v instanceof BigDecimal) {
                throw new BadInputException(at + ": \"" + field + "\" entry " + v + " is not an integer");
            }
            if (!(v instanceof BigInteger)) {
                throw new BadInputException(at + ": \"" + field + "\" entry " + v + " is not a number");
            }
            BigInteger b = (BigInteger) v;
            if (b.signum() < 0) {
                throw new BadInputException(at + ": \"" + field + "\" entry " + b + " is negative");
            }
            if (b.bitLength() > 63) {
                throw new BadInputException(at + ": \"" + field + "\" entry " + b + " is too large");
            }
            out[i] = b.longValue();
        }
        return out;
    }

    /**
     * Builds the 8-byte length plus compact JSON header for {@code entries} (already laid out),
     * padded with spaces so the data starts at a multiple of 8, as the reference writer does.
     */
    static byte[] build(Map<String, String> metadata, List<Entry> entries) {
        StringBuilder sb = new StringBuilder("{");
        boolean first = true;
        if (!metadata.isEmpty()) {
            sb.append('"').append(METADATA_KEY).append("\":{");
            boolean firstMeta = true;
            for (Map.Entry<String, String> m : metadata.entrySet()) {
                if (!firstMeta) {
                    sb.append(',');
                }
                firstMeta = false;
                Json.writeString(sb, m.getKey());
                sb.append(':');
                Json.writeString(sb, m.getValue());
            }
            sb.append('}');
            first = false;
        }
        for (Entry e : entries) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            Json.writeString(sb, e.name());
            sb.append(":{\"dtype\":\"").append(e.spec().dtype().safetensorsName().orElseThrow()).append("\",\"shape\":[");
            long[] dims = e.spec().shape().dims();
            for (int i = 0; i < dims.length; i++) {
                sb.append(i == 0 ? "" : ",").append(dims[i]);
            }
            sb.append("],\"data_offsets\":[").append(e.begin()).append(',').append(e.end()).append("]}");
        }
        sb.append('}');
        byte[] json = sb.toString().getBytes(StandardCharsets.UTF_8);
        int jsonLength = json.length;
        int padded = (jsonLength + 7) / 8 * 8;
        ByteBuffer out = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded);
        out.put(json, 0, jsonLength);
        while (out.hasRemaining()) {
            out.put((byte) ' ');
        }
        return out.array();
    }
}
