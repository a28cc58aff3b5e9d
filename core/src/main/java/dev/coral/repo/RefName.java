package dev.coral.repo;

import dev.coral.error.BadInputException;

/** Checks branch and tag names with git's rules (a subset of {@code git check-ref-format}). */
public final class RefName {
    /** Longest part between slashes: each is a file name, and file systems allow 255 bytes. */
    static final int MAX_PART = 200;

    private RefName() {
    }

    public static String check(String kind, String name) throws BadInputException {
        String why = problem(name);
        if (why != null) {
            throw new BadInputException("invalid " + kind + " name '" + name + "': " + why);
        }
        return name;
    }

    private static String problem(String name) {
        if (name.isEmpty()) {
            return "empty";
        }
        if (name.startsWith("-") || name.startsWith(".") || name.startsWith("/")) {
            return "must not start with '-', '.' or '/'";
        }
        if (name.endsWith("/") || name.endsWith(".") || name.endsWith(".lock")) {
            return "must not end with '/', '.' or '.lock'";
        }
        if (name.contains("..") || name.contains("//") || name.contains("/.") || name.contains("@{")) {
            return "must not contain '..', '//', '/.' or '@{'";
        }
        if (name.equals("HEAD") || name.equals("@")) {
            return "reserved";
        }
        if (name.equals(Refs.ORIG_HEAD)) { // a revision resolved before branches and tags: switch -c ORIG_HEAD wrote that commit's files (found by fuzzing against git)
            return "reserved: it names the commit the last reset left";
        }
        for (String part : name.split("/")) {
            if (part.length() > MAX_PART) {
                return "a part of " + part.length() + " characters; at most " + MAX_PART + " (a file name, with room for a temporary one)";
            }
        }
        for (int i = 0; i < name.length(); i += Character.charCount(name.codePointAt(i))) {
            int c = name.codePointAt(i);
            boolean ok = Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '.' || c == '/' || c == '+';
            if (!ok || c > 127) { // named whole, not half a surrogate pair ('?' on output): found by fuzzing
                return "character '" + Character.toString(c) + "' is not allowed";
            }
        }
        return null;
    }
}
