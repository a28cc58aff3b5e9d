package dev.coral.codec;

import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;

/**
 * Buffers and zstd contexts reused from chunk to chunk by one thread: plane buffers, the output
 * buffer(s), sample buffers and native zstd contexts. Not thread-safe; keep one per worker thread
 * and close it when the worker ends (the zstd contexts hold native memory). Every buffer grows to
 * at most a small multiple of the largest chunk seen, never more.
 */
public final class CodecWorkspace implements AutoCloseable {
    private ZstdCompressCtx cctx;
    private int cctxLevel = Integer.MIN_VALUE;
    private ZstdDecompressCtx dctx;
    private ZstdCompressCtx planeCtx;
    /** Level 1 plane context: samples and the default level. */
    private ZstdCompressCtx planeCtx1;
    private int planeCtxLevel = Integer.MIN_VALUE;

    /** Planes of the chunk being encoded or decoded. */
    byte[] planes = new byte[0];
    /** Encoder output. */
    byte[] out = new byte[0];
    /** Best encoding so far (exhaustive choice). */
    byte[] best = new byte[0];
    /** Sample of the chunk, of the base and of their planes; output of sample compression. */
    byte[] sampleRaw = new byte[0];
    byte[] sampleBase = new byte[0];
    byte[] samplePlanes = new byte[0];
    byte[] sampleOut = new byte[0];
    final byte[][] mergeArrays = new byte[16][];
    final int[] mergeOffsets = new int[16];

    /** Planes of a delta chain being decoded in plane space (see {@link ChunkDecoder#decodeInPlaneSpace}). */
    private byte[] chainPlanes = new byte[0];

    /** A buffer of at least {@code n} bytes for a chain's planes, reused by this workspace. */
    public byte[] chainPlanes(int n) {
        chainPlanes = grow(chainPlanes, n);
        return chainPlanes;
    }

    /**
     * The buffer a chain's payloads are read into, one link at a time (a chain is read link by
     * link as it is decoded), kept from chain to chain: a fresh buffer per read was zeroed first
     * (~5% of a command-line commit).
     */
    private byte[] linkBuffer = new byte[0];

    /**
     * A buffer of at least {@code n} bytes to read a link of a delta chain into, reused from link
     * to link and chain to chain. Valid until this workspace reads the next link.
     */
    public byte[] linkBuffer(int n) {
        linkBuffer = grow(linkBuffer, n);
        return linkBuffer;
    }

    /** The bytes of a chunk at hand (a working-tree file's), read to decode a chunk from. */
    private byte[] handBuffer = new byte[0];

    /**
     * A buffer of at least {@code n} bytes to read a chunk at hand into, kept from chunk to
     * chunk: a fresh 4 MiB array per chunk was zeroed first (84 MB checked out a step back:
     * 8% of the decoding threads' CPU). Valid until this workspace's next chunk at hand.
     */
    public byte[] handBuffer(int n) {
        handBuffer = grow(handBuffer, n);
        return handBuffer;
    }

    /** The bytes of a chunk held in memory that a chain is decoded from (the version below, kept from an earlier read). */
    private byte[] heldBaseBuffer = new byte[0];

    /**
     * A buffer of at least {@code n} bytes to copy a chain's base held in memory into, kept from
     * chunk to chunk (a fresh array per chunk is zeroed first, and paged in where the heap grows).
     * Valid until this workspace's next chain decoded from such a base.
     */
    public byte[] heldBaseBuffer(int n) {
        heldBaseBuffer = grow(heldBaseBuffer, n);
        return heldBaseBuffer;
    }

    private HuffmanCoder.State huffman;
    private ContextHuffman.Scratch contextScratch;
    private SparsePlane.Scratch sparseScratch;
    /** Whether the encoder may code XOR delta planes by context ({@link PlaneMode#CONTEXT_HUFFMAN}). */
    private boolean contextCoding = true;

    /** Lets the encoder code XOR delta planes by context (the default), or not. Decoding reads both. */
    public void setContextCoding(boolean on) {
        contextCoding = on;
    }

    public boolean contextCoding() {
        return contextCoding;
    }

    private boolean zigzagDeltas = true;

    /**
     * Lets the encoder store a delta as a zigzag difference ({@link ChunkCodec#ZIGZAG_PLANES}) where
     * that is much smaller (the default), or not: XOR and integer differences only. Decoding reads all.
     */
    public void setZigzagDeltas(boolean on) {
        zigzagDeltas = on;
    }

    public boolean zigzagDeltas() {
        return zigzagDeltas;
    }

    private boolean pairAligned = true;

    /**
     * Whether context-coded deltas get pair-aligned groups, so that they can be undone from the
     * chunk they made ({@link ChunkDecoder#undoInPlaneSpace}); true unless set. Lossy commits set
     * it off: it cost their stored size 1.5-4.5%.
     */
    public void setPairAlignedContexts(boolean on) {
        pairAligned = on;
        if (contextScratch != null) {
            contextScratch.pairAligned = on;
        }
    }

    public boolean pairAlignedContexts() {
        return pairAligned;
    }

    /**
     * The symbol counts of each sample plane, per plane transform (NONE, XOR, SUB, ZIGZAG) and plane
     * ({@code [op][k * 256 + symbol]}), and the sample plane's length per transform (0: none): the
     * chooser's histograms, from which a large plane's Huffman code is built without a
     * histogram of its own ({@link HuffmanCoder#encodeWithCounts}).
     */
    final int[][] sampleCounts = new int[4][];
    final int[] sampleCountsN = new int[4];
    /** Planes 0 and 1's counts in the exponent layout, while the chooser compares it with the elements' own. */
    final int[] exponentByteCounts = new int[2 * 256];
    /** Planes 0 and 1's counts in the mantissa-bit layout, while the chooser compares it. */
    final int[] mantissaBitCounts = new int[2 * 256];
    /** The choice the last {@code Choice.SAMPLED} encoding made (see {@link ChunkEncoder#encodeAsBefore}). */
    ChunkEncoder.Decision lastDecision;

    private ContextCounts counts;
    private java.util.concurrent.Future<?> countsDone;

    /**
     * Offers the encoder counts made ahead for the next chunk ({@link ContextCounts}), valid
     * once {@code done} completes with true; until {@link #withdrawContextCounts()}.
     */
    public void offerContextCounts(ContextCounts counts, java.util.concurrent.Future<Boolean> done) {
        this.counts = counts;
        this.countsDone = done;
    }

    public void withdrawContextCounts() {
        counts = null;
        countsDone = null;
        planesAhead = null;
    }

    private XorPlanesAhead planesAhead;

    /** Offers the encoder the next chunk's XOR planes split ahead, until {@link #withdrawContextCounts()}. */
    public void offerXorPlanes(XorPlanesAhead planes) {
        planesAhead = planes;
    }

    /** The XOR planes offered, if they are of n elements of width w; else null. */
    byte[] xorPlanesAhead(int n, int w) {
        return planesAhead == null ? null : planesAhead.planes(n, w);
    }

    /** The counts offered, if they are of plane k of n elements of width w (waiting for them); else null. */
    ContextCounts contextCounts(int n, int w, int k) {
        if (counts == null) {
            return null;
        }
        try {
            if (!Boolean.TRUE.equals(countsDone.get())) {
                return null;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (java.util.concurrent.ExecutionException | RuntimeException e) {
            return null; // counted here instead
        }
        return counts.fits(n, w, k) ? counts : null;
    }

    /** Contexts of the base's elements ({@link ContextHuffman}), of the chunk or of the sample. */
    byte[] contexts = new byte[0];
    byte[] sampleContexts = new byte[0];

    ContextHuffman.Scratch contextScratch() {
        if (contextScratch == null) {
            contextScratch = new ContextHuffman.Scratch();
            contextScratch.pairAligned = pairAligned;
        }
        return contextScratch;
    }

    SparsePlane.Scratch sparseScratch() {
        if (sparseScratch == null) {
            sparseScratch = new SparsePlane.Scratch();
        }
        return sparseScratch;
    }

    HuffmanCoder.State huffman() {
        if (huffman == null) {
            huffman = new HuffmanCoder.State();
        }
        return huffman;
    }

    private boolean closed;

    public CodecWorkspace() {
    }

    static byte[] grow(byte[] a, int n) {
        if (a.length >= n) {
            return a;
        }
        return new byte[Math.max(n, (int) Math.min(Integer.MAX_VALUE - 16, a.length + (long) (a.length >> 2)))];
    }

    ZstdCompressCtx compressor(int level) {
        ensureOpen();
        if (cctx == null) {
            cctx = new ZstdCompressCtx();
            cctx.setContentSize(true);
            cctx.setChecksum(false);
        }
        if (cctxLevel != level) {
            cctx.setLevel(level);
            cctxLevel = level;
        }
        return cctx;
    }

    /**
     * The context for byte planes. At levels 1 and 2 it is tuned for planes (measured on fp32
     * exponent planes: ratio 2.95 instead of 2.74, encode 1.35x and decode 1.8x faster than
     * plain level 1): fast strategy, minimum match 7, hash log 10, so that the dense
     * low-entropy bytes go to Huffman-coded literals instead of many short matches. Other
     * levels are plain zstd levels.
     */
    ZstdCompressCtx planeCompressor(int level) {
        ensureOpen();
        if (level == 1) {
            if (planeCtx1 == null) {
                planeCtx1 = newPlaneCtx(1);
            }
            return planeCtx1;
        }
        if (planeCtx != null && planeCtxLevel != level) {
            planeCtx.close();
            planeCtx = null;
        }
        if (planeCtx == null) {
            planeCtx = newPlaneCtx(level);
            planeCtxLevel = level;
        }
        return planeCtx;
    }

    private static ZstdCompressCtx newPlaneCtx(int level) {
        ZstdCompressCtx c = new ZstdCompressCtx();
        c.setContentSize(true);
        c.setChecksum(false);
        c.setLevel(level);
        if (level == 1 || level == 2) {
            c.setStrategy(1);
            c.setMinMatch(7);
            c.setHashLog(10);
        }
        return c;
    }

    ZstdDecompressCtx decompressor() {
        ensureOpen();
        if (dctx == null) {
            dctx = new ZstdDecompressCtx();
        }
        return dctx;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("codec workspace is closed");
        }
    }

    /** Drops the buffers (kept contexts stay); for a worker that goes idle. */
    public void trim() {
        planes = new byte[0];
        chainPlanes = new byte[0];
        out = new byte[0];
        best = new byte[0];
        contexts = new byte[0];
        contextScratch = null;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (cctx != null) {
            cctx.close();
            cctx = null;
        }
        if (planeCtx != null) {
            planeCtx.close();
            planeCtx = null;
        }
        if (planeCtx1 != null) {
            planeCtx1.close();
            planeCtx1 = null;
        }
        if (dctx != null) {
            dctx.close();
            dctx = null;
        }
        trim();
    }

    /** The choice the last {@code Choice.SAMPLED} encoding in this workspace made, or null. */
    public ChunkEncoder.Decision lastDecision() {
        return lastDecision;
    }
}
