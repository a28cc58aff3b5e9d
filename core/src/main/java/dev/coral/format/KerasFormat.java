package dev.coral.format;

import dev.coral.error.BadInputException;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Keras 3's model file ({@code model.save("m.keras")}): a zip of {@code metadata.json},
 * {@code config.json} and the weights as HDF5, {@code model.weights.h5}, a stored (uncompressed)
 * member, as Keras writes it. The weights' numeric datasets are tensors named by their
 * paths in that HDF5 ({@code layers/dense/vars/0}, {@code optimizer/vars/1}), as in an
 * {@code .h5} file ({@link Hdf5Format}); every other byte of the zip (its headers, the JSON
 * members, the HDF5's metadata, assets) is the restore info's skeleton ({@link Hdf5Layout}), so a
 * checkout is byte-identical, the zip's CRC-32 of the weights member included.
 *
 * <p>An export to {@code .keras} is refused: the file needs the model's configuration, which
 * tensors alone do not give (export to HDF5 or safetensors instead).
 */
public final class KerasFormat implements WeightFileFormat {
    /** The weights member, as Keras names it ({@code saving_lib._VARS_FNAME + ".h5"}). */
    static final String WEIGHTS = "model.weights.h5";

    private static final Hdf5Format HDF5 = new Hdf5Format();

    @Override
    public String name() {
        return "keras";
    }

    @Override
    public List<String> extensions() {
        return List.of("keras");
    }

    @Override
    public ParsedWeightFile read(Path file) throws IOException {
        String where = file.toString();
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            ZipLayout.Member weights = weightsMember(file, ch, where);
            long fileSize = ch.size();
            long start = weights.dataStart();
            long size = weights.storedSize();
            if (start < 0 || start > fileSize - size) {
                throw new BadInputException(where + ": its " + WEIGHTS + " member runs past the end of the file");
            }
            Hdf5Datasets.Walk walk = Hdf5Datasets.walk(ch, start, size, where + ": " + WEIGHTS);
            return Hdf5Format.parse(ch, fileSize, start, walk, where);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Where the weights member's data lies, the zip's layout checked through {@code ch} by
     * {@link ZipLayout}; refused unless it is there once, stored.
     */
    private static ZipLayout.Member weightsMember(Path file, FileChannel ch, String where) throws IOException {
        try (ZipFile zip = new ZipFile(file.toFile(), NpzFormat.NAME_CHARSET)) { // names read as Python's zipfile (Keras) reads them
            List<ZipLayout.Member> layout = ZipLayout.check(ch, where, zip.size());
            List<? extends ZipEntry> entries = Collections.list(zip.entries());
            Set<String> seen = new HashSet<>();
            int at = -1;
            for (int i = 0; i < entries.size(); i++) {
                String name = entries.get(i).getName();
                if (!seen.add(name)) {
                    throw new BadInputException(where + ": member '" + name + "' appears twice");
                }
                if (name.equals(WEIGHTS)) {
                    at = i;
                }
            }
            if (at < 0) {
                throw new BadInputException(where + ": no " + WEIGHTS + " member: not a .keras file Keras 3 saved with its weights as HDF5"
                        + " (weights_format='npz' is not read)");
            }
            ZipLayout.Member m = layout.get(at);
            if (m.method() != ZipEntry.STORED) {
                throw new BadInputException(where + ": its " + WEIGHTS + " member is compressed; Coral reads it stored, as Keras writes it");
            }
            return m;
        } catch (ZipException | EOFException e) {
            throw new BadInputException(where + ": not a valid zip (.keras) file: " + NpzFormat.damage(e));
        }
    }

    @Override
    public void restore(byte[] restoreInfo, List<? extends TensorSource> tensors, OutputStream out) throws IOException {
        HDF5.restore(restoreInfo, tensors, out);
    }

    @Override
    public Optional<TensorPlacement> placement(byte[] restoreInfo, List<? extends TensorSource> tensors) throws IOException {
        return HDF5.placement(restoreInfo, tensors);
    }

    @Override
    public void write(List<? extends TensorSource> tensors, Map<String, String> metadata, OutputStream out) throws IOException {
        throw new BadInputException("keras export: a .keras file holds the model's configuration, which its tensors alone do not give;"
                + " export to HDF5 (.h5) or safetensors instead");
    }
}
