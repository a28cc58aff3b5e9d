package dev.coral.io;

import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * The words for an I/O failure in a one-line message. java.nio's exceptions carry the path as
 * their message and the reason apart, often none at all (a {@link NoSuchFileException}'s message
 * is only the path, "coral: /w/m.npy" said nothing of what happened to it); java.io's carry the
 * system's words alone. Every message built from such a failure takes its words from here.
 */
public final class FailureWords {
    private FailureWords() {
    }

    /**
     * What happened, without the file: the system's reason ("Is a directory", "No space left on
     * device"), else by the exception's class "no such file or folder", "permission denied", ...,
     * or the message of any other failure (its first line), its class's name when it has none.
     */
    public static String reason(Throwable e) {
        if (e instanceof FileSystemException fs) {
            if (fs.getReason() != null) {
                return firstLine(fs.getReason()); // the system's words; the JDK gives the classes below none
            } else if (e instanceof NoSuchFileException) {
                return "no such file or folder";
            } else if (e instanceof AccessDeniedException) {
                return "permission denied";
            } else if (e instanceof FileAlreadyExistsException) {
                return "already exists";
            } else if (e instanceof NotDirectoryException) {
                return "not a folder";
            } else if (e instanceof DirectoryNotEmptyException) {
                return "folder not empty";
            }
            return e.getClass().getSimpleName();
        }
        String m = firstLine(e.getMessage());
        return m.isEmpty() ? e.getClass().getSimpleName() : m;
    }

    /** "FILE: REASON" for a file-system failure that names its file, else {@link #reason}. */
    public static String describe(Throwable e) {
        if (e instanceof FileSystemException fs && fs.getFile() != null) {
            return fs.getFile() + ": " + reason(e);
        }
        return reason(e);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).strip();
    }
}
