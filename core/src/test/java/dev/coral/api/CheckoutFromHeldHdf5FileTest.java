package dev.coral.api;

import dev.coral.format.TensorSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * {@link CheckoutFromHeldFileTest}'s history as HDF5 files (Coral's own writer: each dataset's
 * object header between the datasets' data): a checkout places each tensor's chunks between the
 * file's other bytes and reads them from the file at hand as it does for safetensors.
 */
class CheckoutFromHeldHdf5FileTest extends CheckoutFromHeldFileTest {
    @Override
    String fileName() {
        return "model.h5";
    }

    @Override
    void writeModel(Path file, List<TensorSource> tensors) throws IOException {
        TestModels.writeHdf5(file, tensors);
    }
}
