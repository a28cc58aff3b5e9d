package dev.coral.cli;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What a client and {@code coral daemon} say to each other over a loopback TCP connection. Simple
 * enough for bash ({@code printf '%s\0' ... >&3; read -r reply <&3}), which is the client the
 * launcher is.
 *
 * <p>The request: fields each ended by a NUL byte, UTF-8: {@link #MAGIC}, the token, then
 * {@code ping}, {@code status}, {@code stop}, or {@code run} followed by the client's pid, the numbers of its file
 * descriptors the command's standard output and error go to (the launcher's copies of its 1 and 2:
 * while bash's builtin {@code printf ... >&3} writes the request, bash's own descriptor 1 is the
 * connection, and the daemon, already reading, found a socket there: found by the launcher test, one
 * run in four), "1" when its standard input and output are a terminal (else "0"), its
 * {@code CORAL_DEBUG}, the number of arguments and the arguments. A field is at most {@link #MAX_FIELD} bytes, a request at most
 * {@link #MAX_REQUEST}.
 *
 * <p>The replies, lines: {@code pong PID}; {@code status WHAT} (a line for people);
 * {@code stopping PID}; for {@code run}, {@code started}
 * once the command has the client's standard output and error (its output goes there directly,
 * not over the connection), then {@code exit CODE}; or instead of {@code started},
 * {@code fallback WHY} (the client runs the command itself, nothing has happened) or
 * {@code refused WHY} (a wrong token, a malformed request).
 */
final class DaemonProtocol {
    static final String MAGIC = "coral-daemon-1";
    static final int MAX_FIELD = 1 << 20;
    static final int MAX_REQUEST = 16 << 20;

    private DaemonProtocol() {
    }

    /** Reads NUL-ended fields from a request, counting its bytes against {@link #MAX_REQUEST}. */
    static final class FieldReader {
        private final InputStream in;
        private long total;

        FieldReader(InputStream in) {
            this.in = in;
        }

        /** The next field; a malformed request (too long, ended early, not UTF-8) is an IOException saying so. */
        String next(String what) throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (int c; (c = in.read()) != 0; ) {
                if (c < 0) {
                    throw new EOFException("the request ended before its " + what);
                }
                if (b.size() == MAX_FIELD || ++total > MAX_REQUEST) {
                    throw new IOException("the request's " + what + " is too long");
                }
                b.write(c);
            }
            byte[] bytes = b.toByteArray();
            String s = new String(bytes, StandardCharsets.UTF_8);
            if (!java.util.Arrays.equals(s.getBytes(StandardCharsets.UTF_8), bytes)) {
                throw new IOException("the request's " + what + " is not UTF-8");
            }
            return s;
        }

        /** The next field as a count from 0 to {@code max}. */
        long number(String what, long max) throws IOException {
            String s = next(what);
            if (!s.matches("[0-9]{1,18}") || Long.parseLong(s) > max) {
                throw new IOException("the request's " + what + " is not a number from 0 to " + max);
            }
            return Long.parseLong(s);
        }
    }

    /** The request's bytes: each field and a NUL. */
    static byte[] request(List<String> fields) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (String f : fields) {
            b.writeBytes(f.getBytes(StandardCharsets.UTF_8));
            b.write(0);
        }
        return b.toByteArray();
    }

    /** A run request's fields, as the launcher sends them. */
    static List<String> runRequest(String token, long pid, int outFd, int errFd, boolean terminal, String debug, List<String> args) {
        List<String> f = new ArrayList<>(List.of(MAGIC, token, "run", Long.toString(pid), Integer.toString(outFd), Integer.toString(errFd),
                terminal ? "1" : "0", debug, Integer.toString(args.size())));
        f.addAll(args);
        return f;
    }

    /** Sends {@code fields} to the daemon {@code info} names and returns its reply lines until it closes. */
    static List<String> call(DaemonInfo info, List<String> fields, int timeoutMillis) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), info.port()), timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            OutputStream out = s.getOutputStream();
            out.write(request(fields));
            out.flush();
            String text = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return text.isEmpty() ? List.of() : List.of(text.split("\n"));
        }
    }

    /** The daemon's pid if the daemon {@code info} names answers a ping, else -1. */
    static long ping(DaemonInfo info) {
        try {
            List<String> reply = call(info, List.of(MAGIC, info.token(), "ping"), 5000);
            if (reply.size() == 1 && reply.get(0).startsWith("pong ")) {
                return Long.parseLong(reply.get(0).substring(5));
            }
        } catch (IOException | NumberFormatException e) {
            // not there, or not a daemon of ours
        }
        return -1;
    }
}
