package dev.coral.format;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A parsed single-file format (safetensors, npy, HDF5, .keras) whose tensors read from one open channel. */
final class ChannelParsedFile implements ParsedWeightFile {
    private final FileChannel channel;
    private final byte[] restoreInfo;
    private final Map<String, String> metadata;
    private final List<TensorSource> tensors;
    private final List<String> keptAsBytes;

    ChannelParsedFile(FileChannel channel, byte[] restoreInfo, Map<String, String> metadata, List<TensorSource> tensors) {
        this(channel, restoreInfo, metadata, tensors, List.of());
    }

    ChannelParsedFile(FileChannel channel, byte[] restoreInfo, Map<String, String> metadata, List<TensorSource> tensors,
                      List<String> keptAsBytes) {
        this.channel = channel;
        this.restoreInfo = restoreInfo;
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata)); // keeps file order
        this.tensors = List.copyOf(tensors);
        this.keptAsBytes = List.copyOf(keptAsBytes);
    }

    @Override
    public List<String> keptAsBytes() {
        return keptAsBytes;
    }

    @Override
    public byte[] restoreInfo() {
        return restoreInfo.clone();
    }

    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public List<TensorSource> tensors() {
        return tensors;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
