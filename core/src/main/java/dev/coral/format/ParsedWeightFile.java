package dev.coral.format;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * A weight file that a {@link WeightFileFormat} has read and validated. Tensors are listed in
 * the order their bytes appear in the file; {@link #restoreInfo()} together with those tensors'
 * bytes, in that order, is all {@link WeightFileFormat#restore} needs to give the file back.
 * Closing releases the file; streams opened from its tensors are invalid afterwards.
 */
public interface ParsedWeightFile extends Closeable {
    /**
     * Format-specific bytes that let the file be rebuilt (e.g. the verbatim safetensors header);
     * made when first asked for where that reads the file again (an npz's deflated members).
     */
    byte[] restoreInfo() throws IOException;

    /**
     * The restore info for this file holding tensors of other values (a lossy commit's, see
     * {@link WeightFileFormat#forOtherValues}), where it can be made without {@link #restoreInfo}'s
     * cost (an npz's member list, without deflating its members again); else {@link #restoreInfo}.
     */
    default byte[] restoreInfoForOtherValues() throws IOException {
        return restoreInfo();
    }

    /**
     * Starts making the restore info on a thread of its own, where that costs a pass over the
     * file (an npz's deflated members), so that it runs while the tensors are stored; a no-op
     * where the restore info is at hand.
     */
    default void prepareRestoreInfo() {
    }

    /** Free string metadata (safetensors {@code __metadata__}); empty where the format has none. */
    Map<String, String> metadata();

    List<TensorSource> tensors();

    /**
     * The datasets the file holds that are not tensors but kept as bytes with the file's layout
     * (HDF5: chunked, compressed, compact, string, compound ones): restored exactly, neither
     * deduplicated nor delta-encoded. Empty where the format keeps none.
     */
    default List<String> keptAsBytes() {
        return List.of();
    }
}
