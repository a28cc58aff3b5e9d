package dev.coral.perf.stress;

import java.util.Locale;

/** Number formatting for tables: a few significant digits, units spelled out. */
final class Fmt {
    private Fmt() {
    }

    static String f(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return "n/a";
        }
        double a = Math.abs(v);
        if (a >= 100) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (a >= 1) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        return String.format(Locale.ROOT, "%.3g", v);
    }

    static String ratio(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.2fx", v);
    }

    static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    static String mbps(long bytes, double seconds) {
        return f(bytes / 1e6 / seconds) + " MB/s";
    }

    static String ms(double seconds) {
        return f(seconds * 1e3) + " ms";
    }

    static String i(long v) {
        return String.format(Locale.ROOT, "%,d", v);
    }
}
