package dev.coral.cli;

/** {@code REV[:PATH]} as {@code show} and {@code export} take it; {@code path} is null without {@code :}. */
record RevPath(String rev, String path) {
    static RevPath parse(String arg) {
        int colon = arg.indexOf(':');
        if (colon < 0) {
            return new RevPath(arg, null);
        }
        String rev = arg.substring(0, colon);
        String path = arg.substring(colon + 1);
        return new RevPath(rev.isEmpty() ? "HEAD" : rev, path.isEmpty() ? null : path);
    }

    @Override
    public String toString() {
        return path == null ? rev : rev + ":" + path;
    }
}
