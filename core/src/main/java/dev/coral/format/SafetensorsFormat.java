package dev.coral.format;

import dev.coral.error.BadInputException;
import dev.coral.error.CorruptObjectException;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes of JSON header,
 * then the tensors' bytes, which must tile the rest of the file exactly. The restore info is the
 * verbatim 8 + N header bytes, so a restored file is byte-identical.
 */
public final class SafetensorsFormat implements WeightFileFormat {
    @Override
    public String name() {
        return "safetensors";
    }

    @Override
    public List<String> extensions() {
        return List.of("safetensors");
    }

    @Override
    public ParsedWeightFile read(Path file) throws IOException {
        String where = file.toString();
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            long fileSize = ch.size();
            if (fileSize < 8) {
                throw new BadInputException(where + ": file is " + fileSize + " bytes, too short for a safetensors header length");
            }
            byte[] head = readFully(ch, 0, 8, where);
            long n = SafetensorsHeader.headerLength(head);
            if (n < 0 || n > SafetensorsHeader.MAX_HEADER_BYTES) {
                throw new BadInputException(where + ": safetensors header length " + Long.toUnsignedString(n)
                        + " exceeds the limit of " + SafetensorsHeader.MAX_HEADER_BYTES + " bytes");
            }
            if (8 + n > fileSize) {
                throw new BadInputException(where + ": safetensors header length " + n + " runs past the end of the "
                        + fileSize + "-byte file");
            }
            byte[] json = readFully(ch, 8, (int) n, where);
            SafetensorsHeader header = SafetensorsHeader.parse(json, fileSize - 8 - n, where);
            List<TensorSource> tensors = new ArrayList<>();
            for (SafetensorsHeader.Entry e : header.entries()) {
                tensors.add(new ChannelTensorSource(e.name(), e.spec(), ch, 8 + n + e.begin(), false, where));
            }
            byte[] restoreInfo = new byte[(int) (8 + n)];
            System.arraycopy(head, 0, restoreInfo, 0, 8);
            System.arraycopy(json, 0, restoreInfo, 8, (int) n);
            return new ChannelParsedFile(ch, restoreInfo, header.metadata(), tensors);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Reads exactly {@code n} bytes at {@code pos}. */
    static byte[] readFully(FileChannel ch, long pos, int n, String where) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(n);
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos + buf.position());
            if (r < 0) {
                throw new BadInputException(where + ": file ends unexpectedly at byte " + (pos + buf.position()));
            }
        }
        return buf.array();
    }

    @Override
    public void restore(byte[] restoreInfo, List<? extends TensorSource> tensors, OutputStream out) throws IOException {
        checkedHead(restoreInfo, tensors).write(tensors, out, "safetensors restore info");
    }

    /** The restore info (the file's header, as added), then the tensors one after another. */
    @Override
    public Optional<TensorPlacement> placement(byte[] restoreInfo, List<? extends TensorSource> tensors) throws IOException {
        return Optional.of(checkedHead(restoreInfo, tensors));
    }

    /** The restore info (the file's header, as added) before the tensors, once checked against the tensors given. */
    private static TensorPlacement checkedHead(byte[] restoreInfo, List<? extends TensorSource> tensors) throws IOException {
        String where = "safetensors restore info";
        if (restoreInfo.length < 8) {
            throw new CorruptObjectException(where + ": shorter than 8 bytes");
        }
        long n = SafetensorsHeader.headerLength(restoreInfo);
        if (n != restoreInfo.length - 8) {
            throw new CorruptObjectException(where + ": header length " + n + " does not match its " + (restoreInfo.length - 8) + " JSON bytes");
        }
        SafetensorsHeader header;
        try {
            header = SafetensorsHeader.parse(Arrays.copyOfRange(restoreInfo, 8, restoreInfo.length), -1, where);
        } catch (BadInputException e) {
            throw new CorruptObjectException(e.getMessage(), e); // restore info comes from the repository
        }
        List<SafetensorsHeader.Entry> entries = header.entries();
        if (entries.size() != tensors.size()) {
            throw new BadInputException(where + ": header lists " + entries.size() + " tensors but " + tensors.size() + " were given");
        }
        for (int i = 0; i < entries.size(); i++) {
            checkSameBytes(entries.get(i).name(), entries.get(i).spec(), tensors.get(i), where);
        }
        return TensorPlacement.headThen(restoreInfo, tensors);
    }

    /** The given tensor must hold as many bytes as the header's entry at its position. */
    static void checkSameBytes(String name, TensorSpec expected, TensorSource given, String where) throws BadInputException {
        if (expected.byteSize() != given.spec().byteSize()) {
            throw new BadInputException(where + ": tensor '" + name + "' needs " + expected.byteSize()
                    + " bytes but the tensor given ('" + given.name() + "') has " + given.spec().byteSize());
        }
    }

    @Override
    public void write(List<? extends TensorSource> tensors, Map<String, String> metadata, OutputStream out) throws IOException {
        String where = "safetensors export";
        List<SafetensorsHeader.Entry> entries = new ArrayList<>();
        Set<String> names = new HashSet<>();
        long offset = 0;
        for (TensorSource t : tensors) {
            TensorSpec spec = t.spec();
            if (spec.dtype().safetensorsName().isEmpty()) {
                throw new BadInputException(where + ": tensor '" + t.name() + "' has dtype " + spec.dtype()
                        + ", which safetensors cannot hold (export it to npy or npz instead)");
            }
            if (t.name().equals(SafetensorsHeader.METADATA_KEY)) {
                throw new BadInputException(where + ": a tensor cannot be named " + SafetensorsHeader.METADATA_KEY);
            }
            if (!names.add(t.name())) {
                throw new BadInputException(where + ": tensor name '" + t.name() + "' appears twice");
            }
            if (FortranToC.needed(spec)) {
                FortranToC.check(t, where);
            }
            long size = spec.byteSize();
            entries.add(new SafetensorsHeader.Entry(t.name(), new TensorSpec(spec.dtype(), spec.shape(), false), offset, offset + size));
            offset += size;
        }
        out.write(SafetensorsHeader.build(metadata, entries));
        for (TensorSource t : tensors) {
            FortranToC.copyInCOrder(t, out, where);
        }
    }
}
