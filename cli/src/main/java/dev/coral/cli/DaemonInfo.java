package dev.coral.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Where a running {@code coral daemon} listens: the file {@code info} in the daemon's folder, one
 * line "PORT TOKEN PID" (the launcher reads it with bash's {@code read}). The folder is the
 * user's alone (mode 700) and the file too (600): the token is what lets a client in, since any
 * local user can reach a loopback port. Written under a temporary name and renamed, so a reader
 * sees a whole file or none.
 */
record DaemonInfo(int port, String token, long pid) {
    static final String FILE = "info";

    /** A new token: 128 random bits in hex. */
    static String newToken() {
        byte[] b = new byte[16];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** The info in {@code dir}, or null when there is none or it is not such a line (a daemon writing or gone). */
    static DaemonInfo read(Path dir) throws IOException {
        String text;
        try {
            text = Files.readString(dir.resolve(FILE), StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return null;
        } catch (java.nio.charset.MalformedInputException e) {
            return null;
        }
        String[] f = text.strip().split(" ");
        if (f.length != 3 || !f[1].matches("[0-9a-f]{32}")) {
            return null;
        }
        try {
            int port = Integer.parseInt(f[0]);
            long pid = Long.parseLong(f[2]);
            return port > 0 && port < 65536 && pid > 0 ? new DaemonInfo(port, f[1], pid) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Creates {@code dir} for the user alone, or checks that it is a folder no one else can read. */
    static void prepareFolder(Path dir) throws IOException {
        try {
            Files.createDirectories(dir.getParent());
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException(dir + ": not a folder");
            }
        }
        if (!PosixFilePermissions.toString(Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS)).endsWith("------")) {
            throw new IOException(dir + ": other users may read it (chmod 700 it, or remove it)");
        }
    }

    /** Writes this as {@code dir}'s info, replacing any. */
    void write(Path dir) throws IOException {
        Path tmp = dir.resolve(FILE + "." + pid + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, port + " " + token + " " + pid + "\n", StandardCharsets.US_ASCII);
        try {
            Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Removes {@code dir}'s info if it is still this one (a newer daemon may have replaced it). */
    void removeIfOurs(Path dir) throws IOException {
        if (equals(read(dir))) {
            Files.deleteIfExists(dir.resolve(FILE));
        }
    }
}
