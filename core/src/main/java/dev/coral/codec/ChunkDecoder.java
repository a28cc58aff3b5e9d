package dev.coral.codec;

import dev.coral.error.CorruptObjectException;
import java.util.Arrays;

/**
 * Decodes framed chunk payloads ({@link ChunkFormat}). Everything the decoder needs is in the
 * payload's header except the base chunk of a delta codec. A payload that does not verify
 * (checksum, unknown codec id or plane mode, wrong width, lengths that do not add up, a zstd
 * frame that does not decode to its plane) raises {@link CorruptObjectException}; no garbage is
 * ever returned for a damaged payload.
 */
public final class ChunkDecoder {
    private ChunkDecoder() {
    }

    /** Decodes {@code payload} (whole array) into a new array of {@code rawLength} bytes. */
    public static byte[] decode(byte[] payload, byte[] base, int rawLength) throws CorruptObjectException {
        if (rawLength < 0) {
            throw new IllegalArgumentException("raw length " + rawLength);
        }
        byte[] dst = new byte[rawLength];
        try (CodecWorkspace ws = new CodecWorkspace()) {
            decode(payload, 0, payload.length, base, 0, dst, 0, rawLength, ws);
        }
        return dst;
    }

    /**
     * Decodes {@code p[off, off+len)} into {@code dst[dstOff, dstOff+rawLength)}.
     *
     * @param base the base chunk's raw bytes at {@code base[baseOff, baseOff+rawLength)}; needed
     *             only by the delta codecs, ignored otherwise (may be null)
     * @param rawLength the length the caller expects (from its own records); a payload that
     *                  declares another raw length is corrupt
     */
    public static void decode(byte[] p, int off, int len, byte[] base, int baseOff, byte[] dst, int dstOff, int rawLength,
                              CodecWorkspace ws) throws CorruptObjectException {
        decode(p, off, len, base, baseOff, dst, dstOff, rawLength, 0, ws);
    }

    /**
     * As {@link #decode(byte[], int, int, byte[], int, byte[], int, int, CodecWorkspace)}, and
     * the payload must declare element width {@code expectedWidth} (the caller's dtype, see
     * {@link ChunkEncoder#planeWidth}); 0 accepts any width.
     */
    public static void decode(byte[] p, int off, int len, byte[] base, int baseOff, byte[] dst, int dstOff, int rawLength,
                              int expectedWidth, CodecWorkspace ws) throws CorruptObjectException {
        decode(p, off, len, base, baseOff, dst, dstOff, rawLength, expectedWidth, ws, false);
    }

    /**
     * As {@link #decode(byte[], int, int, byte[], int, byte[], int, int, int, CodecWorkspace)};
     * {@code crcChecked}: the payload was read from a pack entry whose checksum (over the same
     * bytes) was checked just now, so its own CRC is not computed again (measured: 5% of the CPU
     * of reading an 84 MB checkpoint six links deep went to checking each link twice).
     */
    public static void decode(byte[] p, int off, int len, byte[] base, int baseOff, byte[] dst, int dstOff, int rawLength,
                              int expectedWidth, CodecWorkspace ws, boolean crcChecked) throws CorruptObjectException {
        decode(p, off, len, base, baseOff, dst, dstOff, rawLength, expectedWidth, ws, crcChecked, false);
    }

    /**
     * Undoes an {@link ChunkCodec#XOR_PLANES} delta on raw bytes: {@code made[madeOff, +rawLength)}
     * hold the chunk the delta made, and its base goes to {@code dst[dstOff, +rawLength)}, which
     * may be {@code made} at the same offset (in place). What {@link #undoInPlaneSpace} does
     * without splitting the chunk into planes and merging them back: the delta's planes are
     * decoded and merged once, XORed with the chunk (84 MB a link back, warm: the split and the
     * merge were 30% of the undo's CPU). The context-coded planes take their contexts from the
     * chunk's top bytes XOR the delta's plane 0, the base's; the low bit, which plane 1 changes, is
     * the chunk's, so the same condition holds ({@link #canUndoInPlaneSpace}). Returns false,
     * {@code dst} untouched, when the payload cannot be undone so.
     */
    public static boolean undo(byte[] p, int off, int len, byte[] made, int madeOff, byte[] dst, int dstOff, int rawLength,
                               int expectedWidth, CodecWorkspace ws, boolean crcChecked) throws CorruptObjectException {
        if (expectedWidth <= 0 || !canUndoInPlaneSpace(p, off, len, expectedWidth, crcChecked)) {
            return false;
        }
        decode(p, off, len, made, madeOff, dst, dstOff, rawLength, expectedWidth, ws, true, true);
        return true;
    }

    private static void decode(byte[] p, int off, int len, byte[] base, int baseOff, byte[] dst, int dstOff, int rawLength,
                               int expectedWidth, CodecWorkspace ws, boolean crcChecked, boolean undo) throws CorruptObjectException {
        if (off < 0 || len < 0 || off + len > p.length || off + len < 0) {
            throw new IllegalArgumentException("payload range [" + off + ", +" + len + ") outside " + p.length + " bytes");
        }
        if (rawLength < 0 || dstOff < 0 || dstOff + rawLength > dst.length || dstOff + rawLength < 0) {
            throw new IllegalArgumentException("destination range [" + dstOff + ", +" + rawLength + ") outside " + dst.length + " bytes");
        }
        int[] lengths = new int[16];
        int[] modes = new int[16];
        ChunkFormat.parse(p, off, len, modes, lengths, crcChecked);
        ChunkCodec codec = ChunkCodec.byId(p[off] & 0xFF);
        int w = p[off + 1] & 0xFF;
        if (expectedWidth > 0 && w != expectedWidth) {
            throw new CorruptObjectException("chunk payload declares element width " + w + ", expected " + expectedWidth);
        }
        int declared = ChunkFormat.getInt(p, off + 4);
        if (declared != rawLength) {
            throw new CorruptObjectException("chunk payload decodes to " + declared + " bytes, expected " + rawLength);
        }
        if (codec.needsBase()) {
            if (base == null) {
                throw new CorruptObjectException("chunk payload is " + codec + " and needs its base chunk, none was given");
            }
            if (baseOff < 0 || baseOff + rawLength > base.length || baseOff + rawLength < 0) {
                throw new IllegalArgumentException("base range [" + baseOff + ", +" + rawLength + ") outside " + base.length + " bytes");
            }
        }
        int body = off + ChunkFormat.HEADER_BYTES;
        switch (codec) {
            case RAW -> {
                if (len - ChunkFormat.HEADER_BYTES != rawLength) {
                    throw new CorruptObjectException("RAW chunk payload holds " + (len - ChunkFormat.HEADER_BYTES) + " bytes, expected " + rawLength);
                }
                System.arraycopy(p, body, dst, dstOff, rawLength);
            }
            case ZSTD -> {
                if (len == ChunkFormat.HEADER_BYTES) {
                    throw new CorruptObjectException("ZSTD chunk payload has no zstd frame");
                }
                unzstd(p, body, len - ChunkFormat.HEADER_BYTES, dst, dstOff, rawLength, ws, "ZSTD chunk payload");
            }
            case PLANES, XOR_PLANES, SUB_PLANES, ZIGZAG_PLANES -> decodePlanes(codec, p, off, w, modes, lengths, base, baseOff, dst, dstOff,
                    rawLength, ws, undo);
        }
    }

    /** With {@code undo}, {@code base} holds the chunk the (XOR) delta made, and dst gets its base ({@link #undo}). */
    private static void decodePlanes(ChunkCodec codec, byte[] p, int off, int w, int[] modes, int[] lengths, byte[] base, int baseOff,
                                     byte[] dst, int dstOff, int rawLength, CodecWorkspace ws, boolean undo) throws CorruptObjectException {
        int n = rawLength / w;
        if (n == 0) {
            return;
        }
        int pos = off + ChunkFormat.HEADER_BYTES + ChunkFormat.PLANE_ENTRY_BYTES * w;
        byte[][] arrays = ws.mergeArrays;
        int[] offs = ws.mergeOffsets;
        boolean exponentBytes = ChunkFormat.exponentBytes(p, off);
        boolean mantissaBit = ChunkFormat.mantissaBit(p, off);
        boolean needBuffer = exponentBytes && w == 8; // (8-byte elements are turned back into it before their merge)
        for (int k = 0; k < w; k++) {
            needBuffer |= modes[k] != PlaneMode.RAW.id();
        }
        if (needBuffer) {
            ws.planes = CodecWorkspace.grow(ws.planes, rawLength);
        }
        byte[] buf = ws.planes;
        byte[] contexts = null;
        for (int k = 0; k < w; k++) {
            int bl = lengths[k];
            switch (modes[k]) {
                case 0 -> {
                    arrays[k] = p;
                    offs[k] = pos;
                }
                case 1 -> {
                    unzstd(p, pos, bl, buf, k * n, n, ws, "plane " + k);
                    arrays[k] = buf;
                    offs[k] = k * n;
                }
                case 4 -> {
                    unhuff(p, pos, bl, buf, k * n, n, ws, k);
                    arrays[k] = buf;
                    offs[k] = k * n;
                }
                case 5 -> {
                    if (contexts == null) {
                        contexts = ws.contexts = CodecWorkspace.grow(ws.contexts, n);
                        if (undo) { // plane 0 is decoded (never context-coded when undoing)
                            ContextHuffman.contextsOfUndone(base, baseOff, n, w, arrays[0], offs[0], contexts);
                        } else {
                            ContextHuffman.contextsOfRaw(base, baseOff, n, w, contexts);
                        }
                    }
                    uncontext(p, pos, bl, buf, k * n, n, contexts, ws, k);
                    arrays[k] = buf;
                    offs[k] = k * n;
                }
                case 6 -> {
                    unsparse(p, pos, bl, buf, k * n, n, false, ws, k);
                    arrays[k] = buf;
                    offs[k] = k * n;
                }
                case 7 -> {
                    unpack(p, pos, bl, buf, k * n, n, k);
                    arrays[k] = buf;
                    offs[k] = k * n;
                }
                case 2 -> {
                    Arrays.fill(buf, k * n, (k + 1) * n, (byte) 0);
                    arrays[k] = buf;
                    offs[k] = k * n;
                }
                default -> {
                    Arrays.fill(buf, k * n, (k + 1) * n, p[pos]);
                    arrays[k] = buf;
                    offs[k] = k * n;
                }
            }
            pos += bl;
        }
        if (exponentBytes) { // the elements' own top two bytes turned back as they are merged
            PlaneTransform.mergeExponentBytes(arrays, offs, n, w, buf, dst, dstOff);
            Arrays.fill(arrays, null);
            return;
        }
        if (mantissaBit) { // the elements' own top two bits traded back as they are merged
            PlaneTransform.mergeTraded(arrays, offs, n, w, PlaneTransform.TOP_TWO_BITS, buf, dst, dstOff);
            Arrays.fill(arrays, null);
            return;
        }
        int op = switch (codec) {
            case XOR_PLANES -> PlaneTransform.XOR;
            case SUB_PLANES -> PlaneTransform.SUB;
            case ZIGZAG_PLANES -> PlaneTransform.ZIGZAG;
            default -> PlaneTransform.NONE;
        };
        PlaneTransform.merge(arrays, offs, base, baseOff, n, w, op, dst, dstOff);
        Arrays.fill(arrays, null);
    }

    /**
     * The codec and element width a framed payload declares, read from its first two bytes
     * without checking anything else (the decode that follows checks everything): for choosing
     * {@link #decodeInPlaneSpace}. Returns -1 when the payload is too short to say.
     */
    public static int planeSpaceWidth(byte[] p, int off, int len, boolean delta) {
        if (len < ChunkFormat.HEADER_BYTES) {
            return -1;
        }
        int codec = p[off] & 0xFF;
        int w = p[off + 1] & 0xFF;
        if (!ChunkFormat.isValidWidth(w)) {
            return -1;
        }
        if (!delta) {
            return codec == ChunkCodec.PLANES.id() ? w : -1;
        }
        return codec == ChunkCodec.XOR_PLANES.id() || codec == ChunkCodec.ZIGZAG_PLANES.id() && w <= 8 ? w : -1;
    }

    /**
     * Decodes a {@link ChunkCodec#PLANES}, {@link ChunkCodec#XOR_PLANES} or (of up to 8-byte
     * elements) {@link ChunkCodec#ZIGZAG_PLANES} payload in plane space: plane k of its elements
     * goes to {@code planes[k*n, (k+1)*n)} (n = rawLength / w), overwriting what is there for
     * PLANES, XORed into it for XOR_PLANES. Since XOR commutes with the byte split, a keyframe's
     * planes XOR every delta's planes up a chain are the planes of the chunk at its top: a chain
     * of any depth needs one {@link #mergePlanes} at the end instead of one per link, and
     * all-zero delta planes cost nothing. A zigzag delta's planes are decoded whole and added to
     * the chain's with the carries between planes ({@link PlaneTransform#addZigzagPlanes}): its
     * link costs no merge either (BF16, 7 links deep: 12-14% less time per cold read). A keyframe in the exponent
     * layout ({@link ChunkFormat#FLAG_EXPONENT_BYTES}) leaves its elements' own planes, as every
     * delta's are: its raw plane 1 is turned back as it is copied in; one in the mantissa-bit
     * layout ({@link ChunkFormat#FLAG_MANTISSA_BIT}) by a pass over its two planes.
     */
    public static void decodeInPlaneSpace(byte[] p, int off, int len, int rawLength, int expectedWidth, byte[] planes,
                                          CodecWorkspace ws) throws CorruptObjectException {
        decodeInPlaneSpace(p, off, len, rawLength, expectedWidth, planes, ws, false);
    }

    /** As {@link #decodeInPlaneSpace(byte[], int, int, int, int, byte[], CodecWorkspace)}; {@code crcChecked} as for {@link #decode}. */
    public static void decodeInPlaneSpace(byte[] p, int off, int len, int rawLength, int expectedWidth, byte[] planes,
                                          CodecWorkspace ws, boolean crcChecked) throws CorruptObjectException {
        inPlaneSpace(p, off, len, rawLength, expectedWidth, planes, ws, crcChecked, false);
    }

    /**
     * Undoes an {@link ChunkCodec#XOR_PLANES} delta in plane space: {@code planes} hold the chunk
     * the delta made (as {@link #decodeInPlaneSpace} leaves them) and then hold its base. XOR is
     * its own inverse; what stands in the way is the contexts a context-coded plane was coded in,
     * its base's exponents, which the chunk made does not give: its plane 0 XOR the delta's plane 0
     * gives the base's plane 0, the exponent's high bits, but the low bit sits in plane 1. So a
     * delta can be undone when its plane 0 is not context-coded and each context-coded plane's
     * groups are pair-aligned (the encoder's choice, {@link ContextHuffman}: then the low bit never
     * decides a group). Returns false, {@code planes} untouched, when it cannot be undone (another
     * codec or width, a layout flag, or the contexts above).
     */
    public static boolean undoInPlaneSpace(byte[] p, int off, int len, int rawLength, int expectedWidth, byte[] planes,
                                           CodecWorkspace ws, boolean crcChecked) throws CorruptObjectException {
        if (!canUndoInPlaneSpace(p, off, len, expectedWidth, crcChecked)) {
            return false;
        }
        inPlaneSpace(p, off, len, rawLength, expectedWidth, planes, ws, crcChecked, true);
        return true;
    }

    /**
     * Whether {@link #undoInPlaneSpace} would undo this payload (elements of {@code expectedWidth}
     * bytes), from the payload alone: for a caller to learn it before it reads the chunk to undo.
     */
    public static boolean canUndoInPlaneSpace(byte[] p, int off, int len, int expectedWidth, boolean crcChecked)
            throws CorruptObjectException {
        if (planeSpaceWidth(p, off, len, true) != expectedWidth || (p[off] & 0xFF) != ChunkCodec.XOR_PLANES.id()
                || ChunkFormat.exponentBytes(p, off) || ChunkFormat.mantissaBit(p, off)) {
            return false;
        }
        int[] lengths = new int[16];
        int[] modes = new int[16];
        ChunkFormat.parse(p, off, len, modes, lengths, crcChecked);
        int pos = off + ChunkFormat.HEADER_BYTES + ChunkFormat.PLANE_ENTRY_BYTES * expectedWidth;
        for (int k = 0; k < expectedWidth; k++) {
            if (modes[k] == PlaneMode.CONTEXT_HUFFMAN.id() && (k == 0 || !ContextHuffman.pairAligned(p, pos, lengths[k]))) {
                return false;
            }
            pos += lengths[k];
        }
        return true;
    }

    /**
     * {@link #decodeInPlaneSpace}, or with {@code undo} {@link #undoInPlaneSpace} once it has
     * checked the payload: the contexts are then taken after plane 0 is XORed in (the base's plane
     * 0), where a decode takes them before any plane is.
     */
    private static void inPlaneSpace(byte[] p, int off, int len, int rawLength, int expectedWidth, byte[] planes, CodecWorkspace ws,
                                     boolean crcChecked, boolean undo) throws CorruptObjectException {
        if (off < 0 || len < 0 || off + len > p.length || off + len < 0) {
            throw new IllegalArgumentException("payload range [" + off + ", +" + len + ") outside " + p.length + " bytes");
        }
        if (rawLength < 0 || rawLength > planes.length) {
            throw new IllegalArgumentException("planes buffer of " + planes.length + " bytes for " + rawLength);
        }
        int[] lengths = new int[16];
        int[] modes = new int[16];
        ChunkFormat.parse(p, off, len, modes, lengths, crcChecked);
        ChunkCodec codec = ChunkCodec.byId(p[off] & 0xFF);
        int w = p[off + 1] & 0xFF;
        if (codec != ChunkCodec.PLANES && codec != ChunkCodec.XOR_PLANES && (codec != ChunkCodec.ZIGZAG_PLANES || undo)) {
            throw new IllegalArgumentException("plane-space decoding of a " + codec + " payload" + (undo ? " (undoing)" : ""));
        }
        if (w != expectedWidth) {
            throw new CorruptObjectException("chunk payload declares element width " + w + ", expected " + expectedWidth);
        }
        int declared = ChunkFormat.getInt(p, off + 4);
        if (declared != rawLength) {
            throw new CorruptObjectException("chunk payload decodes to " + declared + " bytes, expected " + rawLength);
        }
        boolean xor = codec == ChunkCodec.XOR_PLANES;
        // a zigzag delta's planes are decoded whole into the workspace's planes, then added to the chain's
        boolean zigzag = codec == ChunkCodec.ZIGZAG_PLANES;
        byte[] target = planes;
        if (zigzag) {
            target = ws.planes = CodecWorkspace.grow(ws.planes, rawLength);
        }
        boolean exponentBytes = ChunkFormat.exponentBytes(p, off);
        boolean mantissaBit = ChunkFormat.mantissaBit(p, off);
        boolean turned = false;
        int n = rawLength / w;
        int pos = off + ChunkFormat.HEADER_BYTES + ChunkFormat.PLANE_ENTRY_BYTES * w;
        byte[] contexts = null;
        for (int k = 0; k < w && !undo; k++) {
            if (modes[k] == PlaneMode.CONTEXT_HUFFMAN.id()) { // contexts come from the base: before any plane is XORed in
                contexts = ws.contexts = CodecWorkspace.grow(ws.contexts, n);
                ContextHuffman.contextsOfPlanes(planes, n, contexts);
                break;
            }
        }
        for (int k = 0; k < w; k++) {
            int at = k * n;
            int bl = lengths[k];
            switch (modes[k]) {
                case 0 -> {
                    if (xor) {
                        PlaneTransform.xorInto(p, pos, planes, at, n);
                    } else if (exponentBytes && k == 1) { // plane 0 is decoded: both turned back in the copy's pass
                        PlaneTransform.tradeTopBits(planes, 0, p, pos, planes, 0, n, n);
                        turned = true;
                    } else {
                        System.arraycopy(p, pos, target, at, n);
                    }
                }
                case 1 -> {
                    if (xor) {
                        ws.planes = CodecWorkspace.grow(ws.planes, n);
                        unzstd(p, pos, bl, ws.planes, 0, n, ws, "plane " + k);
                        PlaneTransform.xorInto(ws.planes, 0, planes, at, n);
                    } else {
                        unzstd(p, pos, bl, target, at, n, ws, "plane " + k);
                    }
                }
                case 4 -> {
                    if (xor) {
                        ws.planes = CodecWorkspace.grow(ws.planes, n);
                        unhuff(p, pos, bl, ws.planes, 0, n, ws, k);
                        PlaneTransform.xorInto(ws.planes, 0, planes, at, n);
                    } else {
                        unhuff(p, pos, bl, target, at, n, ws, k);
                    }
                }
                case 5 -> {
                    if (contexts == null) { // undoing: the base's plane 0 is in place (plane 0 is never context-coded then)
                        contexts = ws.contexts = CodecWorkspace.grow(ws.contexts, n);
                        ContextHuffman.contextsOfPlanes(planes, n, contexts);
                    }
                    if (zigzag) {
                        uncontext(p, pos, bl, target, at, n, contexts, ws, k);
                    } else {
                        ws.planes = CodecWorkspace.grow(ws.planes, n);
                        uncontext(p, pos, bl, ws.planes, 0, n, contexts, ws, k);
                        PlaneTransform.xorInto(ws.planes, 0, planes, at, n);
                    }
                }
                case 6 -> unsparse(p, pos, bl, target, at, n, xor, ws, k);
                case 7 -> {
                    if (xor) {
                        ws.planes = CodecWorkspace.grow(ws.planes, n);
                        unpack(p, pos, bl, ws.planes, 0, n, k);
                        PlaneTransform.xorInto(ws.planes, 0, planes, at, n);
                    } else {
                        unpack(p, pos, bl, target, at, n, k);
                    }
                }
                case 2 -> {
                    if (!xor) {
                        Arrays.fill(target, at, at + n, (byte) 0);
                    }
                }
                default -> {
                    if (xor) {
                        PlaneTransform.xorConstant(p[pos], planes, at, n);
                    } else {
                        Arrays.fill(target, at, at + n, p[pos]);
                    }
                }
            }
            pos += bl;
        }
        if (zigzag) {
            PlaneTransform.addZigzagPlanes(target, planes, n, w);
        }
        if (exponentBytes && !turned) {
            PlaneTransform.tradeTopBits(planes, 0, planes, n, planes, 0, n, n);
        }
        if (mantissaBit) {
            PlaneTransform.tradeBits(planes, 0, planes, n, planes, 0, n, n, PlaneTransform.TOP_TWO_BITS);
        }
    }

    /** Splits little-endian elements at {@code src[0, rawLength)} into w planes of rawLength / w bytes each: {@link #mergePlanes} undone. */
    public static void splitPlanes(byte[] src, int rawLength, int w, byte[] planes) {
        PlaneTransform.split(src, 0, null, 0, rawLength / w, w, PlaneTransform.NONE, planes, 0);
    }

    /** Merges w planes of rawLength / w bytes each ({@code planes[k*n...]}) into little-endian elements at {@code dst[0, rawLength)}. */
    public static void mergePlanes(byte[] planes, int rawLength, int w, byte[] dst) {
        int n = rawLength / w;
        byte[][] arrays = new byte[w][];
        int[] offs = new int[w];
        for (int k = 0; k < w; k++) {
            arrays[k] = planes;
            offs[k] = k * n;
        }
        PlaneTransform.merge(arrays, offs, null, 0, n, w, PlaneTransform.NONE, dst, 0);
    }

    private static void unhuff(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff, int n, CodecWorkspace ws, int plane)
            throws CorruptObjectException {
        try {
            HuffmanCoder.decode(src, srcOff, srcLen, dst, dstOff, n, ws.huffman());
        } catch (CorruptObjectException e) {
            throw new CorruptObjectException("plane " + plane + ": " + e.getMessage(), e);
        }
    }

    private static void unpack(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff, int n, int plane)
            throws CorruptObjectException {
        try {
            Packed7.unpack(src, srcOff, srcLen, dst, dstOff, n);
        } catch (CorruptObjectException e) {
            throw new CorruptObjectException("plane " + plane + ": " + e.getMessage(), e);
        }
    }

    private static void unsparse(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff, int n, boolean xor, CodecWorkspace ws,
                                 int plane) throws CorruptObjectException {
        try {
            SparsePlane.decode(src, srcOff, srcLen, dst, dstOff, n, xor, ws.sparseScratch(), ws.huffman());
        } catch (CorruptObjectException e) {
            throw new CorruptObjectException("plane " + plane + ": " + e.getMessage(), e);
        }
    }

    private static void uncontext(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff, int n, byte[] contexts,
                                  CodecWorkspace ws, int plane) throws CorruptObjectException {
        try {
            ContextHuffman.decode(src, srcOff, srcLen, dst, dstOff, n, contexts, ws.contextScratch(), ws.huffman());
        } catch (CorruptObjectException e) {
            throw new CorruptObjectException("plane " + plane + ": " + e.getMessage(), e);
        }
    }

    private static void unzstd(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff, int n, CodecWorkspace ws, String what)
            throws CorruptObjectException {
        int got;
        try {
            got = ws.decompressor().decompressByteArray(dst, dstOff, n, src, srcOff, srcLen);
        } catch (RuntimeException e) {
            throw new CorruptObjectException(what + ": zstd frame does not decode to " + n + " bytes (" + e.getMessage() + ")", e);
        }
        if (got != n) {
            throw new CorruptObjectException(what + ": zstd frame decodes to " + got + " bytes, expected " + n);
        }
    }
}
