package dev.coral.api;

import dev.coral.format.TensorSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * {@link CheckoutFromHeldFileTest}'s history as npz files of stored members ({@code np.savez}'s
 * layout: each member's zip header and npy header before its data), without the BF16 tensor npy
 * cannot hold: a checkout places each tensor's chunks between the zip's other bytes and reads them
 * from the file at hand as it does for safetensors.
 */
class CheckoutFromHeldNpzFileTest extends CheckoutFromHeldFileTest {
    @Override
    String fileName() {
        return "model.npz";
    }

    @Override
    void writeModel(Path file, List<TensorSource> tensors) throws IOException {
        TestModels.writeStoredNpz(file, tensors);
    }

    @Override
    boolean holdsBf16() {
        return false;
    }
}
