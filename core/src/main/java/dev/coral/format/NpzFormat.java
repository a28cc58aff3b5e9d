package dev.coral.format;

import dev.coral.error.BadInputException;
import dev.coral.error.CorruptObjectException;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * numpy's {@code .npz}: a zip whose members are npy files, stored ({@code np.savez}) or deflated
 * ({@code np.savez_compressed}). A member {@code w.npy} is the tensor {@code w}. An npz whose
 * members are all stored is restored byte for byte: its restore info keeps every byte of the file
 * but the tensors' data ({@link NpzRestoreInfo}, version 2). So is one with deflated members when
 * this machine's deflate, at some level, writes each member's stream again from its data, as it
 * does for {@code np.savez_compressed} files (zlib on both sides, {@link DeflateReplay}): the
 * restore info keeps every byte but those streams, and the level of each (version 3). Else it is
 * restored value-identical: the same member names, methods and npy headers with the same data, in a
 * zip of Coral's own (keeping the deflated bytes would store each tensor twice).
 */
public final class NpzFormat implements WeightFileFormat {
    private static final String SUFFIX = ".npy";
    private static final String RESTORE_WHERE = "npz restore info";

    /** Fixed member time, so Coral writes the same zip for the same tensors. */
    private static final LocalDateTime MEMBER_TIME = LocalDateTime.of(1980, 1, 1, 0, 0);

    @Override
    public String name() {
        return "npz";
    }

    @Override
    public List<String> extensions() {
        return List.of("npz");
    }

    /**
     * How member names without the zip's UTF-8 flag are read: CP437, the zip specification's
     * default, as Python's zipfile (and so numpy) reads them; names with the flag are UTF-8
     * either way. Read as UTF-8, such a name that was not valid UTF-8 made the whole file
     * "not a valid zip" (found by fuzzing).
     */
    static final java.nio.charset.Charset NAME_CHARSET = java.nio.charset.Charset.isSupported("IBM437")
            ? java.nio.charset.Charset.forName("IBM437") : java.nio.charset.StandardCharsets.UTF_8;

    @Override
    public ParsedWeightFile read(Path file) throws IOException {
        String where = file.toString();
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile(), NAME_CHARSET);
        } catch (ZipException | EOFException e) { // EOFException: a directory offset or comment length past the end
            throw new BadInputException(where + ": not a valid zip (npz) file: " + damage(e));
        }
        // one channel for the layout check and the skeleton (ZipFile keeps its own), open until the file is closed
        FileChannel ch = null;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
            List<ZipLayout.Member> layout = ZipLayout.check(ch, where, zip.size());
            List<NpzRestoreInfo.Member> members = new ArrayList<>();
            List<TensorSource> tensors = new ArrayList<>();
            List<? extends ZipEntry> entries = Collections.list(zip.entries());
            // names first: ZipFile finds a member's data by name, so with duplicates it could
            // read one member's bytes for another; nothing is read before names are known unique
            Set<String> seen = new HashSet<>();
            for (ZipEntry e : entries) {
                checkMemberName(e.getName(), where);
                if (!seen.add(e.getName())) {
                    throw new BadInputException(where + ": member '" + e.getName() + "' appears twice");
                }
            }
            for (ZipEntry e : entries) {
                String name = e.getName();
                String at = where + ": member '" + name + "'";
                NpyHeader header;
                try (InputStream in = new DamageNamingStream(zip.getInputStream(e), at)) {
                    header = NpyHeader.read(in, at);
                }
                long expected = header.length() + header.spec().byteSize();
                if (e.getSize() != expected) {
                    throw new BadInputException(at + ": holds " + e.getSize() + " bytes, but its npy header ("
                            + header.spec().dtype() + " " + header.spec().shape() + ") needs " + expected);
                }
                members.add(new NpzRestoreInfo.Member(name, e.getMethod(), header.bytes()));
                tensors.add(new ZipTensorSource(tensorName(name), header.spec(), zip, e, header.length(), header.bigEndian(), at));
            }
            FileChannel layoutChannel = ch;
            return new ZipParsedFile(zip, ch, () -> {
                byte[] verbatim = verbatimRestoreInfo(layoutChannel, zip, where, members, layout, entries, tensors);
                return verbatim != null ? verbatim : NpzRestoreInfo.encode(members);
            }, NpzRestoreInfo.encode(members), tensors);
        } catch (IOException | RuntimeException e) {
            zip.close();
            if (ch != null) {
                ch.close();
            }
            throw e;
        }
    }

    /**
     * Largest skeleton (the file's bytes but its tensors' data) kept to restore an npz byte for byte:
     * a 50,000-member np.savez file (15.4 MB, 3.2 MB of it data) has one of 12.2 MB. Past it (bytes other than the
     * members' data: an npz appended to something, a huge comment) the npz is value-identical.
     */
    static final long MAX_SKELETON_BYTES = 64L << 20;

    /**
     * The version 2 or 3 restore info of the npz read through {@code ch} when each member is
     * stored (with sizes as read) or deflated as this machine's deflate rebuilds it
     * ({@link DeflateReplay}: one more deflate of its data), and its skeleton is at most
     * {@link #MAX_SKELETON_BYTES}; else null. {@code layout} and {@code members} are in the
     * central directory's order, as {@code tensors}.
     */
    private static byte[] verbatimRestoreInfo(FileChannel ch, ZipFile zip, String where, List<NpzRestoreInfo.Member> members,
                                              List<ZipLayout.Member> layout, List<? extends ZipEntry> entries,
                                              List<TensorSource> tensors) throws IOException {
        int n = members.size();
        long[] fileCut = new long[n]; // where the bytes cut out (a stored member's data, a deflated one's stream) start in the file
        long[] cutBytes = new long[n];
        int[] levels = new int[n];
        long cutTotal = 0;
        for (int i = 0; i < n; i++) {
            NpzRestoreInfo.Member m = members.get(i);
            ZipLayout.Member z = layout.get(i);
            long headerLength = m.npyHeader().length;
            long dataBytes = tensors.get(i).spec().byteSize();
            ZipEntry e = entries.get(i);
            if (m.method() != z.method() || e.getCompressedSize() != z.storedSize() || e.getCrc() != z.crc()) {
                return null;
            }
            if (m.method() == ZipEntry.STORED && z.storedSize() == headerLength + dataBytes) {
                levels[i] = NpzRestoreInfo.STORED;
                fileCut[i] = z.dataStart() + headerLength;
                cutBytes[i] = dataBytes;
            } else if (m.method() == ZipEntry.DEFLATED) {
                levels[i] = -2; // found below, once the cheaper checks have passed for every member
                fileCut[i] = z.dataStart();
                cutBytes[i] = z.storedSize();
            } else {
                return null;
            }
            cutTotal += cutBytes[i];
        }
        long skeletonBytes = ch.size() - cutTotal;
        if (skeletonBytes < 0 || skeletonBytes > MAX_SKELETON_BYTES) {
            return null;
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingLong(i -> fileCut[i]));
        byte[] skeleton = new byte[(int) skeletonBytes];
        long[] cutAt = new long[n];
        long filePos = 0;
        int at = 0;
        // a direct buffer: the kernel copies into it and CRC-32 reads it in place (a heap one cost a copy more)
        ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 18);
        for (int i : order) {
            int gap = (int) (fileCut[i] - filePos); // ZipLayout found the members apart, each within the file
            ZipLayout.readFully(ch, filePos, skeleton, at, gap, where);
            at += gap;
            cutAt[i] = at;
            if (levels[i] == NpzRestoreInfo.STORED) {
                if (!cutAsZipFileReadsIt(ch, buffer, members.get(i).npyHeader(), fileCut[i], cutBytes[i], entries.get(i).getCrc(), where)) {
                    return null;
                }
            }
            filePos = fileCut[i] + cutBytes[i];
        }
        ZipLayout.readFully(ch, filePos, skeleton, at, skeleton.length - at, where);
        if (!replayDeflatedMembers(ch, zip, where, entries, fileCut, cutBytes, levels)) {
            return null;
        }
        long[] deflatedLengths = new long[n];
        for (int i = 0; i < n; i++) {
            deflatedLengths[i] = levels[i] == NpzRestoreInfo.STORED ? 0 : cutBytes[i];
        }
        return NpzRestoreInfo.encodeVerbatim(new NpzRestoreInfo.Verbatim(members, cutAt, levels, deflatedLengths, skeleton));
    }

    /**
     * Finds the level that rebuilds each deflated member's stream ({@code levels[i]} -2) from its
     * data, the members side by side on the common pool (a deflate of its data each: 84 MB of
     * np.savez_compressed members took 2.8 s more to add on one thread); false when one has none.
     */
    private static boolean replayDeflatedMembers(FileChannel ch, ZipFile zip, String where, List<? extends ZipEntry> entries,
                                                 long[] fileCut, long[] cutBytes, int[] levels) throws IOException {
        int[] deflated = IntStream.range(0, levels.length).filter(i -> levels[i] != NpzRestoreInfo.STORED)
                .boxed().sorted(Comparator.comparingLong(i -> -cutBytes[i])).mapToInt(Integer::intValue).toArray(); // largest first
        try {
            return Arrays.stream(deflated).parallel().allMatch(i -> {
                ZipEntry e = entries.get(i);
                String member = where + ": member '" + e.getName() + "'";
                try {
                    levels[i] = DeflateReplay.levelOf(ch, fileCut[i], cutBytes[i], () -> new DamageNamingStream(zip.getInputStream(e), member));
                } catch (IOException x) {
                    throw new java.io.UncheckedIOException(x);
                }
                return levels[i] >= 0;
            });
        } catch (java.io.UncheckedIOException x) {
            throw x.getCause();
        }
    }

    /**
     * Whether the npy header and the {@code n} bytes at {@code at} have the CRC-32 the member's
     * directory entry gives, which java.util.zip checks the tensor's bytes against as they are
     * stored ({@link ZipTensorSource}): the data cut out of the skeleton is then the data stored,
     * and the file a checkout rebuilds is the file added. One more read of the data (from the
     * page cache, at CRC-32's speed), so that a zip read one way here and another by ZipFile
     * (found by review: two directories) is never committed to be restored wrong.
     */
    private static boolean cutAsZipFileReadsIt(FileChannel ch, ByteBuffer buf, byte[] header, long at, long n, long crc, String where)
            throws IOException {
        CRC32 c = new CRC32();
        c.update(header);
        for (long done = 0; done < n; ) {
            buf.clear().limit((int) Math.min(buf.capacity(), n - done));
            int got = ch.read(buf, at + done);
            if (got < 0) {
                throw new BadInputException(where + ": ends early (truncated)");
            }
            buf.flip();
            c.update(buf);
            done += got;
        }
        return c.getValue() == crc;
    }

    /**
     * Byte for byte from version 2 restore info (all members stored), and from version 3 (deflated
     * members) where this machine's deflate is zlib's; else value-identical.
     */
    @Override
    public boolean restoresBytes(byte[] restoreInfo) {
        return NpzRestoreInfo.isVerbatim(restoreInfo)
                && (!NpzRestoreInfo.hasDeflatedMembers(restoreInfo) || DeflateReplay.rebuildsZlibStreams());
    }

    /** Version 3: reading it again deflates every deflated member again (about 30 MB/s a core). */
    @Override
    public boolean readsAgainSlowly(byte[] restoreInfo) {
        return NpzRestoreInfo.hasDeflatedMembers(restoreInfo);
    }

    @Override
    public boolean mayRestoreOtherBytes() {
        return true;
    }

    @Override
    public byte[] forOtherValues(byte[] restoreInfo) throws IOException {
        return NpzRestoreInfo.valuesOnly(restoreInfo);
    }

    /** What java.util.zip says is wrong with a damaged zip, for an error message. */
    static String damage(IOException e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? "it ends early (truncated or damaged)" : m;
    }

    /**
     * Rejects member names that would escape a folder when extracted, or that are not npy files.
     */
    static void checkMemberName(String name, String where) throws BadInputException {
        String at = where + ": member '" + name.replace("\0", "\\0") + "'";
        if (name.indexOf('\0') >= 0) {
            throw new BadInputException(at + ": name contains a NUL character");
        }
        if (name.indexOf('\\') >= 0) {
            throw new BadInputException(at + ": name contains a backslash");
        }
        if (name.startsWith("/") || name.matches("^[A-Za-z]:.*")) {
            throw new BadInputException(at + ": name is an absolute path");
        }
        for (String segment : name.split("/", -1)) {
            if (segment.equals("..")) {
                throw new BadInputException(at + ": name contains a '..' segment");
            }
        }
        if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 0xffff) {
            throw new BadInputException(where + ": member name of " + name.length() + " characters is too long for a zip");
        }
        if (!name.endsWith(SUFFIX)) {
            throw new BadInputException(at + ": not an .npy member (an npz holds only .npy files)");
        }
    }

    private static String tensorName(String member) {
        return member.substring(0, member.length() - SUFFIX.length());
    }

    @Override
    public void restore(byte[] restoreInfo, List<? extends TensorSource> tensors, OutputStream out) throws IOException {
        String where = RESTORE_WHERE;
        NpzRestoreInfo.Verbatim verbatim = restoresBytes(restoreInfo) ? NpzRestoreInfo.decodeVerbatim(restoreInfo) : null;
        List<NpzRestoreInfo.Member> members = verbatim != null ? verbatim.members() : NpzRestoreInfo.decode(restoreInfo);
        List<NpyHeader> headers = checkedHeaders(members, tensors);
        if (verbatim != null) {
            restoreVerbatim(verbatim, headers, tensors, out, where);
            return;
        }
        try (ZipOutputStream zip = new ZipOutputStream(new NonClosingOutputStream(out))) {
            for (int i = 0; i < members.size(); i++) {
                NpzRestoreInfo.Member m = members.get(i);
                writeMember(zip, m.name(), m.method(), m.npyHeader(), tensors.get(i), headers.get(i).bigEndian(), where);
            }
        }
    }

    /**
     * The skeleton with each tensor's bytes at its cut, when all members were stored (restore
     * info version 2), the tensors are listed in file order (as numpy writes them) and none was
     * stored big-endian; else empty.
     */
    @Override
    public Optional<TensorPlacement> placement(byte[] restoreInfo, List<? extends TensorSource> tensors) throws IOException {
        if (!NpzRestoreInfo.isVerbatim(restoreInfo) || NpzRestoreInfo.hasDeflatedMembers(restoreInfo)) {
            return Optional.empty();
        }
        NpzRestoreInfo.Verbatim v = NpzRestoreInfo.decodeVerbatim(restoreInfo);
        List<NpyHeader> headers = checkedHeaders(v.members(), tensors);
        long[] offsets = new long[tensors.size()];
        long[] lengths = new long[tensors.size()];
        long tensorBytes = 0;
        for (int i = 0; i < offsets.length; i++) {
            if ((i > 0 && v.cutAt()[i] < v.cutAt()[i - 1])
                    || (headers.get(i).bigEndian() && tensors.get(i).spec().dtype().swapUnitBytes() > 1)) {
                return Optional.empty();
            }
            lengths[i] = tensors.get(i).spec().byteSize();
            offsets[i] = v.cutAt()[i] + tensorBytes;
            tensorBytes += lengths[i];
        }
        return Optional.of(new TensorPlacement(v.skeleton(), offsets, lengths));
    }

    /** The members' npy headers, each checked to describe as many bytes as its tensor given. */
    private static List<NpyHeader> checkedHeaders(List<NpzRestoreInfo.Member> members, List<? extends TensorSource> tensors)
            throws IOException {
        String where = RESTORE_WHERE;
        if (members.size() != tensors.size()) {
            throw new BadInputException(where + ": lists " + members.size() + " members but " + tensors.size() + " tensors were given");
        }
        List<NpyHeader> headers = new ArrayList<>(members.size());
        for (int i = 0; i < members.size(); i++) {
            NpzRestoreInfo.Member m = members.get(i);
            try {
                headers.add(NpyHeader.parse(m.npyHeader(), where + ": member '" + m.name() + "'"));
            } catch (BadInputException e) {
                throw new CorruptObjectException(e.getMessage(), e);
            }
            SafetensorsFormat.checkSameBytes(m.name(), headers.get(i).spec(), tensors.get(i), where);
        }
        return headers;
    }

    /**
     * The skeleton with each tensor's bytes at its cut, in file order (big-endian data swapped
     * back), or for a deflated member its npy header and bytes deflated at its level.
     */
    private static void restoreVerbatim(NpzRestoreInfo.Verbatim v, List<NpyHeader> headers, List<? extends TensorSource> tensors,
                                        OutputStream out, String where) throws IOException {
        byte[] skeleton = v.skeleton();
        int at = 0;
        for (int i : v.fileOrder()) {
            int cut = (int) v.cutAt()[i];
            out.write(skeleton, at, cut - at);
            int level = v.levels()[i];
            if (level == NpzRestoreInfo.STORED) {
                Streams.copyTensor(tensors.get(i), out, null, headers.get(i).bigEndian(), where);
            } else {
                NpzRestoreInfo.Member m = v.members().get(i);
                long length = DeflateReplay.deflate(level, m.npyHeader(), tensors.get(i), headers.get(i).bigEndian(), out, where);
                if (length != v.deflatedLengths()[i]) {
                    throw new CorruptObjectException(where + ": member '" + m.name() + "' deflated at level " + level + " to " + length
                            + " bytes, the file added held " + v.deflatedLengths()[i]);
                }
            }
            at = cut;
        }
        out.write(skeleton, at, skeleton.length - at);
    }

    /**
     * Writes all tensors as deflated members {@code name.npy}, as {@code np.savez_compressed} does;
     * floating-point ones at deflate's level 0 (stored blocks). Measured on an 84 MB fp32
     * checkpoint: deflate at level 1 or 6 runs at 29-35 MB/s and saves 7%; at level 0, 14 GB/s
     * (an 84 MB export took 3 s, nearly all of it in zlib). Integers and booleans (masks, indices,
     * quantized weights) are compressed at the default level, where deflate can pay.
     */
    @Override
    public void write(List<? extends TensorSource> tensors, Map<String, String> metadata, OutputStream out) throws IOException {
        String where = "npz export";
        List<byte[]> headers = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (TensorSource t : tensors) {
            String member = t.name() + SUFFIX;
            checkMemberName(member, where);
            if (!seen.add(member)) {
                throw new BadInputException(where + ": tensor name '" + t.name() + "' appears twice");
            }
            headers.add(NpyHeader.build(t.name(), t.spec(), where));
        }
        try (ZipOutputStream zip = new ZipOutputStream(new NonClosingOutputStream(out))) {
            for (int i = 0; i < tensors.size(); i++) {
                TensorSource t = tensors.get(i);
                zip.setLevel(isFloatingPoint(t.spec().dtype()) ? Deflater.NO_COMPRESSION : Deflater.DEFAULT_COMPRESSION);
                writeMember(zip, t.name() + SUFFIX, ZipEntry.DEFLATED, headers.get(i), t, false, where);
            }
        }
    }

    /** Float and complex dtypes: their bytes barely deflate. */
    static boolean isFloatingPoint(DType t) {
        return t.numpyCode().map(code -> code.startsWith("f") || code.startsWith("c")).orElse(false);
    }

    private static void writeMember(ZipOutputStream zip, String name, int method, byte[] header, TensorSource t,
                                    boolean swap, String where) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setTimeLocal(MEMBER_TIME);
        e.setMethod(method);
        if (method == ZipEntry.STORED) {
            // a stored entry needs its size and CRC before its data: one extra pass, no buffering
            CRC32 crc = new CRC32();
            crc.update(header);
            Streams.copyTensor(t, null, crc, swap, where);
            long size = header.length + t.spec().byteSize();
            e.setSize(size);
            e.setCompressedSize(size);
            e.setCrc(crc.getValue());
        }
        zip.putNextEntry(e);
        zip.write(header);
        Streams.copyTensor(t, zip, null, swap, where);
        zip.closeEntry();
    }

    /** A tensor inside a zip member, after the member's npy header. */
    private record ZipTensorSource(String name, TensorSpec spec, ZipFile zip, ZipEntry entry, long headerLength,
                                   boolean swap, String where) implements TensorSource {
        @Override
        public InputStream openStream() throws IOException {
            // ZipFile does not check CRCs; checking here catches a corrupt member on its first full read
            CheckedInputStream in = new CheckedInputStream(new DamageNamingStream(zip.getInputStream(entry), where), new CRC32());
            BoundedInputStream.EndCheck crc = () -> {
                if (entry.getCrc() != -1 && in.getChecksum().getValue() != entry.getCrc()) {
                    throw new BadInputException(where + ": CRC mismatch, the zip member is corrupt");
                }
            };
            InputStream data;
            try {
                in.skipNBytes(headerLength); // reads through, so the header is in the CRC too
                data = BoundedInputStream.of(in, spec.byteSize(), where, crc); // an empty member is checked here
            } catch (IOException e) {
                in.close();
                throw e;
            }
            return ByteSwappingInputStream.wrap(data, spec.dtype().swapUnitBytes(), swap);
        }
    }

    /**
     * A zip member's stream whose damage (a corrupt deflate stream, data ending before the size
     * the zip gives) fails as bad input naming the file and member, not as java.util.zip's
     * bare "invalid distance too far back" or "Unexpected end of ZLIB input stream".
     */
    private static final class DamageNamingStream extends java.io.FilterInputStream {
        private final String where;

        DamageNamingStream(InputStream in, String where) {
            super(in);
            this.where = where;
        }

        /** EOFException: the member's data ends early (a lying size, offset or extra field). */
        private BadInputException named(IOException e) {
            return new BadInputException(where + ": cannot be read: " + damage(e));
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (ZipException | EOFException e) {
                throw named(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (ZipException | EOFException e) {
                throw named(e);
            }
        }

        @Override
        public long skip(long n) throws IOException {
            try {
                return super.skip(n);
            } catch (ZipException | EOFException e) {
                throw named(e);
            }
        }
    }

    /** How an npz's restore info is made, once, when it is first asked for. */
    @FunctionalInterface
    private interface RestoreInfoMaker {
        byte[] make() throws IOException;
    }

    /**
     * An open npz; closing closes the zip and the channel its restore info is cut from. The
     * restore info is made when first asked for ({@code add}), or started on a thread of its own
     * by {@link #prepareRestoreInfo}, not by {@code diff}, which reads the tensors alone:
     * rebuilding deflated members costs a deflate of their data.
     */
    private static final class ZipParsedFile implements ParsedWeightFile {
        private final ZipFile zip;
        private final FileChannel channel;
        private final RestoreInfoMaker maker;
        private final byte[] valuesOnly;
        private final List<TensorSource> tensors;
        private java.util.concurrent.FutureTask<byte[]> making;

        ZipParsedFile(ZipFile zip, FileChannel channel, RestoreInfoMaker maker, byte[] valuesOnly, List<TensorSource> tensors) {
            this.zip = zip;
            this.channel = channel;
            this.maker = maker;
            this.valuesOnly = valuesOnly;
            this.tensors = List.copyOf(tensors);
        }

        /** Version 1: the members' names, methods and npy headers, what the restore info is for other values anyway. */
        @Override
        public byte[] restoreInfoForOtherValues() {
            return valuesOnly.clone();
        }

        private synchronized java.util.concurrent.FutureTask<byte[]> task() {
            if (making == null) {
                making = new java.util.concurrent.FutureTask<>(maker::make);
            }
            return making;
        }

        @Override
        public void prepareRestoreInfo() {
            java.util.concurrent.FutureTask<byte[]> task = task();
            Thread t = new Thread(task, "coral-npz-restore-info");
            t.setDaemon(true);
            dev.coral.io.Threads.tryStart(t); // if no thread could start, restoreInfo() makes it in line
        }

        @Override
        public byte[] restoreInfo() throws IOException {
            java.util.concurrent.FutureTask<byte[]> task = task();
            task.run(); // does nothing when it ran or runs on its thread
            try {
                return task.get().clone();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while making the npz restore info");
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof IOException io) {
                    throw io;
                }
                if (e.getCause() instanceof RuntimeException r) {
                    throw r;
                }
                throw new IllegalStateException(e.getCause());
            }
        }

        @Override
        public Map<String, String> metadata() {
            return Map.of();
        }

        @Override
        public List<TensorSource> tensors() {
            return tensors;
        }

        /** Closes the zip and the channel, once a restore info started on its thread is done (or has failed on them). */
        @Override
        public void close() throws IOException {
            java.util.concurrent.FutureTask<byte[]> task;
            synchronized (this) {
                task = making;
            }
            try (channel) {
                zip.close();
            } finally {
                if (task != null) {
                    try {
                        task.get();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (java.util.concurrent.ExecutionException e) {
                        // its failure is the restore info's; closing the file meanwhile may have caused it
                    }
                }
            }
        }
    }
}
