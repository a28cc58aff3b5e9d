package dev.coral.cli;

import dev.coral.api.Repository;
import dev.coral.api.RepositoryStats;
import dev.coral.api.StatsCollector;
import dev.coral.codec.ChunkCodec;
import dev.coral.codec.PlaneMode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code coral stats [--json] [--files] [--commits]}: what the repository stores and saves. */
@Command(name = "stats", description = {
    "Show how much the repository stores against what was committed.",
    "Covers every commit reachable from a branch, a tag or HEAD; each chunk and object is "
        + "counted once however many commits share it.",
    "  logical: bytes of every file of every commit, as committed (as if stored raw);",
    "  unique logical: the distinct tensors, and the distinct file versions' other",
    "    bytes (headers, HDF5 layouts, datasets kept as bytes);",
    "  stored: distinct chunks and objects (commits, trees, files, tensors, tags);",
    "  on disk: the files of .coral/packs; ratio: logical / stored;",
    "  chunk references, distinct chunks, deduplicated (references - distinct);",
    "  chunks by codec (keyframes: raw, zstd, planes; deltas: xor-planes,",
    "    sub-planes, zigzag-planes) and by delta chain depth (0: keyframe);",
    "  byte planes of planar chunks by how each is stored (huffman,",
    "    context-huffman, sparse, zstd, raw, zero, constant, packed7), and how",
    "    many planes keyframes hold a float's whole exponent in plane 0",
    "    (exponent layout) or its low 7 exponent bits and top mantissa bit",
    "    (mantissa-bit layout).",
    "Lossy commits (commit --lossy=EPS that quantized a value) are counted, and the later commits that keep a lossy file "
        + "as it was stored (not changed since; 'coral show' marks it); every other commit is bit-exact.",
    "Format features: what .coral/format declares the objects may use that an older Coral cannot read "
        + "(zigzag-deltas: the zigzag-planes codec; npz-verbatim: npz entries restored byte for byte; "
        + "npz-deflated-verbatim: the same for npz files with deflated members, np.savez_compressed's; "
        + "hdf5-chunked: HDF5 entries whose chunked datasets are tensors)."})
final class StatsCommand extends Subcommand {
    @Option(names = "--clusters", description = "Also show clusters of similar tensors (e.g. fine-tunes of one base) "
            + "found by the similarity index, which new tensors are delta-encoded against (joined when they pass "
            + "coral config similarity.threshold). '*' marks each cluster's base: the member most like the others (of "
            + "two alike, the one stored first); tensors are named path:tensor as first committed.")
    boolean clusters;

    @Option(names = "--files", description = "Also show each path: versions, commits, logical bytes, bytes stored first "
            + "for it (chunks, tensors, file entries), ratio.")
    boolean files;

    @Option(names = "--commits", description = "Also show each commit, oldest first: logical bytes, bytes it stored "
            + "first (chunks and objects), ratio; lossy commits marked [lossy EPS], as log marks them.")
    boolean commits;

    @Mixin
    JsonOption output;

    @Override
    int execute() throws Exception {
        RepositoryStats s;
        List<Repository.TensorCluster> found = List.of();
        java.util.Set<String> features;
        try (Repository repo = openRepository()) {
            s = repo.stats(files, commits);
            features = new java.util.TreeSet<>(repo.formatFeatures());
            if (clusters) {
                found = repo.clusters();
            }
        }
        if (output.json) {
            Map<String, Object> m = json(s, files, commits);
            m.put("formatFeatures", List.copyOf(features));
            if (clusters) {
                List<Object> cs = new java.util.ArrayList<>();
                for (Repository.TensorCluster c : found) {
                    Map<String, Object> cm = new java.util.LinkedHashMap<>();
                    cm.put("base", c.base());
                    cm.put("members", c.members());
                    cm.put("meanDistance", c.meanDistance());
                    cs.add(cm);
                }
                m.put("clusters", cs);
            }
            out().println(JsonWriter.write(m));
        } else {
            print(out(), s, features);
            if (clusters) {
                out().println();
                out().println(found.isEmpty() ? "no clusters of similar tensors" : "CLUSTERS OF SIMILAR TENSORS (base first; mean SimHash distance of 128 bits)");
                int n = 0;
                for (Repository.TensorCluster c : found) {
                    out().printf("cluster %d: %d tensors, mean distance %.1f%n", ++n, c.members().size(), c.meanDistance());
                    for (String member : c.members()) {
                        out().println("  " + (member.equals(c.base()) ? "* " : "  ") + Text.shown(member));
                    }
                }
            }
        }
        return 0;
    }

    static String planeModeName(PlaneMode m) {
        return switch (m) {
            case RAW -> "raw";
            case ZSTD -> "zstd";
            case ZERO -> "zero";
            case CONST -> "constant";
            case HUFFMAN -> "huffman";
            case CONTEXT_HUFFMAN -> "context-huffman";
            case SPARSE -> "sparse";
            case PACKED7 -> "packed7";
        };
    }

    static String codecName(ChunkCodec c) {
        return c.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** {@code 2.75x}, or {@code -} when nothing is stored. */
    static String ratio(double r) {
        return Double.isNaN(r) ? "-" : String.format(Locale.ROOT, "%.2fx", r);
    }

    private static Object jsonRatio(double r) {
        return Double.isFinite(r) ? Math.round(r * 10000) / 10000.0 : null;
    }

    static Map<String, Object> json(RepositoryStats s, boolean withFiles, boolean withCommits) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("commits", s.commits());
        m.put("branches", s.branches());
        m.put("tags", s.tags());
        m.put("paths", s.filePaths());
        m.put("fileVersions", s.fileVersions());
        m.put("distinctTensors", s.distinctTensors());
        m.put("logicalBytes", s.logicalBytes());
        m.put("uniqueLogicalBytes", s.uniqueLogicalBytes());
        m.put("storedBytes", s.storedBytes());
        m.put("chunkStoredBytes", s.chunkStoredBytes());
        m.put("objectStoredBytes", s.objectStoredBytes());
        m.put("objects", s.objects());
        m.put("diskBytes", s.disk().totalBytes());
        m.put("ratio", jsonRatio(s.ratio()));
        m.put("uniqueRatio", jsonRatio(s.uniqueRatio()));
        m.put("diskRatio", jsonRatio(s.diskRatio()));
        Map<String, Object> chunks = new LinkedHashMap<>();
        chunks.put("references", s.chunkReferences());
        chunks.put("distinct", s.distinctChunks());
        chunks.put("deduplicated", s.deduplicatedChunkReferences());
        chunks.put("referencesInDistinctTensors", s.distinctTensorChunkReferences());
        chunks.put("rawBytes", s.chunkRawBytes());
        chunks.put("storedBytes", s.chunkStoredBytes());
        chunks.put("keyframes", s.keyframeChunks());
        chunks.put("deltas", s.deltaChunks());
        m.put("chunks", chunks);
        Map<String, Object> codecs = new LinkedHashMap<>();
        for (RepositoryStats.CodecCount c : s.codecs()) {
            Map<String, Object> cm = new LinkedHashMap<>();
            cm.put("delta", c.delta());
            cm.put("chunks", c.chunks());
            cm.put("rawBytes", c.rawBytes());
            cm.put("storedBytes", c.storedBytes());
            cm.put("ratio", jsonRatio(c.ratio()));
            codecs.put(codecName(c.codec()), cm);
        }
        m.put("codecs", codecs);
        Map<String, Object> depths = new LinkedHashMap<>();
        s.chainDepths().forEach((d, n) -> depths.put(String.valueOf(d), n));
        m.put("chainDepths", depths);
        Map<String, Object> planes = new LinkedHashMap<>();
        s.planeModes().forEach((mode, n) -> planes.put(planeModeName(mode), n));
        m.put("planeModes", planes);
        m.put("exponentLayoutChunks", s.exponentLayoutChunks());
        m.put("mantissaBitLayoutChunks", s.mantissaBitLayoutChunks());
        Map<String, Object> disk = new LinkedHashMap<>();
        disk.put("packs", s.disk().packs());
        disk.put("packBytes", s.disk().packBytes());
        disk.put("indexBytes", s.disk().indexBytes());
        disk.put("otherBytes", s.disk().otherBytes());
        disk.put("totalBytes", s.disk().totalBytes());
        disk.put("chunkCacheBytes", s.disk().chunkCacheBytes());
        m.put("disk", disk);
        m.put("lossyCommits", s.lossyCommits());
        m.put("commitsHoldingLossyFiles", s.commitsHoldingLossyFiles());
        if (withFiles) {
            List<Object> fl = new ArrayList<>();
            for (RepositoryStats.FileStats f : s.files()) {
                Map<String, Object> fm = new LinkedHashMap<>();
                fm.put("path", f.path());
                fm.put("versions", f.versions());
                fm.put("commits", f.commits());
                fm.put("logicalBytes", f.logicalBytes());
                fm.put("storedBytes", f.storedBytes());
                fm.put("newChunks", f.newChunks());
                fm.put("ratio", jsonRatio(f.ratio()));
                fl.add(fm);
            }
            m.put("files", fl);
        }
        if (withCommits) {
            List<Object> cl = new ArrayList<>();
            for (RepositoryStats.CommitStats c : s.history()) {
                Map<String, Object> cm = new LinkedHashMap<>();
                cm.put("id", c.id().hex());
                cm.put("subject", c.subject()); // the first line: log --json has the whole message under "message"
                cm.put("date", Text.date(c.timeMillis()));
                cm.put("logicalBytes", c.logicalBytes());
                cm.put("newStoredBytes", c.newStoredBytes());
                cm.put("newChunks", c.newChunks());
                cm.put("ratio", jsonRatio(c.ratio()));
                cm.put("lossyEps", c.isLossy() ? JsonWriter.number(c.lossyEps()) : null);
                cl.add(cm);
            }
            m.put("history", cl);
        }
        return m;
    }

    private static String plural(long n, String one, String many) {
        return n + " " + (n == 1 ? one : many);
    }

    static void print(PrintStream out, RepositoryStats s, java.util.Set<String> features) {
        String row = "%-16s %10s   %s%n";
        out.printf(row, "commits", s.commits(), "(" + plural(s.branches(), "branch", "branches") + ", "
                + plural(s.tags(), "tag", "tags") + ")");
        out.printf(row, "paths", s.filePaths(), "(" + plural(s.fileVersions(), "file version", "file versions") + ", "
                + plural(s.distinctTensors(), "distinct tensor", "distinct tensors") + ")");
        out.printf(row, "logical", Text.bytes(s.logicalBytes()), "every file of every commit, as committed");
        out.printf(row, "unique logical", Text.bytes(s.uniqueLogicalBytes()), "the distinct tensors and file versions' other bytes");
        out.printf(row, "stored", Text.bytes(s.storedBytes()), "chunks " + Text.bytes(s.chunkStoredBytes()) + " + "
                + plural(s.objects(), "object", "objects") + " " + Text.bytes(s.objectStoredBytes()));
        out.printf(row, "on disk", Text.bytes(s.disk().totalBytes()), plural(s.disk().packs(), "pack", "packs") + " "
                + Text.bytes(s.disk().packBytes()) + " + indexes " + Text.bytes(s.disk().indexBytes()));
        out.printf(row, "chunk cache", Text.bytes(s.disk().chunkCacheBytes()), "raw copies of the two newest versions' delta chunks (.coral/cache/chunks;"
                + " derived, not in the ratio)");
        out.printf(row, "ratio", ratio(s.ratio()), "logical / stored (unique logical / stored " + ratio(s.uniqueRatio())
                + ", logical / on disk " + ratio(s.diskRatio()) + ")");
        out.printf(row, "chunk references", s.chunkReferences(), s.distinctChunks() + " distinct, "
                + s.deduplicatedChunkReferences() + " deduplicated");
        long carried = s.commitsHoldingLossyFiles() - s.lossyCommits();
        out.printf(row, "lossy commits", s.lossyCommits(), s.commitsHoldingLossyFiles() == 0 ? "(every commit is bit-exact)"
                : "(opt-in, within their recorded bound" + (carried <= 0 ? ")" : "; " + plural(carried, "later commit keeps", "later commits keep")
                + " a lossy file as it was stored: 'coral show' marks it)"));
        out.printf(row, "format features", features.size(), (features.isEmpty() ? "none" : String.join(", ", features))
                + " (.coral/format: what an older Coral cannot read)");
        if (!s.codecs().isEmpty()) {
            out.println();
            String fmt = "%-13s %-8s %8s %10s %10s %7s%n";
            out.printf(fmt, "CODEC", "KIND", "CHUNKS", "RAW", "STORED", "RATIO");
            for (RepositoryStats.CodecCount c : s.codecs()) {
                out.printf(fmt, codecName(c.codec()), c.delta() ? "delta" : "keyframe", c.chunks(), Text.bytes(c.rawBytes()),
                        Text.bytes(c.storedBytes()), ratio(c.ratio()));
            }
            out.printf(fmt, "total", "", s.distinctChunks(), Text.bytes(s.chunkRawBytes()), Text.bytes(s.chunkStoredBytes()),
                    ratio(RepositoryStats.ratio(s.chunkRawBytes(), s.chunkStoredBytes())));
            out.println();
            out.printf("%-12s %8s%n", "CHAIN DEPTH", "CHUNKS");
            s.chainDepths().forEach((d, n) -> out.printf("%-12s %8d%n", d == 0 ? "0 (keyframe)" : String.valueOf(d), n));
        }
        if (!s.planeModes().isEmpty()) {
            out.println();
            out.printf("%-15s %8s%n", "PLANES AS", "PLANES"); // 15: "context-huffman"
            s.planeModes().forEach((mode, n) -> out.printf("%-15s %8d%n", planeModeName(mode), n));
            long planesChunks = s.codecs().stream().filter(c -> c.codec() == dev.coral.codec.ChunkCodec.PLANES)
                    .mapToLong(RepositoryStats.CodecCount::chunks).sum();
            out.println();
            out.printf("exponent layout: %d of %d planes keyframes (a float's whole exponent in plane 0)%n", s.exponentLayoutChunks(),
                    planesChunks);
            out.printf("mantissa-bit layout: %d of %d planes keyframes (7 exponent bits and the top mantissa bit in plane 0)%n",
                    s.mantissaBitLayoutChunks(), planesChunks);
        }
        if (!s.files().isEmpty()) {
            out.println();
            int w = "PATH".length();
            for (RepositoryStats.FileStats f : s.files()) {
                w = Math.max(w, Text.shown(f.path()).length());
            }
            String fmt = "%-" + w + "s %8s %8s %10s %10s %7s%n";
            out.printf(fmt, "PATH", "VERSIONS", "COMMITS", "LOGICAL", "STORED", "RATIO");
            for (RepositoryStats.FileStats f : s.files()) {
                out.printf(fmt, Text.shown(f.path()), f.versions(), f.commits(), Text.bytes(f.logicalBytes()), Text.bytes(f.storedBytes()),
                        ratio(f.ratio()));
            }
        }
        if (!s.history().isEmpty()) {
            out.println();
            String fmt = "%-7s %10s %10s %7s  %s%n";
            out.printf(fmt, "COMMIT", "LOGICAL", "NEW STORED", "RATIO", "MESSAGE");
            for (RepositoryStats.CommitStats c : s.history()) {
                out.printf(fmt, Text.shortId(c.id()), Text.bytes(c.logicalBytes()), Text.bytes(c.newStoredBytes()),
                        ratio(c.ratio()), Text.shown(c.subject()) + (c.isLossy() ? " [lossy " + c.lossyEps() + "]" : ""));
            }
        }
    }
}
