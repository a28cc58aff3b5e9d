package dev.coral.store;

import dev.coral.codec.ChunkBase;
import dev.coral.codec.ChunkCodec;
import dev.coral.codec.ChunkDecoder;
import dev.coral.codec.CodecWorkspace;
import dev.coral.error.CorruptObjectException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes a stored chunk, following its delta chain down to the keyframe and applying the deltas
 * back up. The walk down reads only each delta's prefix (its base); the way up reads each link's
 * payload, checked against its entry CRC, into one buffer just before decoding it. So a chain of
 * any depth holds one payload and two raw buffers at a time. Holding every link's payload, a
 * workspace kept buffers for the first four links and each deeper link was a fresh, zeroed array:
 * an 84 MB export six links deep took 8-10% more CPU (async-profiler, 20 exports, two runs each).
 */
final class ChunkChainReader {
    /** Longer chains than this are corrupt (or a cycle): writers bound them far lower. */
    static final int MAX_CHAIN = 255;

    private ChunkChainReader() {
    }

    /** A link of the chain: its entry, and for a delta the base its prefix names (null for a keyframe). */
    private record Link(ObjectStore.Found found, ObjectId base) {
        String what() {
            return ChunkChainReader.what(found);
        }
    }

    /** A stored chunk as errors name it: its pack file and id. */
    private static String what(ObjectStore.Found f) {
        return f.pack().path().getFileName() + " chunk " + f.entry().id().hex();
    }

    /** A link's framed payload at {@code buf[from, end)}: past the delta prefix for a delta. */
    private record Payload(byte[] buf, int from, int end) {
        int length() {
            return end - from;
        }
    }

    /**
     * Reads a link's whole entry, checked against its CRC32C, into the workspace's link buffer
     * (valid until the next link is read); for a delta (whose length {@link #collect} checked),
     * checks that the checked prefix names the base the walk down followed.
     */
    private static Payload payload(Link l, CodecWorkspace ws) throws IOException {
        PackFile.Slice p = l.found().pack().readPayloadSlice(l.found().entry(), ws::linkBuffer);
        if (l.base() == null) {
            return new Payload(p.array(), p.offset(), p.end());
        }
        if (!ObjectId.fromBytes(p.array(), p.offset()).equals(l.base())) {
            throw new CorruptObjectException(l.what() + ": its delta prefix differs between two reads");
        }
        return new Payload(p.array(), p.offset() + StoredForm.DELTA_PREFIX_BYTES, p.end());
    }

    /** The links from a chunk down to its keyframe, or down to a link whose raw bytes were at hand. */
    private record Chain(List<Link> links, byte[] cachedBase) {
    }

    /**
     * Reads {@code top} into {@code dst}: from the recent chunks or the chunk cache when they hold
     * it, else from {@code at} (null: none) when that decodes fewer links ({@link #fromHand}),
     * else down its chain.
     */
    static void read(ObjectStore store, ObjectStore.Found top, byte[] dst, CodecWorkspace ws, ChunkAtHand at) throws IOException {
        read(store, top, dst, ws, at, true);
    }

    /**
     * As {@link #read(ObjectStore, ObjectStore.Found, byte[], CodecWorkspace, ChunkAtHand)};
     * with {@code cachedDescendants}, a chunk with no chunk at hand to start from (or one that does
     * not help) is read back from the nearest newer version of it in the chunk cache when that
     * decodes fewer deltas ({@link CachedDescendants}). A reader that found the result wrong reads
     * again without.
     */
    static void read(ObjectStore store, ObjectStore.Found top, byte[] dst, CodecWorkspace ws, ChunkAtHand at, boolean cachedDescendants)
            throws IOException {
        store.readBegins(); // (a read ahead waits for the reader to be done: VersionsAhead)
        try {
            readCounted(store, top, dst, ws, at, cachedDescendants);
        } finally {
            store.readEnds();
        }
    }

    private static void readCounted(ObjectStore store, ObjectStore.Found top, byte[] dst, CodecWorkspace ws, ChunkAtHand at,
                                    boolean cachedDescendants) throws IOException {
        RecentChunks recent = store.recentChunks();
        int n = (int) top.entry().rawLength();
        store.versionsAhead().await(top.entry().id());
        if (recent.peekRead(top.entry().id(), dst) || fromCache(store, top, dst, n, false)) {
            return;
        }
        if (at != null && at.id().equals(top.entry().id()) && at.read(dst, n)) {
            store.countReadFromHand();
            return;
        }
        Chain chain = collect(store, top, recent, ws, true, false);
        int deltas = chain.cachedBase() != null ? chain.links().size() : chain.links().size() - 1; // (the last link is the keyframe)
        int whole = chain.cachedBase() != null ? deltas : deltas + KEYFRAME_COST;
        if (at != null && fromHand(store, chain, dst, n, ws, at, whole - 1)) {
            store.countReadFromHand();
            return;
        }
        if (cachedDescendants && deltas > 1) {
            ChunkAtHand cached = cachedDescendant(store, top.entry().id());
            if (cached != null && fromHand(store, chain, dst, n, ws, cached, deltas - 1)) {
                store.countReadFromCachedDescendant();
                return;
            }
        }
        // in a process that reads again: it is likely stepping back through the versions below (over a file at hand, or
        // loading tensors commit after commit: without the kept versions, 32 BF16 loads at once 283-297 MB/s); with no
        // file at hand, from which a step back would undo an XOR delta, those below XOR deltas too
        decodeChain(chain.links(), chain.cachedBase(), dst, n, ws, false, store.keepsChunksAlong() ? recent : null, 0, at == null);
        rememberDecoded(store, top, chain, dst, n);
    }

    /** What a read ahead did with a chunk ({@link #readAhead}). */
    enum Ahead {
        /** Decoded, and held among the recent chunks. */
        HELD,
        /** Not decoded: held already, or cheap to read when asked. */
        NOT_NEEDED,
        /** Not decoded: no room to hold it (nor, likely, the chunks after it). */
        NO_ROOM
    }

    /**
     * For a reader stepping back ({@link VersionsAhead}): decodes {@code top} into {@code buf}
     * and holds it among the recent chunks {@code rank} versions below the one read, with the
     * versions below it whose next delta cannot be undone (ranked farther), unless reading it when
     * asked is cheap ({@link #heldOrCheap}, or its chain decodes one link: a keyframe, or a delta
     * on a version held), or there is no room to hold it (nor, for a version farther back than the
     * next, {@code rank > 1}, them all).
     */
    static Ahead readAhead(ObjectStore store, ObjectStore.Found top, ObjectId besideAtHand, int rank, byte[] buf, CodecWorkspace ws)
            throws IOException {
        RecentChunks recent = store.recentChunks();
        int n = (int) top.entry().rawLength();
        if (heldOrCheap(store, top.entry().id(), besideAtHand)) {
            return Ahead.NOT_NEEDED;
        }
        if (!recent.hasRoomAlong(n, rank)) {
            return Ahead.NO_ROOM;
        }
        if (fromCache(store, top, buf, n, false)) {
            return Ahead.NOT_NEEDED;
        }
        Chain chain = collect(store, top, recent, ws, true, false);
        if (chain.links().size() <= 1) {
            return Ahead.NOT_NEEDED;
        }
        boolean all = besideAtHand == null; // no file at hand: nothing to undo an XOR delta from either
        // a version farther back than the next waits for room for the versions below it too, which the steps to them would
        // decode again (the next step back may free it); the next version is read ahead whatever of those fits
        if (rank > 1 && !recent.hasRoomAlong(n, 1 + (all ? chain.links().size() - 1 : keptBelow(chain)), rank)) {
            return Ahead.NO_ROOM;
        }
        decodeChain(chain.links(), chain.cachedBase(), buf, n, ws, false, recent, rank, all);
        return recent.putAlong(top.entry().id(), n, rank, a -> System.arraycopy(buf, 0, a, 0, n)) ? Ahead.HELD : Ahead.NO_ROOM;
    }

    /**
     * Whether a read of chunk {@code id} over chunk {@code besideAtHand} (null: none) at hand is
     * cheap: {@code id} is held among the recent chunks, is that chunk, that chunk is one XOR
     * delta above it (undone from it), or it decodes in one link (a keyframe, or a delta on a
     * version held). A chunk not stored counts as cheap (there is nothing to read ahead).
     */
    static boolean heldOrCheap(ObjectStore store, ObjectId id, ObjectId besideAtHand) throws IOException {
        RecentChunks recent = store.recentChunks();
        if (recent.contains(id) || id.equals(besideAtHand) || undoesTo(store, besideAtHand, id)) {
            return true;
        }
        ObjectStore.Found f = store.find(id);
        if (f == null || f.entry().codec() != StoredForm.DELTA.code) {
            return true;
        }
        return f.entry().storedLength() >= StoredForm.DELTA_PREFIX_BYTES && recent.contains(position(f).base());
    }

    /** How many versions below its top a decode of {@code chain} keeps along ({@link #decodeChain}): those under a delta that is not XOR. */
    private static int keptBelow(Chain chain) throws IOException {
        int kept = 0;
        List<Link> links = chain.links();
        for (int i = 0; i + 1 < links.size(); i++) {
            byte[] head = deltaHead(links.get(i).found());
            if (head == null || !isXor(head)) {
                kept++;
            }
        }
        return kept;
    }

    /** Whether chunk {@code above} (null: none) is an XOR delta on {@code base}: one delta undone from it gives that. */
    private static boolean undoesTo(ObjectStore store, ObjectId above, ObjectId base) throws IOException {
        byte[] head = above == null ? null : deltaHead(store.find(above));
        return head != null && ofPrefix(head).base().equals(base) && isXor(head);
    }

    /** A stored delta's prefix and the first byte of its payload (its codec); null if {@code f} is null or no delta with a payload. */
    private static byte[] deltaHead(ObjectStore.Found f) throws IOException {
        if (f == null || f.entry().codec() != StoredForm.DELTA.code || f.entry().storedLength() <= StoredForm.DELTA_PREFIX_BYTES) {
            return null;
        }
        return f.pack().readPayloadPrefix(f.entry(), StoredForm.DELTA_PREFIX_BYTES + 1);
    }

    /** Whether a delta whose head {@link #deltaHead} gave is an XOR delta. */
    private static boolean isXor(byte[] head) {
        return (head[StoredForm.DELTA_PREFIX_BYTES] & 0xFF) == ChunkCodec.XOR_PLANES.id();
    }

    /** The nearest newer version of chunk {@code id} in the chunk cache, as a chunk at hand; null when there is none. */
    private static ChunkAtHand cachedDescendant(ObjectStore store, ObjectId id) {
        ChunkCache cache = store.chunkCache();
        if (cache == null) {
            return null;
        }
        CachedDescendants.Descendant d = cache.descendantOf(id, c -> {
            ObjectStore.Found f = store.find(c);
            return f == null ? null : position(f).base();
        });
        return d == null ? null : new ChunkAtHand.InCache(d.id(), cache, id);
    }

    /**
     * What decoding a keyframe costs, in deltas. It was 3 (a keyframe of 84 MB ~90 ms against ~20
     * ms a link, export of a chain, 2 cores); measured again 2026-12-06 (84 MB, warm, medians of
     * 8, checkouts from the file of another commit of an 8-step run), a keyframe decodes in about
     * a link's time, and with 3 two or three deltas undone from the file lost to the keyframe and
     * a delta: 98 → 77 ms (two undone), 140 → 87 (three), the keyframe itself from a file two
     * deltas above it 106 → 56; no case slower.
     */
    static final int KEYFRAME_COST = 1;

    /**
     * Reads the chunk at the top of {@code x} from the chunk at hand when that decodes fewer
     * deltas. Forward, when the chunk at hand is on {@code x}'s chain below the top: the deltas
     * above it apply to its bytes. Otherwise through the first chunk both chains share: the chunk
     * at hand's deltas down to it undone (XOR deltas whose contexts allow it,
     * {@link ChunkDecoder#undoInPlaneSpace}), then {@code x}'s deltas above it applied; so going
     * back a step decodes one delta. Returns false ({@code dst} may hold anything then) when the
     * chains share no chunk, that way decodes more than {@code mostDeltas} deltas, the chunk at
     * hand is the keyframe itself (which skips nothing: 84 MB one delta above the keyframe, as
     * {@code ./coral} runs it, 0.57 s from the chain against 0.63 from the keyframe's file), a
     * delta to undo cannot be undone, or the chunk at hand cannot be read. A file at hand may
     * decode fewer than the chain's deltas plus {@link #KEYFRAME_COST}; a cached descendant, which
     * is read from the cache first, fewer than the chain's deltas (84 MB with no file at hand,
     * medians of 6: the keyframe and 3 deltas 116 ms, 3 deltas undone from the cache 122 ms; 2
     * deltas undone 104 ms against the keyframe and 4 deltas 141 ms).
     */
    private static boolean fromHand(ObjectStore store, Chain x, byte[] dst, int n, CodecWorkspace ws, ChunkAtHand at, int mostDeltas)
            throws IOException {
        List<Link> xs = x.links();
        int below = 1;
        while (below < xs.size() && !xs.get(below).found().entry().id().equals(at.id())) {
            below++;
        }
        if (below < xs.size()) {
            if (below == xs.size() - 1 && x.cachedBase() == null || below > mostDeltas) {
                return false; // the keyframe itself: reading it costs about what decoding it does
            }
            byte[] base = ws.handBuffer(n);
            if (!at.read(base, n)) {
                return false;
            }
            decodeChain(xs.subList(0, below), base, dst, n, ws, false, null, 0, false);
            return true;
        }
        ObjectStore.Found y = store.find(at.id());
        if (y == null || y.entry().rawLength() != n) {
            return false;
        }
        List<Link> ys = collect(store, y, store.recentChunks(), ws, false, false).links();
        Map<ObjectId, Integer> onY = new HashMap<>();
        for (int k = 0; k < ys.size(); k++) {
            onY.put(ys.get(k).found().entry().id(), k);
        }
        int lx = 0;
        while (lx < xs.size() && !onY.containsKey(xs.get(lx).found().entry().id())) {
            lx++;
        }
        if (lx == xs.size()) {
            return false;
        }
        int ly = onY.get(xs.get(lx).found().entry().id());
        if (lx + ly > mostDeltas) {
            return false;
        }
        return undoThenApply(ys.subList(0, ly), xs.subList(0, lx), dst, n, ws, at);
    }

    /**
     * From the chunk at hand, undoes {@code undone} (top first), then applies {@code applied}
     * (top first, applied bottom up) into {@code dst}. One delta is undone on the raw bytes
     * ({@link ChunkDecoder#undo}), into {@code dst} itself when nothing is applied; several in
     * plane space. False when a delta cannot be undone, or the file at hand is short; {@code dst}
     * may then hold anything (the caller decodes the chunk into it whole).
     */
    private static boolean undoThenApply(List<Link> undone, List<Link> applied, byte[] dst, int n, CodecWorkspace ws, ChunkAtHand at)
            throws IOException {
        ObjectStore.Found top = undone.get(0).found();
        byte[] head = top.pack().readPayloadPrefix(top.entry(), Math.min(top.entry().storedLength(), StoredForm.DELTA_PREFIX_BYTES + 1));
        if (head.length <= StoredForm.DELTA_PREFIX_BYTES || (head[StoredForm.DELTA_PREFIX_BYTES] & 0xFF) != ChunkCodec.XOR_PLANES.id()) {
            return false; // (a zigzag delta, as BF16's are, cannot be undone: known from one small read, not the whole payload's)
        }
        Payload first = payload(undone.get(0), ws);
        int w = ChunkDecoder.planeSpaceWidth(first.buf(), first.from(), first.length(), true);
        if (w <= 0 || n % w != 0 || !ChunkDecoder.canUndoInPlaneSpace(first.buf(), first.from(), first.length(), w, true)) {
            return false; // before the chunk at hand is read
        }
        byte[] raw = applied.isEmpty() && undone.size() == 1 ? dst : ws.handBuffer(n);
        if (!at.read(raw, n)) {
            return false;
        }
        if (undone.size() == 1) {
            ChunkDecoder.undo(first.buf(), first.from(), first.length(), raw, 0, raw, 0, n, w, ws, true); // (checked above: undoable)
            if (!applied.isEmpty()) {
                decodeChain(applied, raw, dst, n, ws, false, null, 0, false);
            }
            return true;
        }
        byte[] planes = ws.chainPlanes(n);
        ChunkDecoder.splitPlanes(raw, n, w, planes);
        for (int k = 0; k < undone.size(); k++) {
            Payload d = k == 0 ? first : payload(undone.get(k), ws);
            if (!ChunkDecoder.undoInPlaneSpace(d.buf(), d.from(), d.length(), n, w, planes, ws, true)) {
                return false;
            }
        }
        if (applied.isEmpty()) {
            ChunkDecoder.mergePlanes(planes, n, w, dst);
        } else {
            ChunkDecoder.mergePlanes(planes, n, w, raw); // the shared chunk's bytes: the base of what is applied
            decodeChain(applied, raw, dst, n, ws, false, null, 0, false);
        }
        return true;
    }

    /**
     * Decodes a chunk to serve as a delta base. When its whole chain is byte planes of one width
     * (PLANES, then XOR_PLANES), the planes are left unmerged in the workspace's chain buffer
     * ({@link CodecWorkspace#chainPlanes}): the encoder XORs them with the new chunk's planes and
     * the merge is never done. Otherwise the raw bytes go to {@code buffer}; held in the recent
     * chunks, they are served in the array that held them when it is as long as the buffer's,
     * which {@code buffer} then takes in exchange for its own ({@link RecentChunks#exchange}: a 4
     * MiB copy per chunk of a training step spared); with {@code keepForLater} (a later version's
     * base too) they are copied and stay held. The result is valid until the workspace
     * decodes again, or {@code buffer} is reused.
     */
    static ChunkBase readBase(ObjectStore store, ObjectStore.Found top, boolean keepForLater, BaseBuffer buffer, CodecWorkspace ws)
            throws IOException {
        RecentChunks recent = store.recentChunks();
        int n = (int) top.entry().rawLength();
        byte[] rawBuffer = buffer.ofAtLeast(n);
        byte[] held = recent.exchange(top.entry().id(), rawBuffer, keepForLater);
        if (held != null) {
            buffer.replaceWith(held);
            return ChunkBase.ofRaw(held, 0, n);
        }
        if (fromCache(store, top, rawBuffer, n, true)) {
            return ChunkBase.ofRaw(rawBuffer, 0, n);
        }
        Chain chain = collect(store, top, recent, ws, true, true);
        int w = decodeChain(chain.links(), chain.cachedBase(), rawBuffer, n, ws, true, null, 0, false);
        if (w > 0) {
            return ChunkBase.ofPlanes(ws.chainPlanes(n), w, n);
        }
        // not kept: the chunk encoded against it takes its place as the next version's base
        return ChunkBase.ofRaw(rawBuffer, 0, n);
    }

    /**
     * Reads a delta-encoded chunk from the store's {@link ChunkCache}; false when it is not there
     * (or damaged). {@code verifyId} for a delta base (see {@link ChunkCache#read}).
     */
    private static boolean fromCache(ObjectStore store, ObjectStore.Found top, byte[] dst, int n, boolean verifyId) {
        ChunkCache cache = store.chunkCache();
        return cache != null && top.entry().codec() == StoredForm.DELTA.code && cache.read(top.entry().id(), dst, n, verifyId);
    }

    private static void rememberDecoded(ObjectStore store, ObjectStore.Found top, Chain chain, byte[] raw, int n) {
        if (store.keepsNewChunks() && (chain.links().size() > 1 || chain.cachedBase() != null)) {
            store.recentChunks().put(top.entry().id(), raw, 0, n, false); // a delta's raw bytes: the next version's likely base
        }
    }

    /**
     * The links from {@code top} down to its keyframe; with {@code toRecent}, only down to the
     * first chunk below it that the recent chunks hold (copied out as the chain's base), which
     * {@code letGo} releases (a delta base for the next version: that version takes its place).
     * A plain read keeps it: a reader stepping back finds the version it started from there next
     * (each step back had decoded a delta from the version below, taken and released the step before).
     */
    private static Chain collect(ObjectStore store, ObjectStore.Found top, RecentChunks recent, CodecWorkspace ws, boolean toRecent,
                                 boolean letGo) throws IOException {
        List<Link> chain = new ArrayList<>();
        ObjectStore.Found cur = top;
        byte[] cachedBase = null;
        while (true) {
            String what = what(cur);
            StoredForm form = StoredForm.of(cur.entry().codec(), what);
            if (toRecent && cur != top && recent.contains(cur.entry().id())) {
                cachedBase = ws.heldBaseBuffer((int) cur.entry().rawLength());
                if (letGo ? recent.copyTo(cur.entry().id(), cachedBase) : recent.peek(cur.entry().id(), cachedBase)) {
                    break; // decoded lately: the chain below it need not be read
                }
                cachedBase = null;
            }
            if (form != StoredForm.DELTA) {
                chain.add(new Link(cur, null));
                break;
            }
            if (cur.entry().storedLength() < StoredForm.DELTA_PREFIX_BYTES) {
                throw new CorruptObjectException(what + ": delta payload too short");
            }
            ObjectId base = position(cur).base(); // the prefix alone, unchecked: payload() checks it before decoding
            chain.add(new Link(cur, base));
            if (chain.size() > MAX_CHAIN) {
                throw new CorruptObjectException(what + ": delta chain longer than " + MAX_CHAIN + " (a cycle?)");
            }
            ObjectStore.Found next = store.find(base);
            if (next == null) {
                throw new CorruptObjectException(what + ": its delta base " + base.hex() + " is missing");
            }
            if (next.entry().rawLength() != cur.entry().rawLength()) {
                throw new CorruptObjectException(what + ": its delta base " + base.hex() + " has another length");
            }
            cur = next;
        }
        return new Chain(chain, cachedBase);
    }

    /**
     * Decodes the chain bottom-up into {@code dst}. While the keyframe and the deltas above it
     * are byte planes (PLANES, then XOR_PLANES or ZIGZAG_PLANES of the same width, up to 8
     * bytes), the work stays in plane space: each XOR link's planes are XORed into one buffer,
     * each zigzag link's added to it ({@link ChunkDecoder#decodeInPlaneSpace}), and the buffer is
     * merged into elements once at the end. Any other link (SUB_PLANES, another width, a legacy
     * form) merges and goes on link by link through raw bytes. With {@code keepPlanes}, planes
     * still unmerged at the end of a chain of XOR links only stay in
     * {@link CodecWorkspace#chainPlanes} and their width is returned (dst untouched); otherwise
     * (a zigzag link, whose next version is likely one too and wants raw elements, or when the
     * chain left plane space) dst holds the chunk and the result is -1. From raw bytes (a recent
     * chunk's, or a chunk at hand), the work enters plane space when at least two links are left
     * to apply. With {@code along} (null: none), each version below the top whose next delta
     * cannot be undone (a zigzag delta: a step back from the version above cannot reach it) is
     * held there as it is passed ({@link RecentChunks#putAlong}), merged from the planes, ranked
     * by how far below the top it is plus {@code rankBelow} (0; the top's rank when the top is
     * itself below the version read, {@link #readAhead}); with {@code alongAll}, every version
     * below the top (a reader with no file at hand, from which a step back would undo a delta).
     */
    private static int decodeChain(List<Link> chain, byte[] cachedBase, byte[] dst, int n, CodecWorkspace ws, boolean keepPlanes,
                                   RecentChunks along, int rankBelow, boolean alongAll) throws IOException {
        int i;
        byte[] planes = null;
        int w = -1;
        boolean onlyXor = true; // planes kept for a base only then: the encoder XORs them; a zigzag delta wants raw elements
        byte[] cur = null;
        byte[] spare = null;
        if (cachedBase != null) {
            cur = cachedBase;
            i = chain.size() - 1;
        } else {
            Link key = chain.get(chain.size() - 1);
            Payload kp = payload(key, ws);
            i = chain.size() - 2;
            boolean frame = key.found().entry().codec() == StoredForm.FRAME.code;
            w = frame && (i >= 0 || keepPlanes) ? ChunkDecoder.planeSpaceWidth(kp.buf(), kp.from(), kp.length(), false) : -1;
            if (w > 0) {
                planes = ws.chainPlanes(n);
                ChunkDecoder.decodeInPlaneSpace(kp.buf(), kp.from(), kp.length(), n, w, planes, ws, true);
            } else {
                cur = i < 0 ? dst : new byte[n];
                decodeKeyframe(key, kp, cur, ws);
            }
        }
        for (; i >= 0; i--) {
            Payload l = payload(chain.get(i), ws);
            int len = l.length();
            int lw = ChunkDecoder.planeSpaceWidth(l.buf(), l.from(), len, true);
            if (planes == null && cur != null && lw > 0 && i >= 1 && n % lw == 0) {
                w = lw;
                planes = ws.chainPlanes(n);
                ChunkDecoder.splitPlanes(cur, n, w, planes);
            }
            boolean keepBelow = along != null && i + 1 < chain.size()
                    && (alongAll || !ChunkDecoder.canUndoInPlaneSpace(l.buf(), l.from(), len, lw, true));
            if (planes != null && lw == w) {
                if (keepBelow) {
                    byte[] p = planes;
                    int pw = w;
                    along.putAlong(chain.get(i + 1).found().entry().id(), n, i + 1 + rankBelow, a -> ChunkDecoder.mergePlanes(p, n, pw, a));
                }
                onlyXor &= (l.buf()[l.from()] & 0xFF) == ChunkCodec.XOR_PLANES.id();
                ChunkDecoder.decodeInPlaneSpace(l.buf(), l.from(), len, n, w, planes, ws, true);
                continue;
            }
            if (planes != null) {
                cur = new byte[n];
                ChunkDecoder.mergePlanes(planes, n, w, cur);
                planes = null;
            }
            if (keepBelow) {
                byte[] c = cur;
                along.putAlong(chain.get(i + 1).found().entry().id(), n, i + 1 + rankBelow, a -> System.arraycopy(c, 0, a, 0, n));
            }
            byte[] out;
            if (i == 0) {
                out = dst;
            } else {
                out = spare != null && spare != cur ? spare : new byte[n];
            }
            ChunkDecoder.decode(l.buf(), l.from(), len, cur, 0, out, 0, n, 0, ws, true);
            spare = cur == cachedBase ? null : cur;
            cur = out;
        }
        if (planes != null) {
            if (keepPlanes && onlyXor) {
                return w;
            }
            ChunkDecoder.mergePlanes(planes, n, w, dst);
        }
        return -1;
    }

    private static void decodeKeyframe(Link key, Payload l, byte[] dst, CodecWorkspace ws) throws IOException {
        PackIndex.Entry e = key.found().entry();
        String what = key.what();
        int n = (int) e.rawLength();
        switch (StoredForm.of(e.codec(), what)) {
            case RAW, ZSTD -> ChunkCodec.byId(e.codec()).decode(Arrays.copyOfRange(l.buf(), l.from(), l.end()), l.length(), dst, n, what);
            case FRAME -> ChunkDecoder.decode(l.buf(), l.from(), l.length(), null, 0, dst, 0, n, 0, ws, true);
            default -> throw new IllegalStateException("keyframe of form " + e.codec());
        }
    }

    /** Where a stored chunk sits in its delta chain. */
    record Position(int depth, int seq, ObjectId base) {
        static final Position KEYFRAME = new Position(0, 0, null);
    }

    /** The chain position of a stored chunk: {@link Position#KEYFRAME} unless it is a delta. */
    static Position position(ObjectStore.Found f) throws IOException {
        if (f.entry().codec() != StoredForm.DELTA.code) {
            return Position.KEYFRAME;
        }
        return ofPrefix(f.pack().readPayloadPrefix(f.entry(), StoredForm.DELTA_PREFIX_BYTES));
    }

    /** The chain position a delta's prefix records: base id, depth byte, sequence number. */
    static Position ofPrefix(byte[] p) {
        int seq = java.nio.ByteBuffer.wrap(p, ObjectId.BYTES + 1, 4).getInt();
        return new Position(p[ObjectId.BYTES] & 0xFF, seq, ObjectId.fromBytes(p, 0));
    }

    /** The chain depth of a stored chunk: 0 for a keyframe. */
    static int depth(ObjectStore.Found f) throws IOException {
        return position(f).depth();
    }
}
