package dev.coral.api;

import dev.coral.error.BadInputException;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a commit records beyond the staged tree: message, numeric metrics (loss, step, ...), the
 * author (defaults to {@code $CORAL_AUTHOR} or the user name), and an opt-in lossy error bound
 * ({@code ""}: lossless, the default).
 */
public record CommitRequest(String message, SortedMap<String, String> metrics, String author, String lossyEps) {
    public CommitRequest {
        metrics = new TreeMap<>(metrics);
        if (author == null) {
            author = defaultAuthor();
        }
        lossyEps = lossyEps == null ? "" : lossyEps;
    }

    public CommitRequest(String message, SortedMap<String, String> metrics, String author) {
        this(message, metrics, author, "");
    }

    /**
     * This request as a lossy commit: every float tensor with a previous version is stored
     * quantized so that no element differs from what was added by more than {@code eps}.
     */
    public CommitRequest withLossy(String eps) throws BadInputException {
        if (eps == null) {
            throw new BadInputException("--lossy: no error bound (null)");
        }
        if (!DECIMAL.matcher(eps).matches()) { // not Java's grammar: no hex, no 'd' or 'f' suffix, no blanks, as JSON writes numbers
            throw new BadInputException("--lossy=" + eps + ": not a decimal number (write it as 0.001 or 1e-3)");
        }
        double d = Double.parseDouble(eps);
        if (!(d > 0) || Double.isInfinite(d)) {
            throw new BadInputException("--lossy=" + eps + ": the error bound must be a positive, finite number");
        }
        return new CommitRequest(message, metrics, author, eps);
    }

    /** An error bound as commits record it: a JSON number without a sign. */
    private static final java.util.regex.Pattern DECIMAL = java.util.regex.Pattern.compile("(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][-+]?[0-9]+)?");

    public static CommitRequest of(String message) {
        return new CommitRequest(message, new TreeMap<>(), null);
    }

    /** Parses {@code name=number} metric arguments. */
    public static SortedMap<String, String> parseMetrics(Iterable<String> args) throws BadInputException {
        TreeMap<String, String> m = new TreeMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            if (eq <= 0) {
                throw new BadInputException("--metric " + a + ": expected NAME=NUMBER");
            }
            String name = a.substring(0, eq).strip();
            String value = a.substring(eq + 1).strip();
            if (!isMetricValue(value)) {
                throw new BadInputException("--metric " + a + ": '" + value + "' is not a number (a finite decimal such as 0.31, -2 "
                        + "or 1e-3, or nan, inf, -inf)");
            }
            m.put(name, value);
        }
        return m;
    }

    /**
     * Whether {@code v} is a metric value: a decimal in JSON's grammar that a double holds finite
     * (so JSON output writes it as a number every reader takes), or the word nan, inf or -inf (a
     * diverged loss; written as a string). Found by fuzzing: Java's spellings ({@code 0x1p3},
     * {@code 1d}, {@code +1}, {@code Infinity}) were taken and came out as strings, and
     * {@code 1e999} as a number no reader holds.
     */
    static boolean isMetricValue(String v) {
        String word = v.toLowerCase(java.util.Locale.ROOT);
        if (word.equals("nan") || word.equals("inf") || word.equals("-inf")) {
            return true;
        }
        String digits = v.startsWith("-") ? v.substring(1) : v;
        return DECIMAL.matcher(digits).matches() && Double.isFinite(Double.parseDouble(v));
    }

    public CommitRequest withMetrics(Map<String, String> more) {
        TreeMap<String, String> m = new TreeMap<>(metrics);
        m.putAll(more);
        return new CommitRequest(message, m, author, lossyEps);
    }

    static String defaultAuthor() {
        return defaultAuthor(System.getenv());
    }

    /** The author (or tagger) when none is given: {@code CORAL_AUTHOR} of {@code env} when set, else the user's name. */
    public static String defaultAuthor(Map<String, String> env) {
        String a = env.get("CORAL_AUTHOR");
        if (a == null || a.isBlank()) {
            a = System.getProperty("user.name", "unknown");
        }
        return a;
    }
}
