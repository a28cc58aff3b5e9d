package dev.coral.cli;

/**
 * The jar's entry point, compiled for Java 8 (its own source folder, {@code src/main/java8}) so
 * that an older JVM can load it: on a Java before 17 it says so in one line and exits 1, where the
 * JVM itself printed two lines about class file versions ({@code UnsupportedClassVersionError:
 * dev/coral/cli/Main has been compiled by a more recent version of the Java Runtime (class file
 * version 61.0), this version of the Java Runtime only recognizes class file versions up to
 * 55.0}); otherwise it runs {@link Main}, which the JVM loads only then.
 */
public final class Start {
    /** The oldest Java Coral runs on. */
    static final int OLDEST = 17;

    private Start() {
    }

    public static void main(String[] args) {
        String refusal = tooOld(System.getProperty("java.specification.version"), System.getProperty("java.home"));
        if (refusal != null) {
            System.err.println(refusal);
            System.exit(1);
        }
        Main.main(args);
    }

    /**
     * The one line that refuses a JVM of specification version {@code spec} ("1.8", "11", "17")
     * at {@code home}, or null when it is {@value #OLDEST} or later (or unreadable: then the JVM
     * says what is wrong, if anything).
     */
    static String tooOld(String spec, String home) {
        if (spec == null) {
            return null;
        }
        String major = spec.startsWith("1.") ? spec.substring(2) : spec;
        int dot = major.indexOf('.');
        if (dot >= 0) {
            major = major.substring(0, dot);
        }
        int feature;
        try {
            feature = Integer.parseInt(major);
        } catch (NumberFormatException e) {
            return null;
        }
        if (feature >= OLDEST) {
            return null;
        }
        return "coral: Java " + feature + (home == null ? "" : " (" + home + ")") + " is too old: Coral needs Java " + OLDEST
                + " or later; set JAVA_HOME to one, or put its bin folder first on the PATH";
    }
}
