package dev.coral.repo;

import dev.coral.codec.ChunkCodec;
import dev.coral.error.CorruptObjectException;
import dev.coral.error.UnsupportedVersionException;
import dev.coral.io.ChecksummedFile;
import dev.coral.io.RepositoryLock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The format features a repository's objects may use, beyond what every Coral reads: the file
 * {@code .coral/format}, as git's {@code extensions.*}. A Coral that finds a feature it does not
 * know refuses to open the repository, with one line naming the file and the feature, instead of
 * failing chunk by chunk later ("unknown chunk codec id") or, in fsck, calling such chunks damaged.
 * A feature is declared before the first object that uses it is written, so a reader that finds
 * such an object finds the declaration too. A repository without the file uses none.
 *
 * <pre>
 * File --&gt; ChecksummedFile("CORALFMT", version 1, Body)
 * Body --&gt; one feature name per line, sorted, each ending in '\n' (UTF-8; names [a-z0-9-]+)
 * </pre>
 *
 * <p>Features this Coral knows: {@value #ZIGZAG_DELTAS} (the {@code ZIGZAG_PLANES} chunk codec,
 * id 5, since 2026-12-03; builds before it read such chunks as damaged) and
 * {@value #NPZ_VERBATIM} (npz file entries whose restore info gives the file back byte for byte,
 * version 2, since 2026-12-04; builds before it fail to check such a file out) and
 * {@value #NPZ_DEFLATED_VERBATIM} (the same for npz files with deflated members, version 3, since
 * 2026-12-05) and {@value #HDF5_CHUNKED} (HDF5 file entries whose chunked datasets are tensors,
 * restore info version 2, since 2026-12-06), the last three declared by every repository this
 * Coral writes.
 */
public final class FormatFeatures {
    /** The file's name in {@code .coral}. */
    public static final String FILE = "format";
    /** How to repair a damaged {@link #FILE}, said by the writes it stops and by fsck. */
    public static final String REPAIR = "delete .coral/" + FILE + " to write: the next write declares this Coral's features again; "
            + "if a newer Coral wrote here, repair it with that one, whose features the file may have declared";
    /** Chunks may be zigzag-difference deltas (chunk codec id 5). */
    public static final String ZIGZAG_DELTAS = "zigzag-deltas";
    /** npz file entries may hold version 2 restore info (the file's bytes around its tensors' data). */
    public static final String NPZ_VERBATIM = "npz-verbatim";
    /** npz file entries may hold version 3 restore info (deflated members rebuilt by deflating their data again). */
    public static final String NPZ_DEFLATED_VERBATIM = "npz-deflated-verbatim";
    /** HDF5 file entries may hold version 2 restore info (chunked datasets stored as tensors, their chunks rebuilt). */
    public static final String HDF5_CHUNKED = "hdf5-chunked";
    /** Every feature this Coral reads. */
    public static final Set<String> KNOWN = Set.of(ZIGZAG_DELTAS, NPZ_VERBATIM, NPZ_DEFLATED_VERBATIM, HDF5_CHUNKED);
    private static final String MAGIC = "CORALFMT";
    private static final String LOCK = "format";
    private static final Pattern NAME = Pattern.compile("[a-z0-9-]{1,64}");

    private FormatFeatures() {
    }

    /** The feature a chunk of codec id {@code chunkCodec} uses, or null when every Coral reads it. */
    public static String featureOfChunkCodec(int chunkCodec) {
        return chunkCodec == ChunkCodec.ZIGZAG_PLANES.id() ? ZIGZAG_DELTAS : null;
    }

    /**
     * The features {@code config} lets a writer use: what a repository made with it declares.
     * {@link #NPZ_VERBATIM}, {@link #NPZ_DEFLATED_VERBATIM} and {@link #HDF5_CHUNKED} whatever the settings: any add may
     * store an npz or HDF5 file so, and declaring it only then left a repository that had lost its format file
     * ({@link #REPAIR}) without it (found by review).
     */
    public static Set<String> usedBy(RepositoryConfig config) {
        return config.zigzagDeltas() ? Set.of(ZIGZAG_DELTAS, NPZ_VERBATIM, NPZ_DEFLATED_VERBATIM, HDF5_CHUNKED)
                : Set.of(NPZ_VERBATIM, NPZ_DEFLATED_VERBATIM, HDF5_CHUNKED);
    }

    /**
     * The features declared in {@code coralDir}; empty when it has no format file.
     *
     * @throws CorruptObjectException if the file is damaged or names a feature in a form no Coral writes
     */
    public static Set<String> read(Path coralDir) throws IOException {
        Path file = coralDir.resolve(FILE);
        byte[] body;
        try {
            body = ChecksummedFile.read(file, MAGIC, 1, 1, 1 << 20).bytes();
        } catch (NoSuchFileException e) {
            return Set.of();
        }
        Set<String> out = new TreeSet<>();
        String text = new String(body, StandardCharsets.UTF_8);
        if (!text.isEmpty() && !text.endsWith("\n")) {
            throw new CorruptObjectException(file + ": its last feature name does not end its line");
        }
        for (String name : text.isEmpty() ? new String[0] : text.split("\n", -1)) {
            if (name.isEmpty()) {
                continue; // after the last line's end
            }
            if (!NAME.matcher(name).matches()) {
                throw new CorruptObjectException(file + ": '" + printable(name) + "' is not a feature name");
            }
            out.add(name);
        }
        return out;
    }

    /**
     * Checks that this Coral knows every feature {@code coralDir} declares; returns them.
     *
     * @throws UnsupportedVersionException naming the file and the features it does not know
     * @throws CorruptObjectException if the file is damaged
     */
    public static Set<String> check(Path coralDir) throws IOException {
        return requireKnown(coralDir, read(coralDir));
    }

    /**
     * {@code declared}, what {@link #read} found in {@code coralDir}, when this Coral knows every
     * feature in it.
     *
     * @throws UnsupportedVersionException naming the file and the features it does not know
     */
    public static Set<String> requireKnown(Path coralDir, Set<String> declared) throws UnsupportedVersionException {
        Set<String> unknown = new TreeSet<>(declared);
        unknown.removeAll(KNOWN);
        if (!unknown.isEmpty()) {
            throw new UnsupportedVersionException(coralDir.resolve(FILE) + ": this repository uses " + String.join(", ", unknown)
                    + ", which this Coral cannot read (it was written by a newer Coral; upgrade to use it)");
        }
        return declared;
    }

    /** Writes the format file of a new repository, declaring {@code features} (none: no file). */
    public static void writeNew(Path coralDir, Set<String> features) throws IOException {
        if (!features.isEmpty()) {
            write(coralDir, new TreeSet<>(features));
        }
    }

    /**
     * Declares {@code feature} in {@code coralDir} unless it is there already: under the format
     * lock, so writers declaring different features at once lose none, and durably, before the
     * caller writes the first object that uses it.
     */
    public static void declare(Path coralDir, String feature) throws IOException {
        if (!KNOWN.contains(feature)) {
            throw new IllegalArgumentException("not a feature this Coral writes: " + feature);
        }
        if (read(coralDir).contains(feature)) {
            return;
        }
        try (RepositoryLock.Held held = new RepositoryLock(coralDir.resolve("locks"), LOCK).lock()) {
            Set<String> now = new TreeSet<>(read(coralDir));
            if (now.add(feature)) {
                write(coralDir, now);
            }
        }
    }

    private static void write(Path coralDir, Set<String> sorted) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String f : sorted) {
            sb.append(f).append('\n');
        }
        ChecksummedFile.write(coralDir.resolve(FILE), MAGIC, 1, sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static String printable(String s) {
        String cut = s.length() > 40 ? s.substring(0, 40) + "..." : s;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
