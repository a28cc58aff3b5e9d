package dev.coral.store;

import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/** A {@link PackedObjects} held in memory, for the chunk index tests. */
final class ChunkIndexFakeTruth implements PackedObjects {
    final Map<ObjectId, ObjectLocation> objects = new ConcurrentHashMap<>();

    @Override
    public void forEachObject(BiConsumer<ObjectId, ObjectLocation> sink) {
        objects.forEach(sink);
    }

    @Override
    public long estimatedObjectCount() {
        return objects.size();
    }

    static ObjectId randomId(Random rnd) {
        byte[] b = new byte[ObjectId.BYTES];
        rnd.nextBytes(b);
        return ObjectId.fromBytes(b);
    }

    static ObjectLocation randomLocation(Random rnd) {
        return new ObjectLocation(randomId(rnd), rnd.nextLong() & Long.MAX_VALUE, rnd.nextInt(1 << 30));
    }

    /** Adds {@code n} random objects. */
    ChunkIndexFakeTruth fill(Random rnd, int n) {
        for (int i = 0; i < n; i++) {
            objects.put(randomId(rnd), randomLocation(rnd));
        }
        return this;
    }
}
