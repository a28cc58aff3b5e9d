package dev.coral.cli;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** npy files as numpy writes them (format 1.0), for the tests that run the command line on weight files of a given size. */
final class NpyFiles {
    private NpyFiles() {
    }

    /** A one-dimensional little-endian float32 array of {@code values}. */
    static byte[] fp32(float[] values) {
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + values.length + ",), }";
        int padded = (10 + header.length() + 1 + 63) / 64 * 64;
        header = header + " ".repeat(padded - 10 - header.length() - 1) + "\n";
        ByteBuffer b = ByteBuffer.allocate(padded + 4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0).putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.US_ASCII));
        b.asFloatBuffer().put(values);
        return b.array();
    }
}
