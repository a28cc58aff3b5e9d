package dev.coral.store;

/**
 * Where a stored object lives: the pack (named by its id), the offset of its entry in the pack
 * file, and the length of the entry's stored payload.
 */
public record ObjectLocation(ObjectId pack, long offset, int storedLength) {
}
