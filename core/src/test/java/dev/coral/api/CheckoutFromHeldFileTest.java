package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.codec.CodecWorkspace;
import dev.coral.format.TensorSource;
import dev.coral.repo.ChunkRef;
import dev.coral.repo.RepositoryConfig;
import dev.coral.repo.StoredTensor;
import dev.coral.store.ChunkAtHand;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectStore;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkout reads each chunk from the file it replaces, when the index says that file holds a
 * committed version: a chunk that file holds unchanged is copied; one whose delta chain runs
 * through that file's chunk decodes only the deltas above it; one above the first chunk both
 * chains share has the file's deltas down to it undone (XOR deltas are their own inverse, and
 * pair-aligned context groups leave their contexts to be found from the chunk they made), then
 * its own applied. Going a few training steps either way decodes the steps between, not every
 * chunk's chain from its keyframe. Whatever the path, the file written is the version asked for,
 * bit for bit; a file changed within its time stamp is not trusted (the file's check fails and
 * it is restored from the store alone).
 */
class CheckoutFromHeldFileTest {
    private static final int VERSIONS = 14;
    private static final int ELEMENTS = 16_384;

    @TempDir
    Path dir;
    private Path model;
    private final List<ObjectId> commits = new ArrayList<>();
    private final List<byte[]> files = new ArrayList<>();

    /**
     * Fourteen training steps of one model, committed one by one into a repository of 8 KiB chunks
     * (so each tensor has several): a weight matrix taking small steps (XOR deltas), as F64 too and as
     * BF16 (zigzag deltas, which a checkout applies from the file forward but does not undo), a step
     * counter (an integer delta), and a frozen embedding (the same chunks every step).
     */
    @BeforeEach
    void history() throws IOException {
        model = dir.resolve(fileName());
        Random r = new Random(7);
        float[] w = new float[ELEMENTS];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() * 0.05);
        }
        float[] frozen = new float[ELEMENTS / 4];
        for (int i = 0; i < frozen.length; i++) {
            frozen[i] = (float) r.nextGaussian();
        }
        RepositoryConfig config = RepositoryConfig.defaults().withChunkBytes(8 << 10).withCacheBytes(0);
        try (Repository repo = Repository.init(dir, config)) {
            for (int v = 0; v < VERSIONS; v++) {
                for (int i = 0; i < w.length; i++) {
                    w[i] -= (float) (1e-4 * r.nextGaussian());
                }
                long[] counter = new long[ELEMENTS / 8];
                for (int i = 0; i < counter.length; i++) {
                    counter[i] = 1000L * i + v;
                }
                List<TensorSource> tensors = new ArrayList<>(List.of(floats("embed.weight", frozen), floats("dense.weight", w),
                        longs("step", counter), doubles("norm.weight", w)));
                if (holdsBf16()) {
                    tensors.add(3, bf16("head.weight", w));
                }
                writeModel(model, tensors);
                files.add(Files.readAllBytes(model));
                commits.add(repo.commit(CommitRequest.of("step " + v), List.of(model)));
            }
        }
    }

    @Test
    void goingAFewStepsEitherWayDecodesOnlyTheStepsBetween() throws IOException {
        int all = chunksOf("embed.weight") + chunksOf("dense.weight") + chunksOf("step") + chunksOf("head.weight")
                + chunksOf("norm.weight");
        int undoable = all - chunksOf("head.weight"); // BF16 steps are zigzag deltas: not undone
        assertEquals(undoable, readsFromHand(VERSIONS - 4), "back to HEAD~3: every XOR-delta chunk from HEAD's file, its deltas undone");
        assertEquals(all, readsFromHand(VERSIONS - 1), "forward to HEAD: every chunk from HEAD~3's");
        assertEquals(chunksOf("embed.weight"), readsFromHand(VERSIONS - 5),
                "back to HEAD~4: four deltas to undo cost more than its chain of two and a keyframe: from the store, but for the unchanged chunks");
        assertEquals(all, readsFromHand(VERSIONS - 4), "on to HEAD~3 from HEAD~4's file: one delta applied");
        readsFromHand(VERSIONS - 1);
        assertEquals(chunksOf("embed.weight"), readsFromHand(VERSIONS - 7),
                "back to HEAD~6, whose chain shares only the keyframe with HEAD's: from the store, but for the unchanged chunks");
    }

    /** Where files are fsynced (checkout.fsync, or no boot id), the chunks are written by one thread, read from the file all the same. */
    @Test
    void fsyncedCheckoutsReadFromTheFileToo() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            repo.setConfig("checkout.fsync", "true");
        }
        assertEquals(chunksOf("embed.weight") + chunksOf("dense.weight") + chunksOf("step") + chunksOf("norm.weight"),
                readsFromHand(VERSIONS - 4), "back to HEAD~3, fsynced (the BF16 tensor's zigzag deltas are not undone)");
    }

    @Test
    void everyCheckoutIsBitExactWhateverTheFileAtHand() throws IOException {
        long seed = new Random().nextLong();
        Random r = new Random(seed);
        long fromHand = 0;
        int at = VERSIONS - 1;
        for (int k = 0; k < 30; k++) {
            int to = r.nextInt(VERSIONS);
            fromHand += readsFromHand(to);
            assertArrayEquals(files.get(to), Files.readAllBytes(model), "seed " + seed + ": version " + to + " after " + at);
            at = to;
        }
        assertTrue(fromHand > 0, "seed " + seed + ": some chunks started from the file at hand");
    }

    @Test
    void aFileChangedWithinItsTimeStampIsNotTrusted() throws IOException {
        readsFromHand(VERSIONS - 1);
        TestModels.editKeepingSizeAndTime(model);
        try (Repository repo = Repository.open(dir)) {
            repo.checkout(commits.get(VERSIONS - 4).hex(), true);
        }
        assertArrayEquals(files.get(VERSIONS - 4), Files.readAllBytes(model));
        try (Repository repo = Repository.open(dir)) {
            assertTrue(repo.status().isClean(), "the index holds the file written");
        }
    }

    @Test
    void checkoutOfPathsAndRestoreStartFromTheFileToo() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            long before = repo.graph().store().readsFromHand();
            repo.checkoutPaths(commits.get(VERSIONS - 5).hex(), List.of(model));
            assertArrayEquals(files.get(VERSIONS - 5), Files.readAllBytes(model));
            long afterPaths = repo.graph().store().readsFromHand();
            assertTrue(afterPaths > before, "checkout -- PATH");
            repo.restoreWorkTree(List.of(model), commits.get(VERSIONS - 2).hex(), false);
            assertArrayEquals(files.get(VERSIONS - 2), Files.readAllBytes(model));
            assertTrue(repo.graph().store().readsFromHand() - afterPaths > chunksOf("embed.weight"), "restore --source");
        }
    }

    /**
     * Every chunk of every version read from the same chunk of every other version at hand, with
     * nothing checking the result on the way (no SHA-256, no file CRC to fall back on): each comes
     * out as its id says, and the chunk at hand served where it is on the chain.
     */
    @Test
    void everyChunkReadFromAnyOtherVersionAtHandIsExact() throws IOException {
        Path held = dir.resolve("held.bin");
        try (Repository repo = Repository.open(dir); CodecWorkspace ws = new CodecWorkspace()) {
            ObjectStore store = repo.graph().store();
            List<List<ChunkRef>> chunks = new ArrayList<>();
            for (ObjectId c : commits) {
                List<ChunkRef> all = new ArrayList<>();
                for (StoredTensor t : repo.tensors(c.hex(), fileName())) {
                    all.addAll(t.object().chunks());
                }
                chunks.add(all);
            }
            long before = store.readsFromHand();
            for (int y = 0; y < VERSIONS; y++) {
                for (int k = 0; k < chunks.get(y).size(); k++) {
                    ChunkRef at = chunks.get(y).get(k);
                    byte[] raw = new byte[(int) at.rawLength()];
                    store.readChunk(at.id(), raw, true, ws);
                    Files.write(held, raw);
                    try (FileChannel ch = FileChannel.open(held)) {
                        for (int x = 0; x < VERSIONS; x++) {
                            ChunkRef want = chunks.get(x).get(k);
                            byte[] got = new byte[(int) want.rawLength()];
                            store.readChunk(want.id(), got, false, ws, ChunkAtHand.inFile(at.id(), ch, 0));
                            assertEquals(want.id(), ObjectId.hashOf(got), "chunk " + k + " of version " + x + " from version " + y);
                        }
                    }
                }
            }
            assertTrue(store.readsFromHand() - before > VERSIONS * chunks.get(0).size(), "reads started from the chunk at hand");
        }
    }

    /**
     * A version whose tensors were renamed or reshaped shares no chunk place with the file at
     * hand (chunks are matched by tensor name, index and length): what still matches is used,
     * the rest read from the store, and every file comes out as committed either way.
     */
    @Test
    void renamedAndReshapedTensorsAreReadFromTheStore() throws IOException {
        byte[] newest = files.get(VERSIONS - 1);
        float[] grown = new float[ELEMENTS + 1000];
        Random r = new Random(11);
        for (int i = 0; i < grown.length; i++) {
            grown[i] = (float) r.nextGaussian();
        }
        writeModel(model, List.of(floats("dense.kernel", grown), floats("step", new float[] {1, 2, 3})));
        byte[] renamed = Files.readAllBytes(model);
        ObjectId other;
        try (Repository repo = Repository.open(dir)) {
            other = repo.commit(CommitRequest.of("renamed"), List.of(model));
            repo.checkout(commits.get(VERSIONS - 1).hex(), true);
            assertArrayEquals(newest, Files.readAllBytes(model));
            repo.checkout(other.hex(), true);
            assertArrayEquals(renamed, Files.readAllBytes(model));
            repo.checkout(commits.get(VERSIONS - 3).hex(), true);
            assertArrayEquals(files.get(VERSIONS - 3), Files.readAllBytes(model));
        }
    }

    /** The model's file name: its format is the one under test (safetensors here; subclasses for the others). */
    String fileName() {
        return "model.safetensors";
    }

    void writeModel(Path file, List<TensorSource> tensors) throws IOException {
        TestModels.writeSafetensors(file, tensors);
    }

    /** Whether the format holds the BF16 tensor (npy, so npz, has no BF16). */
    boolean holdsBf16() {
        return true;
    }

    /** The chunks of the newest version's tensor {@code name} (0 when it has none). */
    private int chunksOf(String name) throws IOException {
        try (Repository repo = Repository.open(dir)) {
            return repo.tensors(commits.get(VERSIONS - 1).hex(), fileName()).stream().filter(t -> t.name().equals(name))
                    .findFirst().map(t -> t.object().chunks().size()).orElse(0);
        }
    }

    /** Checks out version {@code v} (forced, a fresh handle: nothing decoded in memory) and returns the chunks read from the file at hand. */
    private long readsFromHand(int v) throws IOException {
        try (Repository repo = Repository.open(dir)) {
            LongSupplier reads = repo.graph().store()::readsFromHand;
            long before = reads.getAsLong();
            repo.checkout(commits.get(v).hex(), true);
            assertArrayEquals(files.get(v), Files.readAllBytes(model), "version " + v);
            return reads.getAsLong() - before;
        }
    }

    private static TensorSource floats(String name, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return Tensors.of(name, TensorSpec.of(DType.F32, values.length), b.array());
    }

    /** BF16: the top half of each fp32 value. */
    private static TensorSource bf16(String name, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
        }
        return Tensors.of(name, TensorSpec.of(DType.BF16, values.length), b.array());
    }

    private static TensorSource doubles(String name, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putDouble(v * 1.000001);
        }
        return Tensors.of(name, TensorSpec.of(DType.F64, values.length), b.array());
    }

    private static TensorSource longs(String name, long[] values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return Tensors.of(name, TensorSpec.of(DType.I64, values.length), b.array());
    }
}
