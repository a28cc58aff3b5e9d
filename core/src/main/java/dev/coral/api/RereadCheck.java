package dev.coral.api;

import dev.coral.error.BadInputException;
import dev.coral.format.Streams;
import dev.coral.format.TensorSource;
import dev.coral.tensor.TensorSpec;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The caller's tensors for {@link Repository#commitTensors}, each complete read checksummed
 * (CRC32C): a checkpoint is read twice, once for the file's size and checksums and once for its
 * chunks, and if two reads of a tensor differ (a training thread wrote the weights meanwhile),
 * the commit fails instead of recording a file whose checkout cannot write it back (found by
 * fuzzing the Java API: such a commit returned normally and fsck called it clean).
 */
final class RereadCheck {
    private final List<Source> sources = new ArrayList<>();

    RereadCheck(List<? extends TensorSource> tensors) {
        for (TensorSource t : tensors) {
            sources.add(new Source(t));
        }
    }

    /** The sources to read: the caller's, checksummed. */
    List<TensorSource> sources() {
        return List.copyOf(sources);
    }

    /** Throws naming the first tensor two of whose complete reads differed. */
    void verify(String path) throws BadInputException {
        for (Source s : sources) {
            if (s.changed()) {
                throw new BadInputException(path + ": tensor '" + s.name() + "' changed while it was being committed (two reads of "
                        + "its bytes differ): nothing was committed; do not write the weights during commitTensors, or use "
                        + "commitTensorsAsync, which copies them first");
            }
        }
    }

    private static final class Source implements TensorSource {
        private final TensorSource t;
        private Long first;
        private boolean changed;

        Source(TensorSource t) {
            this.t = t;
        }

        @Override
        public String name() {
            return t.name();
        }

        @Override
        public TensorSpec spec() {
            return t.spec();
        }

        @Override
        public InputStream openStream() throws IOException {
            return new Checked(Streams.open(t, "commitTensors"), t.spec().byteSize());
        }

        synchronized void completed(long crc) {
            if (first == null) {
                first = crc;
            } else if (first != crc) {
                changed = true;
            }
        }

        synchronized boolean changed() {
            return changed;
        }

        /** Checksums what is read; a read that reaches the tensor's size is recorded. */
        private final class Checked extends FilterInputStream {
            private final CRC32C crc = new CRC32C();
            private final long size;
            private long count;

            Checked(InputStream in, long size) {
                super(in);
                this.size = size;
            }

            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    if (count < size) {
                        crc.update(b);
                    }
                    counted(1);
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0) {
                    crc.update(b, off, (int) Math.min(n, Math.max(0, size - count))); // the tensor's bytes, not what may follow
                    counted(n);
                }
                return n;
            }

            @Override
            public long skip(long n) throws IOException {
                byte[] buf = new byte[(int) Math.min(Math.max(n, 0), 8192)];
                long left = n;
                while (left > 0) {
                    int r = read(buf, 0, (int) Math.min(left, buf.length));
                    if (r < 0) {
                        break;
                    }
                    left -= r;
                }
                return n - Math.max(left, 0);
            }

            @Override
            public boolean markSupported() {
                return false;
            }

            private void counted(int n) {
                long before = count;
                count += n;
                if (before < size && count >= size) {
                    completed(crc.getValue());
                }
            }
        }
    }
}
