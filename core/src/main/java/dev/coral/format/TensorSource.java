package dev.coral.format;

import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.InputStream;

/**
 * One tensor as a weight-file format reads or writes it: a name, what its bytes mean, and a way
 * to stream them. The stream yields exactly {@code spec().byteSize()} bytes, little-endian,
 * in the element order the spec gives (C order, or Fortran order when
 * {@code spec().fortranOrder()}). Each call opens a new stream; the caller closes it.
 */
public interface TensorSource {
    String name();

    TensorSpec spec();

    InputStream openStream() throws IOException;
}
