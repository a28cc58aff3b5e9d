package dev.coral.format;

import dev.coral.error.BadInputException;
import dev.coral.error.CorruptObjectException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * numpy's {@code .npy}: one tensor after a magic, version and Python-dict header. Big-endian data
 * is streamed little-endian and swapped back on restore; the restore info is the verbatim header,
 * so a restored file is byte-identical. An npy file has no names inside, so its tensor is always
 * named {@value #TENSOR_NAME} (stable when the file is renamed).
 */
public final class NpyFormat implements WeightFileFormat {
    /** The name given to an npy file's single tensor. */
    public static final String TENSOR_NAME = "array";

    @Override
    public String name() {
        return "npy";
    }

    @Override
    public List<String> extensions() {
        return List.of("npy");
    }

    @Override
    public ParsedWeightFile read(Path file) throws IOException {
        String where = file.toString();
        FileChannel ch = FileChannel.open(file);
        try {
            long fileSize = ch.size();
            // a fresh stream on a position-independent range, so nothing moves the channel's position
            NpyHeader header = NpyHeader.read(new ChannelRangeInputStream(ch, 0, fileSize, where), where);
            long expected = header.spec().byteSize();
            long actual = fileSize - header.length();
            if (actual < expected) {
                throw new BadInputException(where + ": npy data is truncated: " + actual + " bytes, expected "
                        + expected + " for " + header.spec().dtype() + " " + header.spec().shape());
            }
            if (actual > expected) {
                throw new BadInputException(where + ": " + (actual - expected) + " trailing bytes after the npy data ("
                        + expected + " bytes expected for " + header.spec().dtype() + " " + header.spec().shape() + ")");
            }
            TensorSource t = new ChannelTensorSource(TENSOR_NAME, header.spec(), ch, header.length(), header.bigEndian(), where);
            return new ChannelParsedFile(ch, header.bytes(), Map.of(), List.of(t));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    @Override
    public void restore(byte[] restoreInfo, List<? extends TensorSource> tensors, OutputStream out) throws IOException {
        NpyHeader header = checkedHeader(restoreInfo, tensors);
        out.write(restoreInfo);
        Streams.copyTensor(tensors.get(0), out, null, header.bigEndian(), "npy restore info");
    }

    /** The restore info (the file's header, as added), then the data, when it was stored little-endian as it is; else empty. */
    @Override
    public Optional<TensorPlacement> placement(byte[] restoreInfo, List<? extends TensorSource> tensors) throws IOException {
        NpyHeader header = checkedHeader(restoreInfo, tensors);
        return header.bigEndian() && tensors.get(0).spec().dtype().swapUnitBytes() > 1
                ? Optional.empty() : Optional.of(TensorPlacement.headThen(restoreInfo, tensors));
    }

    private static NpyHeader checkedHeader(byte[] restoreInfo, List<? extends TensorSource> tensors) throws IOException {
        String where = "npy restore info";
        NpyHeader header;
        try {
            header = NpyHeader.parse(restoreInfo, where);
        } catch (BadInputException e) {
            throw new CorruptObjectException(e.getMessage(), e); // restore info comes from the repository
        }
        if (tensors.size() != 1) {
            throw new BadInputException(where + ": an npy file holds one tensor, " + tensors.size() + " were given");
        }
        SafetensorsFormat.checkSameBytes(TENSOR_NAME, header.spec(), tensors.get(0), where);
        return header;
    }

    /** Writes the single tensor as {@code np.save} would; metadata has no place in npy and is dropped. */
    @Override
    public void write(List<? extends TensorSource> tensors, Map<String, String> metadata, OutputStream out) throws IOException {
        String where = "npy export";
        if (tensors.size() != 1) {
            throw new BadInputException(where + ": an npy file holds exactly one tensor, " + tensors.size()
                    + " were given (export to npz or safetensors instead)");
        }
        TensorSource t = tensors.get(0);
        byte[] header = NpyHeader.build(t.name(), t.spec(), where);
        out.write(header);
        Streams.copyTensor(t, out, null, false, where);
    }
}
