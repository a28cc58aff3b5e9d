package dev.coral.perf.stress;

import java.util.List;

/**
 * The JIT flags the {@code ./coral} launcher gives each command (its comment says why, with the
 * figures): kept in step with the launcher by hand, so that a figure taken here is the one a user
 * gets.
 */
public final class LauncherFlags {
    private LauncherFlags() {
    }

    /** The flags for {@code command} (the first word after {@code coral}); none for the others. */
    public static List<String> forCommand(String command) {
        return switch (command) {
            case "checkout", "switch" -> List.of("-XX:TieredStopAtLevel=1");
            case "add", "commit" -> List.of("-XX:-UseSuperWord", "-XX:LoopUnrollLimit=8");
            case "export", "repack" -> List.of("-XX:LoopUnrollLimit=8");
            default -> List.of();
        };
    }
}
