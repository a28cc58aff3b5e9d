package dev.coral.maintenance;

import dev.coral.error.BadInputException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses {@code coral gc --prune=DURATION}: {@code now}, a number and a unit ({@code 90s},
 * {@code 30min}, {@code 12h}, {@code 3d}, {@code 2w}; also git's {@code 2.weeks.ago} and
 * {@code 2 weeks}), or ISO-8601 ({@code PT36H}).
 */
public final class GracePeriod {
    /** git's default prune expiry. */
    public static final Duration DEFAULT = Duration.ofDays(14);

    private static final Pattern AMOUNT = Pattern.compile(
            "(\\d{1,9})[ .]?(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?|w|weeks?)(\\.ago)?");

    private GracePeriod() {
    }

    public static Duration parse(String text) throws BadInputException {
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.equals("now") || s.equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = AMOUNT.matcher(s);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2);
            return switch (unit.charAt(0)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                case 'd' -> Duration.ofDays(n);
                default -> Duration.ofDays(7 * n);
            };
        }
        try {
            Duration d = Duration.parse(text.trim().toUpperCase(Locale.ROOT));
            if (!d.isNegative()) {
                return d;
            }
        } catch (DateTimeParseException e) {
            // fall through
        }
        throw new BadInputException("--prune=" + text + ": not a duration (examples: now, 30min, 12h, 3d, 2w, 2.weeks.ago)");
    }

    /** {@code 2 weeks}, {@code 3 days}, {@code 12 hours}, {@code now}: for messages. */
    public static String describe(Duration d) {
        long s = d.getSeconds();
        if (s == 0) {
            return "now";
        }
        long[] sizes = {7 * 86400, 86400, 3600, 60, 1};
        String[] names = {"week", "day", "hour", "minute", "second"};
        for (int i = 0; i < sizes.length; i++) {
            if (s % sizes[i] == 0) {
                long n = s / sizes[i];
                return n + " " + names[i] + (n == 1 ? "" : "s");
            }
        }
        return s + " seconds";
    }
}
