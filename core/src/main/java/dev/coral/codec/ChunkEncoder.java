package dev.coral.codec;

import com.github.luben.zstd.Zstd;
import dev.coral.codec.ChunkCodec.EncodedChunk;
import dev.coral.tensor.DType;
import java.util.Arrays;

/**
 * Encodes a chunk (raw little-endian elements) into a framed payload ({@link ChunkFormat}) with
 * one named codec, or with the smallest of them ({@link #encodeBest}). Pure functions: the only
 * state is the caller's {@link CodecWorkspace} (buffers and zstd contexts reused per thread).
 *
 * <p>Planar codecs decide per plane, from a sample, how to store it: Huffman-coded (dense skewed
 * planes such as exponents), sparse (mostly-zero planes such as the sign and exponent bytes of
 * XOR deltas: {@link SparsePlane}), zstd (runs and repeats) or raw
 * (near-random low mantissa planes, which neither shrinks by 100/{@value #RAW_RATIO_PERCENT});
 * see {@link #estimatePlanar}. Constant planes (typically all-zero high bytes of integers and of
 * XOR deltas) cost one byte or none. A large Huffman plane takes its code from the sample's
 * counts ({@link HuffmanCoder#encodeWithCounts}), without a histogram pass of its own. Measured
 * (JMH, one core, perf/README.md): fp32 planes encode at 1.47 GB/s and decode at 2.0-2.5 GB/s,
 * ratio 1.199; BF16 1.22 / 1.7-1.8 GB/s, ratio 1.498. A keyframe of floats takes the exponent
 * layout ({@link ChunkFormat#FLAG_EXPONENT_BYTES}, see {@link #exponentBytesSaving}): ratio
 * 1.2025 / 1.5080 on the same chunks; or, its elements all under 2 in magnitude, the mantissa-bit
 * layout ({@link ChunkFormat#FLAG_MANTISSA_BIT}, see {@link #mantissaBitSaving}): 1.2056 / 1.5175,
 * past ZipNN's method on the same chunks (1.2038 / 1.5123).
 */
public final class ChunkEncoder {
    /** How {@link #encodeBest} picks a codec. */
    public enum Choice {
        /**
         * Estimate every candidate on one sample of the chunk (and of the base) compressed at
         * level 1; encode only the best estimate in full (plus "no delta" when a delta comes out
         * much larger than estimated). Falls back to RAW if nothing shrinks the chunk.
         */
        SAMPLED,
        /** Encode every candidate in full and keep the smallest: the reference for SAMPLED. */
        EXHAUSTIVE
    }

    /** Bytes of the chooser's sample (element-aligned stripes spread over the chunk). */
    static final int SAMPLE_BYTES = 64 << 10;
    static final int STRIPES = 8;
    /** A plane is compressed only when its sample shrinks to at most 100/105 of its size. */
    static final int RAW_RATIO_PERCENT = 105;
    static final int SAMPLE_LEVEL = 1;
    /**
     * A plane goes to Huffman when it comes out at least this many percent smaller than with zstd
     * (measured: 2% smaller on fp32 exponent planes, 15% on the high mantissa plane of XOR deltas).
     */
    static final int HUFFMAN_GAIN_PERCENT = 1;
    /**
     * An integer-difference delta is picked over the best other candidate only when it is
     * estimated at least this many percent smaller: an XOR delta decodes in plane space along a
     * chain (no merge per link), a SUB link forces the chain above it through raw bytes.
     * Measured: the throughput scenario's 84 MB Adam checkpoints held 10 SUB deltas in 56, each
     * forcing its chain's reads through a merge per link; with this margin they hold none and the
     * stored size is the same (113 MB), as is the training history's ratio (1.54x fp32, 3.38x BF16).
     */
    static final int SUB_GAIN_PERCENT = 3;
    /**
     * A zigzag delta ({@link ChunkCodec#ZIGZAG_PLANES}) is picked over the best other candidate only
     * when estimated at least this many percent smaller. It is an integer difference: a chain read
     * merges at each such link, and a checkout cannot undo it from a newer file at hand, as it
     * does an XOR delta. Measured on the training scenario's Adam history (perf
     * {@code PredictiveDeltaProbe}): BF16 steps come out 17.6% smaller by zigzag difference than by
     * XOR, F16 steps 14.8%, fp32 steps 3.2%; this margin takes it for BF16 and F16 and leaves fp32 with XOR.
     */
    static final int ZIGZAG_GAIN_PERCENT = 8;
    /**
     * A delta plane is coded with one Huffman code per base-magnitude group ({@link ContextHuffman})
     * when that saves at least this many percent of the plane's raw bytes over the best single code:
     * it decodes slower (measured: 2.6 vs 1.7 ms per million bytes), so it must pay in bytes that
     * matter. Measured on an fp32 Adam history: the high mantissa XOR plane saves 8.5% of its raw
     * bytes and is coded by context; the mostly zero sign/exponent plane saves 1.4% and is not.
     */
    static final int CONTEXT_SAVING_PERCENT = 2;
    /**
     * With SAMPLED, a delta whose full encoding exceeds the estimate of the best no-delta
     * candidate by this many percent is re-checked against a full no-delta encoding.
     */
    static final int DELTA_RECHECK_PERCENT = 110;

    /**
     * {@link #encodeAsBefore} keeps a choice made before while the payload stays within this many
     * percent of the size that choice gave last time (per raw byte).
     */
    static final int REUSE_TOLERANCE_PERCENT = 110;

    /**
     * What the chooser picked for a chunk (the codec and each plane's mode) and the payload's size,
     * so that the chunk's next version can be encoded the same way without choosing again
     * ({@link #encodeAsBefore}). {@code hints} is not copied: callers must not change it.
     */
    public record Decision(ChunkCodec codec, int[] hints, int rawLength, int payloadBytes) {
    }

    /** Length of a hints array: a mode per plane (at most 16), then the payload's flags. */
    private static final int HINTS = 17;
    private static final int FLAGS_HINT = 16;
    /**
     * PLANES takes the exponent layout ({@link ChunkFormat#FLAG_EXPONENT_BYTES}) when the sample
     * says it saves at least 1/this of the bytes of planes 0 and 1: it costs the decoder a trade
     * of bits in every merge (measured: keyframes decode 5-8% slower), so it must pay for it.
     */
    static final int EXPONENT_BYTES_MIN_SAVING = 1000;
    /**
     * PLANES takes the mantissa-bit layout ({@link ChunkFormat#FLAG_MANTISSA_BIT}) over the
     * exponent layout (or none) when the sample says it saves at least 1/this of the bytes of
     * planes 0 and 1: it costs the decoder the unpacking of plane 1. Its plane 0 is coded from its
     * exact histogram, a pass the sample's counts spare the other layouts: plane 0 spreads over
     * twice the symbols, and the codes a sample-built code must keep for the exponents the sample
     * lacked (the tail of values near 0 halves per exponent) cost most of what the layout saves.
     * Measured against ZipNN's method on the same bytes: the perf MLP's BF16 weights 0.9993-1.0004
     * with sample codes (margins of 16 to 6 exponents), 1.0029-1.0030 exact. The histogram is
     * counted over byte pairs ({@link HuffmanCoder#encodeExact}): BF16 keyframes encode at 1.29
     * GB/s, 1.16 with per-stream histograms, 1.37-1.40 from the sample (JMH chunk, {@code CodecAB}).
     */
    static final int MANTISSA_BIT_MIN_SAVING = 1000;

    private static final int PLANES_IDX = 0;
    private static final int XOR_IDX = 1;
    private static final int SUB_IDX = 2;
    private static final int ZIGZAG_IDX = 3;

    private ChunkEncoder() {
    }

    /**
     * The element width to encode a dtype's chunks with: the element size; for complex types
     * the size of one part (C64 → 4: two fp32 planes sets interleave like fp32); 1 for sub-byte
     * types (F4, F6_*), whose packed bytes are compressed as bytes.
     */
    public static int planeWidth(DType t) {
        return t.isByteAligned() ? t.swapUnitBytes() : 1;
    }

    /** {@link #encodeBest} with {@link Choice#SAMPLED} and a temporary workspace. */
    public static EncodedChunk encodeBest(byte[] raw, int off, int len, int elementBytes, byte[] base, int level) {
        try (CodecWorkspace ws = new CodecWorkspace()) {
            return encodeBest(raw, off, len, elementBytes, base, 0, level, Choice.SAMPLED, ws);
        }
    }

    /** {@link #encode(ChunkCodec, byte[], int, int, int, byte[], int, int, CodecWorkspace)} with a temporary workspace. */
    public static EncodedChunk encode(ChunkCodec codec, byte[] raw, int off, int len, int elementBytes, byte[] base, int level) {
        try (CodecWorkspace ws = new CodecWorkspace()) {
            return encode(codec, raw, off, len, elementBytes, base, 0, level, ws);
        }
    }

    /**
     * Encodes {@code raw[off, off+len)} with {@code codec}, whatever the size it comes to.
     *
     * @param elementBytes the plane width: 1, 2, 4, 8 or 16 (see {@link #planeWidth}); len must be a multiple
     * @param base the base chunk at {@code base[baseOff, baseOff+len)}; required by the delta codecs, ignored by the others
     * @param level the zstd level of compressed planes / of the ZSTD codec
     */
    public static EncodedChunk encode(ChunkCodec codec, byte[] raw, int off, int len, int elementBytes, byte[] base, int baseOff,
                                      int level, CodecWorkspace ws) {
        EncodedChunk e = encodeInWorkspace(codec, raw, off, len, elementBytes, base, baseOff, level, ws);
        return new EncodedChunk(codec, Arrays.copyOf(e.data(), e.length()), e.length()); // never the workspace's array
    }

    /**
     * As {@link #encode(ChunkCodec, byte[], int, int, int, byte[], int, int, CodecWorkspace)}, but
     * the result's array is the workspace's own buffer (longer than the payload), valid only until
     * the workspace's next use, as {@link #encodeBestInWorkspace} returns it.
     */
    public static EncodedChunk encodeInWorkspace(ChunkCodec codec, byte[] raw, int off, int len, int elementBytes, byte[] base,
                                                 int baseOff, int level, CodecWorkspace ws) {
        check(raw, off, len, elementBytes);
        ChunkBase b = baseOf(base, baseOff, len);
        if (codec.needsBase() && b == null) {
            throw new IllegalArgumentException(codec + " needs a base chunk");
        }
        int[] hints = new int[HINTS];
        if (codec.isPlanar() && len > 0) {
            int sampleLen = sample(raw, off, len, elementBytes, codec.needsBase() ? b : null, ws);
            estimatePlanar(opOf(codec), sampleLen, len, elementBytes, ws, hints);
        }
        int n = encodeInto(codec, raw, off, len, elementBytes, b, level, ws, hints);
        return new EncodedChunk(codec, ws.out, n);
    }

    /**
     * Encodes {@code raw[off, off+len)} with the smallest candidate: RAW, ZSTD, PLANES (width
     * above 1) and, when a base is given, XOR_PLANES, SUB_PLANES and ZIGZAG_PLANES. "No delta" is always a
     * candidate: a delta that comes out larger than the chunk alone is never kept.
     */
    public static EncodedChunk encodeBest(byte[] raw, int off, int len, int elementBytes, byte[] base, int baseOff, int level,
                                          Choice choice, CodecWorkspace ws) {
        check(raw, off, len, elementBytes);
        return encodeBest(raw, off, len, elementBytes, baseOf(base, baseOff, len), level, choice, ws);
    }

    /** As {@link #encodeBest(byte[], int, int, int, byte[], int, int, Choice, CodecWorkspace)} with the base as a {@link ChunkBase} (null for none). */
    public static EncodedChunk encodeBest(byte[] raw, int off, int len, int elementBytes, ChunkBase base, int level, Choice choice,
                                          CodecWorkspace ws) {
        EncodedChunk e = encodeBestInWorkspace(raw, off, len, elementBytes, base, level, choice, ws);
        return new EncodedChunk(e.codec(), Arrays.copyOf(e.data(), e.length()), e.length()); // never the workspace's array
    }

    /**
     * As {@link #encodeBest(byte[], int, int, int, byte[], int, int, Choice, CodecWorkspace)}, but
     * the result's array may be the workspace's own buffer (longer than the payload): valid only
     * until the workspace's next use. Spares a copy of the payload when the caller writes it
     * out at once.
     */
    public static EncodedChunk encodeBestInWorkspace(byte[] raw, int off, int len, int elementBytes, byte[] base, int baseOff,
                                                     int level, Choice choice, CodecWorkspace ws) {
        check(raw, off, len, elementBytes);
        return encodeBestInWorkspace(raw, off, len, elementBytes, baseOf(base, baseOff, len), level, choice, ws);
    }

    /**
     * As {@link #encodeBestInWorkspace(byte[], int, int, int, byte[], int, int, Choice, CodecWorkspace)}
     * with the base as a {@link ChunkBase} (null for none) of the chunk's length: held as planes
     * of the chunk's width, an XOR delta is made without merging the base into elements.
     */
    public static EncodedChunk encodeBestInWorkspace(byte[] raw, int off, int len, int elementBytes, ChunkBase base,
                                                     int level, Choice choice, CodecWorkspace ws) {
        check(raw, off, len, elementBytes);
        if (base != null && base.length() != len) {
            throw new IllegalArgumentException("base of " + base.length() + " bytes for a chunk of " + len);
        }
        int w = elementBytes;
        ws.lastDecision = null;
        if (len == 0) {
            int n = encodeInto(ChunkCodec.RAW, raw, off, 0, w, null, level, ws, null);
            return new EncodedChunk(ChunkCodec.RAW, ws.out, n);
        }
        return choice == Choice.EXHAUSTIVE
                ? exhaustive(raw, off, len, w, base, level, ws)
                : sampled(raw, off, len, w, base, level, ws);
    }

    /**
     * Estimated payload bytes of {@code codec} on this chunk, from the same sample the chooser
     * uses (zstd level 1). Cheap: about the cost of compressing 64 KiB once.
     */
    public static long estimate(ChunkCodec codec, byte[] raw, int off, int len, int elementBytes, byte[] base, int baseOff,
                                CodecWorkspace ws) {
        check(raw, off, len, elementBytes);
        ChunkBase b = baseOf(base, baseOff, len);
        if (codec.needsBase() && b == null) {
            throw new IllegalArgumentException(codec + " needs a base chunk");
        }
        if (len == 0 || codec == ChunkCodec.RAW) {
            return ChunkFormat.HEADER_BYTES + (long) len;
        }
        int sampleLen = sample(raw, off, len, elementBytes, codec.needsBase() ? b : null, ws);
        if (codec == ChunkCodec.ZSTD) {
            return estimateZstd(sampleLen, len, ws);
        }
        return estimatePlanar(opOf(codec), sampleLen, len, elementBytes, ws, new int[HINTS]);
    }

    // ------------------------------------------------------------------ choosers

    private static EncodedChunk sampled(byte[] raw, int off, int len, int w, ChunkBase base, int level, CodecWorkspace ws) {
        int sampleLen = sample(raw, off, len, w, base, ws);
        int[][] hints = new int[4][HINTS];
        long rawSize = ChunkFormat.HEADER_BYTES + (long) len;
        Ranking rank = base == null ? null : rank(sampleLen, len, w, ws);
        NoDelta alone = rank != null && rank.deltaClear() ? null : noDelta(sampleLen, len, w, rawSize, ws, hints[PLANES_IDX]);
        ChunkCodec pick = alone == null ? null : alone.codec();
        long pickEst = alone == null ? Long.MAX_VALUE : alone.estimate();
        if (rank != null) {
            if (rank.xor()) {
                long x = estimatePlanar(PlaneTransform.XOR, sampleLen, len, w, ws, hints[XOR_IDX]);
                if (x < pickEst) {
                    pick = ChunkCodec.XOR_PLANES;
                    pickEst = x;
                }
            }
            if (rank.sub()) {
                long s = estimatePlanar(PlaneTransform.SUB, sampleLen, len, w, ws, hints[SUB_IDX]);
                if (pick == null || s * 100 < pickEst * (100 - SUB_GAIN_PERCENT)) {
                    pick = ChunkCodec.SUB_PLANES;
                    pickEst = s;
                }
            }
            if (rank.zigzag()) {
                long z = estimatePlanar(PlaneTransform.ZIGZAG, sampleLen, len, w, ws, hints[ZIGZAG_IDX]);
                if (pick == null || z * 100 < pickEst * (100 - ZIGZAG_GAIN_PERCENT)) {
                    pick = ChunkCodec.ZIGZAG_PLANES;
                    pickEst = z;
                }
            }
        }
        int[] pickHints = hints[hintIndex(pick)];
        int n = encodeInto(pick, raw, off, len, w, base, level, ws, pickHints);
        if (pick.needsBase() && alone == null && n * 100L > rank.planes() * DELTA_RECHECK_PERCENT) {
            // the ranking skipped the chunk alone, and the delta came out larger than it said: estimate that now
            alone = noDelta(sampleLen, len, w, rawSize, ws, hints[PLANES_IDX]);
        }
        if (pick.needsBase() && alone != null && n * 100L > alone.estimate() * DELTA_RECHECK_PERCENT) {
            // the sample flattered the delta: compare with the chunk alone, encoded in full
            byte[] keep = ws.out;
            ws.out = ws.best;
            ws.best = keep;
            int m = encodeInto(alone.codec(), raw, off, len, w, null, level, ws, hints[PLANES_IDX]);
            if (m < n) {
                pick = alone.codec();
                n = m;
            } else {
                keep = ws.out;
                ws.out = ws.best;
                ws.best = keep;
            }
        }
        if (n > rawSize) {
            pick = ChunkCodec.RAW;
            n = encodeInto(ChunkCodec.RAW, raw, off, len, w, null, level, ws, null);
        }
        ws.lastDecision = new Decision(pick, pick.needsBase() ? pickHints : hints[PLANES_IDX], len, n);
        return new EncodedChunk(pick, ws.out, n);
    }

    /** The best candidate without a delta (ZSTD, PLANES for widths above 1, or RAW) and its estimate. */
    private record NoDelta(ChunkCodec codec, long estimate) {
    }

    /** Estimates the candidates without a delta in full; PLANES's plane modes go into {@code planesHints}. */
    private static NoDelta noDelta(int sampleLen, int len, int w, long rawSize, CodecWorkspace ws, int[] planesHints) {
        ChunkCodec codec = ChunkCodec.ZSTD;
        long est = estimateZstd(sampleLen, len, ws);
        if (w > 1) {
            long e = estimatePlanar(PlaneTransform.NONE, sampleLen, len, w, ws, planesHints);
            if (e < est) {
                codec = ChunkCodec.PLANES;
                est = e;
            }
        }
        if (rawSize <= est) {
            return new NoDelta(ChunkCodec.RAW, rawSize);
        }
        return new NoDelta(codec, est);
    }

    /**
     * Which candidates of a chunk with a base get a full estimate ({@link #estimatePlanar}: zstd,
     * sparse and context trials for every plane, a third to two thirds of a millisecond each on
     * 64 KiB), from a ranking of each one by the order-0 Huffman sizes of its top planes
     * ({@link #rankingEstimate}, a fifth to a tenth of that). XOR always, unless zigzag ranks far
     * ahead of it; SUB and zigzag only when they rank within {@link #rankingSlack} of the margin
     * they must win by (on the whole chunk); the candidates without a delta only when the best
     * delta does not rank {@value #DELTA_CLEAR_PERCENT}% below PLANES on the top planes, where they
     * differ. {@code planes} is PLANES's ranking estimate of the whole chunk.
     * A delta that comes out well above PLANES's ranking has the chunk alone estimated and
     * encoded after all, as a flattering sample does. Measured against estimating every candidate
     * in full: the same payloads in the perf training, dedup and throughput scenarios (fp32 the
     * same bytes, BF16 0.01% more), and the choice of a training step's chunk 1.4-2.1x faster for
     * fp32 chunks of 4 KiB to 1 MiB, 1.1-2.3x for BF16 (paired calls of both builds in one JVM).
     */
    private record Ranking(boolean xor, boolean sub, boolean zigzag, boolean deltaClear, long planes) {
    }

    /**
     * How far within its winning margin a candidate must rank for a full estimate, for elements
     * of 4 bytes and more: the context and sparse codes a full estimate adds move candidates
     * against each other by a few percent (an fp32 Adam step: zigzag ranks 2.9% ahead of XOR,
     * and ends 2.6% ahead). For 2-byte elements the context-coded plane holds the low exponent
     * bit and the mantissa, and its contexts favour zigzag far more (a BF16 step: 8% ahead in
     * the ranking, 14% in full; a smaller MLP's BF16 steps: under 4% ahead in the ranking, and
     * chosen in full), so there any candidate that ranks ahead of XOR gets its full estimate.
     */
    static final int RANKING_SLACK_PERCENT = 4;

    private static int rankingSlack(int w) {
        return w >= 4 ? RANKING_SLACK_PERCENT : ZIGZAG_GAIN_PERCENT;
    }

    /** A delta ranking this many percent below PLANES spares the full estimates of the candidates without a delta. */
    static final int DELTA_CLEAR_PERCENT = 25;

    private static Ranking rank(int sampleLen, int len, int w, CodecWorkspace ws) {
        long planesTop = rankingEstimate(PlaneTransform.NONE, sampleLen, len, w, ws);
        long xTop = rankingEstimate(PlaneTransform.XOR, sampleLen, len, w, ws);
        long sTop = rankingEstimate(PlaneTransform.SUB, sampleLen, len, w, ws);
        long zTop = ws.zigzagDeltas() ? rankingEstimate(PlaneTransform.ZIGZAG, sampleLen, len, w, ws) : Long.MAX_VALUE;
        // the margins are of the whole chunk: its lower planes, counted as stored raw, in each
        long low = (long) (w - Math.min(w, RANKED_PLANES)) * (len / w);
        long planes = planesTop + low;
        long x = xTop + low;
        long s = sTop + low;
        long z = zTop == Long.MAX_VALUE ? zTop : zTop + low;
        int slack = rankingSlack(w);
        boolean zigzag = z != Long.MAX_VALUE && z * 100 < x * (100 - ZIGZAG_GAIN_PERCENT + slack);
        boolean xor = !zigzag || z * 100 >= x * (100 - ZIGZAG_GAIN_PERCENT - slack);
        boolean sub = s * 100 < Math.min(x, z) * (100 - SUB_GAIN_PERCENT + slack);
        // whether a delta is clear of the chunk alone, on the planes where they differ
        long bestDeltaTop = Math.min(Math.min(xTop, sTop), zTop);
        boolean deltaClear = bestDeltaTop * 100 < planesTop * (100 - DELTA_CLEAR_PERCENT);
        return new Ranking(xor, sub, zigzag, deltaClear, planes);
    }

    /**
     * Planes a ranking estimate codes: the top two (sign and exponent, high mantissa), where the
     * candidates differ; the lower mantissa planes of a float are near-random whatever the
     * transform, and are counted as stored raw.
     */
    static final int RANKED_PLANES = 2;

    /**
     * A cheap estimate of a planar candidate for ranking: the sample split by {@code op}, the
     * order-0 Huffman size of each of its top {@value #RANKED_PLANES} planes (at most the plane's
     * bytes; a constant plane 1 byte), scaled to the chunk. Overwrites the sample planes, which
     * every full estimate splits again.
     */
    private static long rankingEstimate(int op, int sampleLen, int len, int w, CodecWorkspace ws) {
        int n = sampleLen / w;
        ws.samplePlanes = CodecWorkspace.grow(ws.samplePlanes, sampleLen);
        PlaneTransform.split(ws.sampleRaw, 0, ws.sampleBase, 0, n, w, op, ws.samplePlanes, 0);
        long est = 0;
        for (int k = 0; k < Math.min(w, RANKED_PLANES); k++) {
            int po = k * n;
            est += PlaneTransform.constantValue(ws.samplePlanes, po, n) >= 0 ? 1
                    : Math.min(n, HuffmanCoder.estimate(ws.samplePlanes, po, n, ws.huffman()));
        }
        return scale(est, sampleLen, len);
    }

    /**
     * Encodes a new version of a chunk as {@code prior} says its previous version was encoded
     * (an XOR or integer-difference delta, with the same plane modes), without sampling and
     * estimating the candidates: in a training loop, consecutive versions of a chunk keep their
     * choice, and for small chunks the choice cost more than the encoding (a 320 KB checkpoint of
     * four 80 KB tensors: the estimates were 60% of the encoding). Returns null, having spent one
     * encoding, when the payload comes out over {@value #REUSE_TOLERANCE_PERCENT}% of the prior's
     * size per raw byte (the deltas grew: the caller chooses afresh), or when {@code prior} does
     * not apply (no base, another length, a codec without base, zigzag or context-coded planes
     * that the workspace turned off). The result's array is the
     * workspace's buffer, as with {@link #encodeBestInWorkspace}; {@link CodecWorkspace#lastDecision}
     * is not changed.
     */
    public static EncodedChunk encodeAsBefore(byte[] raw, int off, int len, int elementBytes, ChunkBase base, int level, Decision prior,
                                              CodecWorkspace ws) {
        check(raw, off, len, elementBytes);
        if (prior == null || base == null || base.length() != len || len == 0 || !prior.codec().needsBase()
                || prior.hints() == null || prior.hints().length < elementBytes
                || prior.codec() == ChunkCodec.ZIGZAG_PLANES && !ws.zigzagDeltas()
                || !ws.contextCoding() && codesContexts(prior.hints(), elementBytes)) {
            return null;
        }
        ws.sampleCountsN[opOf(prior.codec())] = 0; // no sample this time: a Huffman plane counts its own histogram
        int n = encodeInto(prior.codec(), raw, off, len, elementBytes, base, level, ws, prior.hints());
        if (n * 100L * prior.rawLength() > (long) prior.payloadBytes() * len * REUSE_TOLERANCE_PERCENT) {
            return null;
        }
        return new EncodedChunk(prior.codec(), ws.out, n);
    }

    /**
     * Whether any of the first {@code w} hints context-codes its plane: such a decision is not
     * reused once context coding is off ({@code codec.contexts false}), which a decision read
     * from a chunk stored before would otherwise ignore.
     */
    private static boolean codesContexts(int[] hints, int w) {
        for (int k = 0; k < w; k++) {
            if (hints[k] == PlaneMode.CONTEXT_HUFFMAN.id()) {
                return true;
            }
        }
        return false;
    }

    /** Bytes of a delta payload's head that {@link #decisionOfStored} reads: the header and a plane table of 16 planes at most. */
    public static final int STORED_DECISION_BYTES = ChunkFormat.HEADER_BYTES + ChunkFormat.PLANE_ENTRY_BYTES * 16;

    /**
     * The decision a stored delta payload was encoded with, read from its head ({@code head[off,
     * off+headLen)}, its first {@link #STORED_DECISION_BYTES} bytes or all of it) and its length
     * {@code payloadLen}: its codec and each plane's mode, for {@link #encodeAsBefore} to encode
     * the chunk's next version the same way, as a process that committed that version remembers
     * it. A plane stored ZERO or CONST becomes ZSTD, as the chooser hints a plane constant in its
     * sample. Null for a payload that is not a planar delta of {@code elementBytes}-byte
     * elements, or that does not parse (its head is not checksummed here: a wrong decision only
     * costs size, never correctness, since it is a hint to the encoder).
     */
    public static Decision decisionOfStored(byte[] head, int off, int headLen, int payloadLen, int elementBytes) {
        if (headLen < ChunkFormat.HEADER_BYTES || off < 0 || off + headLen > head.length) {
            return null;
        }
        ChunkCodec codec;
        try {
            codec = ChunkCodec.byId(head[off] & 0xFF);
        } catch (dev.coral.error.CorruptObjectException e) {
            return null;
        }
        int w = head[off + 1] & 0xFF;
        int flags = head[off + 2] & 0xFF;
        int planes = head[off + 3] & 0xFF;
        int rawLength = ChunkFormat.getInt(head, off + 4);
        if (!codec.needsBase() || w != elementBytes || planes != w || flags != 0 || rawLength <= 0
                || headLen < ChunkFormat.HEADER_BYTES + ChunkFormat.PLANE_ENTRY_BYTES * w || payloadLen <= 0) {
            return null;
        }
        int[] hints = new int[HINTS];
        for (int k = 0; k < w; k++) {
            PlaneMode mode;
            try {
                mode = PlaneMode.byId(head[off + ChunkFormat.HEADER_BYTES + ChunkFormat.PLANE_ENTRY_BYTES * k] & 0xFF);
            } catch (dev.coral.error.CorruptObjectException e) {
                return null;
            }
            hints[k] = mode == PlaneMode.ZERO || mode == PlaneMode.CONST ? PlaneMode.ZSTD.id() : mode.id();
        }
        return new Decision(codec, hints, rawLength, payloadLen);
    }

    private static EncodedChunk exhaustive(byte[] raw, int off, int len, int w, ChunkBase base, int level, CodecWorkspace ws) {
        ChunkCodec bestCodec = null;
        int bestLen = Integer.MAX_VALUE;
        int[] hints = new int[HINTS];
        for (ChunkCodec c : ChunkCodec.values()) {
            if (c.needsBase() && base == null || c == ChunkCodec.ZIGZAG_PLANES && !ws.zigzagDeltas()) {
                continue;
            }
            if (c.isPlanar()) {
                int sampleLen = sample(raw, off, len, w, c.needsBase() ? base : null, ws);
                estimatePlanar(opOf(c), sampleLen, len, w, ws, hints);
            }
            int n = encodeInto(c, raw, off, len, w, base, level, ws, hints);
            if (n < bestLen) {
                bestLen = n;
                bestCodec = c;
                byte[] t = ws.best;
                ws.best = ws.out;
                ws.out = t;
            }
        }
        return new EncodedChunk(bestCodec, ws.best, bestLen);
    }

    private static int hintIndex(ChunkCodec c) {
        return switch (c) {
            case XOR_PLANES -> XOR_IDX;
            case SUB_PLANES -> SUB_IDX;
            case ZIGZAG_PLANES -> ZIGZAG_IDX;
            default -> PLANES_IDX;
        };
    }

    private static int opOf(ChunkCodec c) {
        return switch (c) {
            case XOR_PLANES -> PlaneTransform.XOR;
            case SUB_PLANES -> PlaneTransform.SUB;
            case ZIGZAG_PLANES -> PlaneTransform.ZIGZAG;
            default -> PlaneTransform.NONE;
        };
    }

    private static ChunkBase baseOf(byte[] base, int baseOff, int len) {
        return base == null ? null : ChunkBase.ofRaw(base, baseOff, len);
    }

    private static void check(byte[] raw, int off, int len, int w) {
        if (!ChunkFormat.isValidWidth(w)) {
            throw new IllegalArgumentException("element width must be 1, 2, 4, 8 or 16 bytes: " + w);
        }
        if (off < 0 || len < 0 || off + len > raw.length || off + len < 0) {
            throw new IllegalArgumentException("range [" + off + ", +" + len + ") outside " + raw.length + " bytes");
        }
        if (len % w != 0) {
            throw new IllegalArgumentException(len + " bytes are not a whole number of " + w + "-byte elements");
        }
    }

    // ------------------------------------------------------------------ sampling

    /**
     * Copies an element-aligned sample of the chunk (and of the base, if any) into
     * {@code ws.sampleRaw} / {@code ws.sampleBase}: the whole chunk up to {@link #SAMPLE_BYTES},
     * else {@link #STRIPES} stripes spread evenly over it. Returns the sample's length.
     */
    private static int sample(byte[] raw, int off, int len, int w, ChunkBase base, CodecWorkspace ws) {
        int elems = len / w;
        int sampleElems = Math.max(1, SAMPLE_BYTES / w);
        ws.sampleRaw = CodecWorkspace.grow(ws.sampleRaw, Math.min(len, SAMPLE_BYTES + 16));
        if (base != null) {
            ws.sampleBase = CodecWorkspace.grow(ws.sampleBase, Math.min(len, SAMPLE_BYTES + 16));
        }
        if (elems <= sampleElems) {
            System.arraycopy(raw, off, ws.sampleRaw, 0, len);
            if (base != null) {
                base.copyRaw(0, ws.sampleBase, 0, len);
            }
            return len;
        }
        int stripeElems = sampleElems / STRIPES;
        int stripeBytes = stripeElems * w;
        int at = 0;
        for (int s = 0; s < STRIPES; s++) {
            long startElem = (long) (elems - stripeElems) * s / (STRIPES - 1);
            int from = (int) (startElem * w);
            System.arraycopy(raw, off + from, ws.sampleRaw, at, stripeBytes);
            if (base != null) {
                base.copyRaw(from, ws.sampleBase, at, stripeBytes);
            }
            at += stripeBytes;
        }
        return at;
    }

    private static long scale(long sampleBytes, int sampleLen, int len) {
        return sampleLen == len ? sampleBytes : (long) Math.ceil((double) sampleBytes * len / sampleLen);
    }

    private static long estimateZstd(int sampleLen, int len, CodecWorkspace ws) {
        ws.sampleOut = CodecWorkspace.grow(ws.sampleOut, (int) Zstd.compressBound(sampleLen));
        int c = ws.compressor(SAMPLE_LEVEL).compressByteArray(ws.sampleOut, 0, ws.sampleOut.length, ws.sampleRaw, 0, sampleLen);
        return ChunkFormat.HEADER_BYTES + scale(c, sampleLen, len);
    }

    /**
     * Splits the sample (combined with the base sample by {@code op}) into planes and fills
     * {@code hints[k]} with how to store plane k ({@link PlaneMode} id): SPARSE when its exact
     * {@link SparsePlane} size is the smallest (mostly-zero planes; it also decodes fastest, in
     * time proportional to the nonzero bytes); else HUFFMAN when its exact
     * Huffman size beats zstd's at level 1 by at least {@value #HUFFMAN_GAIN_PERCENT}% (dense
     * skewed planes: exponents, the high mantissa bytes of an XOR delta); ZSTD otherwise (runs and
     * repeats; and near ties, since zstd's native decoder is faster than the
     * Java Huffman decoder on high-entropy planes); RAW when neither shrinks the plane to
     * 100/{@value #RAW_RATIO_PERCENT} of its size. A keyframe (no op) of 2-, 4- or 8-byte
     * elements is estimated in the exponent layout too ({@link #exponentBytesSaving}). Returns the
     * estimated payload size for the whole chunk.
     */
    private static long estimatePlanar(int op, int sampleLen, int len, int w, CodecWorkspace ws, int[] hints) {
        int n = sampleLen / w;
        ws.samplePlanes = CodecWorkspace.grow(ws.samplePlanes, sampleLen);
        PlaneTransform.split(ws.sampleRaw, 0, ws.sampleBase, 0, n, w, op, ws.samplePlanes, 0);
        ws.sampleOut = CodecWorkspace.grow(ws.sampleOut, (int) Zstd.compressBound(sampleLen));
        // XOR and zigzag deltas only: a SUB link sends every link above it in a chain through a merge, and
        // with contexts SUB won the first delta of every chain of the throughput checkpoints (24 of 161)
        boolean contexts = (op == PlaneTransform.XOR || op == PlaneTransform.ZIGZAG) && w >= 2 && n >= 2 * ContextHuffman.MIN_GROUP
                && ws.contextCoding();
        if (contexts) {
            ws.sampleContexts = CodecWorkspace.grow(ws.sampleContexts, n);
            ContextHuffman.contextsOfRaw(ws.sampleBase, 0, n, w, ws.sampleContexts);
        }
        int[] counts = ws.sampleCounts[op] == null ? ws.sampleCounts[op] = new int[16 * 256] : ws.sampleCounts[op];
        ws.sampleCountsN[op] = sampleLen < len ? n : 0; // a whole chunk as its own sample: the exact histogram is no dearer
        hints[FLAGS_HINT] = 0;
        long[] sizes = new long[w];
        long est = 0;
        for (int k = 0; k < w; k++) {
            sizes[k] = estimatePlane(k, n, contexts, ws, counts, hints);
            est += sizes[k];
        }
        // a dense plane 0 that codes (exponents) only: not one stored raw, sparse or constant
        if (op == PlaneTransform.NONE && ChunkFormat.exponentBytesWidth(w) && n > 0 && sizes[0] > 1
                && (hints[0] == PlaneMode.HUFFMAN.id() || hints[0] == PlaneMode.ZSTD.id())) {
            long saving = exponentBytesSaving(n, sizes[0] + sizes[1], ws, counts, hints);
            if (ChunkFormat.mantissaBitWidth(w)) {
                saving += mantissaBitSaving(n, sizes[0] + sizes[1] + saving, ws, counts, hints);
            }
            est += saving;
        }
        return ChunkFormat.HEADER_BYTES + (long) ChunkFormat.PLANE_ENTRY_BYTES * w + scale(est, sampleLen, len);
    }

    /**
     * Estimates planes 0 and 1 of the sample again in the exponent layout; when they come to at
     * least 1/{@value #EXPONENT_BYTES_MIN_SAVING} of the sample less than {@code asIs}, takes it
     * (their modes and counts, and the flag) and returns the (negative) change of the estimate,
     * else 0 with nothing changed. A raw plane 1 (mantissa bits) stays raw with the sign in place
     * of the exponent's last bit, and is not estimated again.
     */
    private static long exponentBytesSaving(int n, long asIs, CodecWorkspace ws, int[] counts, int[] hints) {
        PlaneTransform.tradeTopBits(ws.samplePlanes, 0, ws.samplePlanes, n, ws.samplePlanes, 0, n, n);
        int[] turnedCounts = ws.exponentByteCounts;
        int[] turnedHints = {0, PlaneMode.RAW.id()};
        long turned = huffmanOrRaw(0, n, ws, turnedCounts, turnedHints)
                + (hints[1] == PlaneMode.RAW.id() ? n : huffmanOrRaw(1, n, ws, turnedCounts, turnedHints));
        PlaneTransform.tradeTopBits(ws.samplePlanes, 0, ws.samplePlanes, n, ws.samplePlanes, 0, n, n);
        if ((asIs - turned) * EXPONENT_BYTES_MIN_SAVING < (long) n * 2) {
            return 0;
        }
        hints[0] = turnedHints[0];
        hints[1] = turnedHints[1];
        hints[FLAGS_HINT] = ChunkFormat.FLAG_EXPONENT_BYTES;
        System.arraycopy(turnedCounts, 0, counts, 0, 2 * 256);
        return turned - asIs;
    }

    /**
     * Estimates planes 0 and 1 of the sample in the mantissa-bit layout ({@link ChunkFormat#FLAG_MANTISSA_BIT}:
     * plane 0 Huffman-coded; plane 1 packed to seven bits, or Huffman-coded where that beats the
     * packing by {@value #RAW_RATIO_PERCENT}/100, as when the mantissa has few bits), possible when
     * no element of the sample has the exponent's top bit set. When that comes to at least
     * 1/{@value #MANTISSA_BIT_MIN_SAVING} of the two planes' sample bytes less than {@code best}
     * (their estimate as chosen so far), takes it (modes, counts, the flag) and returns the
     * (negative) change of the estimate; else 0 with nothing changed. The full encoding checks
     * every element again.
     */
    private static long mantissaBitSaving(int n, long best, CodecWorkspace ws, int[] counts, int[] hints) {
        byte[] sp = ws.samplePlanes;
        int[] layoutCounts = ws.mantissaBitCounts;
        PlaneTransform.tradeBits(sp, 0, sp, n, sp, 0, n, n, PlaneTransform.TOP_TWO_BITS);
        boolean fits = Packed7.fits(sp, n, n);
        long h0 = 0;
        long h1 = 0;
        if (fits) {
            h0 = HuffmanCoder.estimate(sp, 0, n, ws.huffman());
            HuffmanCoder.countsOfLastHistogram(ws.huffman(), layoutCounts, 0);
            h1 = HuffmanCoder.estimate(sp, n, n, ws.huffman());
            HuffmanCoder.countsOfLastHistogram(ws.huffman(), layoutCounts, 256);
        }
        PlaneTransform.tradeBits(sp, 0, sp, n, sp, 0, n, n, PlaneTransform.TOP_TWO_BITS);
        boolean codeOne = h1 * RAW_RATIO_PERCENT <= Packed7.bytes(n) * 100L;
        long layout = h0 + (codeOne ? h1 : Packed7.bytes(n));
        if (!fits || h0 * RAW_RATIO_PERCENT > (long) n * 100 || (best - layout) * MANTISSA_BIT_MIN_SAVING < (long) n * 2) {
            return 0;
        }
        hints[0] = PlaneMode.HUFFMAN.id();
        hints[1] = codeOne ? PlaneMode.HUFFMAN.id() : PlaneMode.PACKED7.id();
        hints[FLAGS_HINT] = ChunkFormat.FLAG_MANTISSA_BIT;
        System.arraycopy(layoutCounts, 0, counts, 0, 2 * 256);
        return layout - best;
    }

    /**
     * As {@link #estimatePlane} with Huffman and raw the only candidates: a plane of whole
     * exponents is Huffman-coded, the sign with seven mantissa bits stored raw. Spares the zstd
     * trial (and the sparse scan) the full estimate makes.
     */
    private static long huffmanOrRaw(int k, int n, CodecWorkspace ws, int[] counts, int[] hints) {
        int po = k * n;
        long h = HuffmanCoder.estimate(ws.samplePlanes, po, n, ws.huffman());
        HuffmanCoder.countsOfLastHistogram(ws.huffman(), counts, k * 256);
        if (h * RAW_RATIO_PERCENT > (long) n * 100) {
            hints[k] = PlaneMode.RAW.id();
            return n;
        }
        hints[k] = PlaneMode.HUFFMAN.id();
        return h;
    }

    /**
     * The estimated bytes of sample plane k ({@code ws.samplePlanes[k*n...]}), its mode into
     * {@code hints[k]} and its symbol counts into {@code counts[k*256...]}; see {@link #estimatePlanar}.
     */
    private static long estimatePlane(int k, int n, boolean contexts, CodecWorkspace ws, int[] counts, int[] hints) {
        int po = k * n;
        int cv = PlaneTransform.constantValue(ws.samplePlanes, po, n);
        if (cv >= 0) {
            hints[k] = PlaneMode.ZSTD.id(); // constant in the sample; the full plane may not be
            return cv == 0 ? 0 : 1;
        }
        long h = HuffmanCoder.estimate(ws.samplePlanes, po, n, ws.huffman());
        HuffmanCoder.countsOfLastHistogram(ws.huffman(), counts, k * 256);
        // A plane whose bytes Huffman cannot shrink at all has a flat histogram (low mantissa
        // bytes): zstd would need repeats alone to win the 5% that storing it compressed asks,
        // so its trial is skipped (a third of the choice's time for small chunks)
        int c = h >= n ? n : ws.planeCompressor(SAMPLE_LEVEL).compressByteArray(ws.sampleOut, 0, ws.sampleOut.length, ws.samplePlanes, po, n);
        int zeros = counts[k * 256];
        long s = n - zeros <= n / SparsePlane.MAX_NONZERO_FRACTION // else too dense to try: spare the scan
                ? SparsePlane.estimate(ws.samplePlanes, po, n, ws.sparseScratch(), ws.huffman())
                : n;
        long best = Math.min(Math.min(h, c), s);
        if (contexts && best * 100 <= (long) n * (100 - CONTEXT_SAVING_PERCENT)) { // near-random planes stay near-random
            long x = ContextHuffman.estimate(ws.samplePlanes, po, n, ws.sampleContexts, ws.contextScratch(), ws.huffman());
            if ((Math.min(best, n) - x) * 100 >= (long) n * CONTEXT_SAVING_PERCENT) {
                hints[k] = PlaneMode.CONTEXT_HUFFMAN.id();
                return x;
            }
        }
        if (best * RAW_RATIO_PERCENT > (long) n * 100) {
            hints[k] = PlaneMode.RAW.id();
            return n;
        } else if (s == best) {
            hints[k] = PlaneMode.SPARSE.id();
            return s;
        } else if (h * 100 <= (long) c * (100 - HUFFMAN_GAIN_PERCENT)) {
            hints[k] = PlaneMode.HUFFMAN.id();
            return h;
        }
        hints[k] = PlaneMode.ZSTD.id();
        return c;
    }

    // ------------------------------------------------------------------ full encodings

    /** Encodes into {@code ws.out[0, result)}. */
    private static int encodeInto(ChunkCodec codec, byte[] raw, int off, int len, int w, ChunkBase base, int level,
                                  CodecWorkspace ws, int[] hints) {
        int h = ChunkFormat.HEADER_BYTES;
        switch (codec) {
            case RAW -> {
                ws.out = CodecWorkspace.grow(ws.out, h + len);
                ChunkFormat.putHeader(ws.out, codec, w, 0, 0, len);
                System.arraycopy(raw, off, ws.out, h, len);
                ChunkFormat.seal(ws.out, h + len);
                return h + len;
            }
            case ZSTD -> {
                ws.out = CodecWorkspace.grow(ws.out, h + (int) Zstd.compressBound(len));
                ChunkFormat.putHeader(ws.out, codec, w, 0, 0, len);
                int c = ws.compressor(level).compressByteArray(ws.out, h, ws.out.length - h, raw, off, len);
                ChunkFormat.seal(ws.out, h + c);
                return h + c;
            }
            default -> {
                return encodePlanar(codec, raw, off, len, w, codec.needsBase() ? base : null, level, ws, hints);
            }
        }
    }

    private static int encodePlanar(ChunkCodec codec, byte[] raw, int off, int len, int w, ChunkBase base, int level,
                                    CodecWorkspace ws, int[] hints) {
        int n = len / w;
        int table = ChunkFormat.HEADER_BYTES;
        int pos = table + ChunkFormat.PLANE_ENTRY_BYTES * w;
        ws.out = CodecWorkspace.grow(ws.out, pos + len + w);
        byte[] out = ws.out;
        int flags = codec == ChunkCodec.PLANES && hints != null ? hints[FLAGS_HINT] : 0;
        ChunkFormat.putHeader(out, codec, w, flags, w, len);
        ws.planes = CodecWorkspace.grow(ws.planes, len);
        byte[] planes = ws.planes;
        boolean fellBack = false;
        if (n > 0) {
            int op = opOf(codec);
            byte[] basePlanes = op == PlaneTransform.XOR ? base.planesOfWidth(w) : null;
            byte[] ahead = op == PlaneTransform.XOR && basePlanes == null ? ws.xorPlanesAhead(n, w) : null;
            if (ahead != null) {
                planes = ahead;
            } else if (basePlanes != null) {
                // XOR commutes with the split: planes of (raw ^ base) = planes of raw ^ planes of base
                PlaneTransform.split(raw, off, null, 0, n, w, PlaneTransform.NONE, planes, 0);
                PlaneTransform.xorInto(basePlanes, 0, planes, 0, len);
            } else if (base != null) {
                PlaneTransform.split(raw, off, base.raw(), base.rawOffset(), n, w, op, planes, 0);
            } else if (flags == ChunkFormat.FLAG_EXPONENT_BYTES) {
                PlaneTransform.splitExponentBytes(raw, off, n, w, planes, 0);
            } else if (flags == ChunkFormat.FLAG_MANTISSA_BIT) {
                PlaneTransform.splitTraded(raw, off, n, w, PlaneTransform.TOP_TWO_BITS, planes, 0);
                if (!Packed7.fits(planes, n, n)) {
                    // an element of 2 or more in magnitude that the sample missed: the elements' own
                    // planes, plane 0 Huffman-coded by its exact histogram and plane 1 raw
                    PlaneTransform.split(raw, off, null, 0, n, w, PlaneTransform.NONE, planes, 0);
                    flags = 0;
                    ChunkFormat.putHeader(out, codec, w, flags, w, len);
                    fellBack = true;
                }
            } else {
                PlaneTransform.split(raw, off, null, 0, n, w, op, planes, 0);
            }
        }
        byte[] contexts = null;
        for (int k = 0; k < w; k++) {
            int po = k * n;
            PlaneMode mode;
            int bl;
            int cv = PlaneTransform.constantValue(planes, po, n);
            if (n == 0 || cv == 0) {
                mode = PlaneMode.ZERO;
                bl = 0;
            } else if (cv > 0) {
                mode = PlaneMode.CONST;
                out[pos] = (byte) cv;
                bl = 1;
            } else {
                int hint = hints == null ? PlaneMode.ZSTD.id() : hints[k];
                if (fellBack && k < 2) {
                    hint = k == 0 ? PlaneMode.HUFFMAN.id() : PlaneMode.RAW.id();
                }
                int c = -1;
                if (hint == PlaneMode.CONTEXT_HUFFMAN.id() && (codec == ChunkCodec.XOR_PLANES || codec == ChunkCodec.ZIGZAG_PLANES)
                        && w >= 2) {
                    // the counts made ahead are of the XOR delta's planes
                    ContextCounts counted = codec == ChunkCodec.XOR_PLANES ? ws.contextCounts(n, w, k) : null;
                    if (counted != null) {
                        c = ContextHuffman.encode(n, counted, out, pos, ws.contextScratch(), ws.huffman());
                    } else {
                        if (contexts == null) {
                            contexts = baseContexts(base, n, w, ws);
                        }
                        c = ContextHuffman.encode(planes, po, n, contexts, out, pos, ws.contextScratch(), ws.huffman());
                    }
                    mode = PlaneMode.CONTEXT_HUFFMAN;
                } else if (hint == PlaneMode.SPARSE.id()) {
                    c = SparsePlane.encode(planes, po, n, out, pos, ws.sparseScratch(), ws.huffman());
                    mode = PlaneMode.SPARSE;
                } else if (hint == PlaneMode.PACKED7.id() && flags == ChunkFormat.FLAG_MANTISSA_BIT && k == 1) { // (fits: checked after the split)
                    Packed7.pack(planes, po, n, out, pos);
                    c = Packed7.bytes(n);
                    mode = PlaneMode.PACKED7;
                } else if (hint == PlaneMode.HUFFMAN.id()) {
                    int op = opOf(codec);
                    // plane 0 of the mantissa-bit layout takes its exact histogram, not the sample's counts
                    boolean exact = fellBack || flags == ChunkFormat.FLAG_MANTISSA_BIT && k == 0;
                    int sampleN = ws.sampleCountsN[op];
                    c = exact ? HuffmanCoder.encodeExact(planes, po, n, out, pos, ws.huffman())
                            : sampleN > 0 && sampleN < n
                            ? HuffmanCoder.encodeWithCounts(planes, po, n, ws.sampleCounts[op], k * 256, sampleN, out, pos, ws.huffman())
                            : HuffmanCoder.encode(planes, po, n, out, pos, ws.huffman());
                    c = c > 0 && c < n ? c : -1;
                    mode = PlaneMode.HUFFMAN;
                } else {
                    c = hint == PlaneMode.ZSTD.id() ? compressBelow(ws, level, planes, po, n, out, pos) : -1;
                    mode = PlaneMode.ZSTD;
                }
                if (c > 0) {
                    bl = c;
                } else {
                    mode = PlaneMode.RAW;
                    System.arraycopy(planes, po, out, pos, n);
                    bl = n;
                }
            }
            int e = table + ChunkFormat.PLANE_ENTRY_BYTES * k;
            out[e] = (byte) mode.id();
            ChunkFormat.putInt(out, e + 1, bl);
            pos += bl;
        }
        ChunkFormat.seal(out, pos);
        return pos;
    }

    /** The {@link ContextHuffman} contexts of the base's n elements, in {@code ws.contexts}. */
    private static byte[] baseContexts(ChunkBase base, int n, int w, CodecWorkspace ws) {
        byte[] ctx = ws.contexts = CodecWorkspace.grow(ws.contexts, n);
        byte[] planes = base.planesOfWidth(w);
        if (planes != null) {
            ContextHuffman.contextsOfPlanes(planes, n, ctx);
        } else {
            ContextHuffman.contextsOfRaw(base.raw(), base.rawOffset(), n, w, ctx);
        }
        return ctx;
    }

    /** Compresses {@code src[off, off+n)} into {@code dst[at...]} if that takes fewer than n bytes; else -1. */
    private static int compressBelow(CodecWorkspace ws, int level, byte[] src, int off, int n, byte[] dst, int at) {
        try {
            int c = ws.planeCompressor(level).compressByteArray(dst, at, n - 1, src, off, n);
            return c > 0 && c < n ? c : -1;
        } catch (RuntimeException e) {
            return -1; // destination too small: the plane does not shrink
        }
    }
}
