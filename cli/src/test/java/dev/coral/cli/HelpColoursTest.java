package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Help.Ansi;

/** Help in the daemon is coloured as picocli colours it in a JVM of the command's own: from the caller's terminal and environment. */
class HelpColoursTest {
    private static Session daemonSession(ByteArrayOutputStream out, boolean terminal, Map<String, String> env) {
        PrintStream p = new PrintStream(out, true, StandardCharsets.UTF_8);
        return Session.inDaemon(p, p, terminal, false, new SharedHandles(), Path.of("."), env);
    }

    @Test
    void aTerminalOrCliColorForceColoursNoColorAndCliColorZeroDoNot() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        assertEquals(Ansi.ON, CoralCommand.ansiFor(daemonSession(b, true, Map.of())));
        assertEquals(Ansi.OFF, CoralCommand.ansiFor(daemonSession(b, false, Map.of())));
        assertEquals(Ansi.ON, CoralCommand.ansiFor(daemonSession(b, false, Map.of("CLICOLOR_FORCE", "1"))));
        assertEquals(Ansi.OFF, CoralCommand.ansiFor(daemonSession(b, false, Map.of("CLICOLOR_FORCE", "0"))));
        assertEquals(Ansi.OFF, CoralCommand.ansiFor(daemonSession(b, true, Map.of("NO_COLOR", ""))));
        assertEquals(Ansi.OFF, CoralCommand.ansiFor(daemonSession(b, true, Map.of("NO_COLOR", "1", "CLICOLOR_FORCE", "1"))));
        assertEquals(Ansi.OFF, CoralCommand.ansiFor(daemonSession(b, true, Map.of("CLICOLOR", "0"))));
    }

    @Test
    void theDaemonsHelpOnATerminalIsColouredAndThroughAPipeIsNot() {
        ByteArrayOutputStream coloured = new ByteArrayOutputStream();
        assertEquals(0, Main.run(daemonSession(coloured, true, Map.of()), "status", "--help"));
        assertTrue(coloured.toString(StandardCharsets.UTF_8).contains("\u001b["), coloured.toString(StandardCharsets.UTF_8));
        ByteArrayOutputStream plain = new ByteArrayOutputStream();
        assertEquals(0, Main.run(daemonSession(plain, false, Map.of()), "status", "--help"));
        assertFalse(plain.toString(StandardCharsets.UTF_8).contains("\u001b["), plain.toString(StandardCharsets.UTF_8));
    }
}
