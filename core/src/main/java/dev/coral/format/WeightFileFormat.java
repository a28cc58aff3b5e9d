package dev.coral.format;

import dev.coral.error.BadInputException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A weight-file format: reads and validates files, gives them back from what it read, and
 * writes new files from any tensors. Implementations are stateless and thread-safe.
 */
public interface WeightFileFormat {
    /** Short lower-case name used on the command line and in file entries: {@code safetensors}, {@code npy}, {@code npz}. */
    String name();

    /** File name extensions this format claims, lower case, without the dot. */
    List<String> extensions();

    /**
     * Parses and validates {@code file}. Every rule of the format is checked here, so a file
     * that reads succeeds to stream all of its tensors. Every descriptor the parsed file reads
     * through is opened here, none later by the file's path: an add reads one file, the one at the
     * path when this returned, whatever is renamed over the path afterwards ({@code FileIngest}).
     *
     * @throws BadInputException naming the file and what is wrong with it
     */
    ParsedWeightFile read(Path file) throws IOException;

    /**
     * Writes the file {@link #read} parsed, from its restore info and its tensors' bytes (in the
     * order {@link ParsedWeightFile#tensors()} listed them). Byte-identical where
     * {@link #restoresBytes} says so; else value-identical (names, dtypes, shapes, bits).
     */
    void restore(byte[] restoreInfo, List<? extends TensorSource> tensors, OutputStream out) throws IOException;

    /**
     * Whether {@link #restore} from {@code restoreInfo} (and the tensors read) gives back the file
     * read byte for byte; else value-identical. True for safetensors and npy; for npz, when all
     * its members were stored.
     */
    default boolean restoresBytes(byte[] restoreInfo) {
        return true;
    }

    /**
     * Whether {@link #restoresBytes} is false for some files of this format, so that a checkout
     * may write other bytes than the file added (npz with deflated members): only then is a
     * working file worth comparing with the bytes its file entry records as well.
     */
    default boolean mayRestoreOtherBytes() {
        return false;
    }

    /**
     * Whether reading a file of this restore info again costs far more than hashing it (an npz
     * whose deflated members are deflated again to find their level), so that an unchanged file
     * whose time changed is better compared by content than staged again.
     */
    default boolean readsAgainSlowly(byte[] restoreInfo) {
        return false;
    }

    /**
     * Restore info for the same file holding tensors of other values (of the same dtypes and
     * shapes: a lossy commit's), so that {@link #restore} writes a valid file of them; the
     * restore info itself where it records nothing of the values (the default).
     */
    default byte[] forOtherValues(byte[] restoreInfo) throws IOException {
        return restoreInfo;
    }

    /**
     * When {@link #restore} writes every tensor's bytes exactly as stored, each at its place, and
     * the bytes between them from the restore info alone: where the tensors lie and those bytes,
     * the restore info and tensors checked as {@code restore} checks them. Then a caller may write
     * the tensors itself, at their places (a checkout writes each chunk from the thread that
     * decoded it), and read another version's chunks from a file of it at hand. Empty when the
     * format does anything else (the default; npy or HDF5 data stored big-endian, whose bytes are
     * swapped back).
     */
    default Optional<TensorPlacement> placement(byte[] restoreInfo, List<? extends TensorSource> tensors) throws IOException {
        return Optional.empty();
    }

    /**
     * Writes a new file of this format holding {@code tensors} (export from any format).
     *
     * @throws BadInputException if a tensor cannot be represented (e.g. BF16 in npy), naming it
     */
    void write(List<? extends TensorSource> tensors, Map<String, String> metadata, OutputStream out) throws IOException;
}
