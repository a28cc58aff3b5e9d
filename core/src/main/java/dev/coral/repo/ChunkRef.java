package dev.coral.repo;

import dev.coral.store.ObjectId;

/** One chunk of a tensor: its id and how many raw bytes it holds. */
public record ChunkRef(ObjectId id, long rawLength) {
}
