package dev.coral.perf.stress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The JVM flags the {@code ./coral} launcher gives each command (its comment says why, with the
 * figures): kept in step with the launcher by hand, so that a figure taken here is the one a user
 * gets.
 */
public final class LauncherFlags {
    /** Where Linux says whether it gives transparent huge pages: the mode in use is in brackets. */
    private static final Path THP_ENABLED = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");

    private LauncherFlags() {
    }

    /** The flags for {@code command} (the first word after {@code coral}); none for the others. */
    public static List<String> forCommand(String command) {
        List<String> flags = new ArrayList<>(switch (command) {
            case "log", "show", "branch", "tag", "stats", "config", "gc", "checkout", "switch" -> List.of("-XX:TieredStopAtLevel=1");
            case "add", "commit" -> List.of("-XX:-UseSuperWord", "-XX:LoopUnrollLimit=8");
            case "export", "repack" -> List.of("-XX:LoopUnrollLimit=8");
            default -> List.<String>of();
        });
        boolean decodes = switch (command) {
            case "checkout", "switch", "export", "repack" -> true;
            default -> false;
        };
        if (decodes && transparentHugePagesOnRequest()) {
            flags.add("-XX:+UseTransparentHugePages");
        }
        return List.copyOf(flags);
    }

    /** True where the kernel gives transparent huge pages to a process that asks (madvise) or to all. */
    static boolean transparentHugePagesOnRequest() {
        try {
            String mode = Files.readString(THP_ENABLED);
            return mode.contains("[always]") || mode.contains("[madvise]");
        } catch (IOException | SecurityException e) {
            return false; // not Linux, or no transparent huge pages
        }
    }
}
