package dev.coral.store;

import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

/**
 * A child process for {@link ChronicleChunkIndexTest}: {@code kill <cache> <locks> <seed>} opens
 * the index and puts one entry at a time forever, printing each after its put returned, until
 * killed; {@code clean <cache> <locks> <seed>} puts a few entries and closes.
 */
public final class ChronicleChunkIndexChild {
    private ChronicleChunkIndexChild() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path cache = Path.of(args[1]);
        Path locks = Path.of(args[2]);
        Random rnd = new Random(Long.parseLong(args[3]));
        long t0 = System.nanoTime();
        ChronicleChunkIndex index = ChronicleChunkIndex.open(cache, locks, new ChunkIndexFakeTruth());
        System.out.println("OPENED " + index.outcome() + " " + (System.nanoTime() - t0) / 1_000_000);
        System.out.flush();
        int n = mode.equals("kill") ? Integer.MAX_VALUE : 100;
        for (int i = 0; i < n; i++) {
            ObjectId id = ChunkIndexFakeTruth.randomId(rnd);
            ObjectLocation loc = ChunkIndexFakeTruth.randomLocation(rnd);
            index.putAll(Map.of(id, loc));
            System.out.println("PUT " + id.hex() + " " + loc.pack().hex() + " " + loc.offset() + " " + loc.storedLength());
            System.out.flush();
        }
        System.out.flush();
        index.close();
        System.out.println("CLOSED " + index.outcome());
    }
}
