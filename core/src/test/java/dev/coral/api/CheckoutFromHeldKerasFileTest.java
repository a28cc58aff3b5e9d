package dev.coral.api;

import dev.coral.format.TensorSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * {@link CheckoutFromHeldFileTest}'s history as Keras 3 {@code .keras} files (a zip whose stored
 * {@code model.weights.h5} member holds the tensors): every version committed and checked out byte
 * for byte, each tensor's chunks placed in the zip and read from the file at hand as for safetensors.
 */
class CheckoutFromHeldKerasFileTest extends CheckoutFromHeldFileTest {
    @Override
    String fileName() {
        return "model.keras";
    }

    @Override
    void writeModel(Path file, List<TensorSource> tensors) throws IOException {
        TestModels.writeKeras(file, tensors);
    }
}
