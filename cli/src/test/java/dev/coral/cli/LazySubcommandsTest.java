package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.PrintStream;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Only the subcommand a command line names is built; help, version and mistakes see them all. */
class LazySubcommandsTest {
    private static final Session SESSION = new Session(new PrintStream(PrintStream.nullOutputStream()),
            new PrintStream(PrintStream.nullOutputStream()), false, false);

    private static Set<String> registered(String... args) {
        return CoralCommand.commandLine(SESSION, args).getSubcommands().keySet();
    }

    @Test
    void aNamedSubcommandIsTheOnlyOneBuiltAndItsNameIsItsOwn() {
        List<String> all = List.copyOf(registered());
        assertEquals(26, all.size(), all.toString());
        for (String name : all) {
            assertEquals(Set.of(name), registered(name, "--help"), name);
            CommandLine sub = CoralCommand.commandLine(SESSION, name).getSubcommands().get(name);
            assertEquals(name, sub.getCommandName(), "the key matches the class's @Command name");
            assertEquals(name, sub.getCommandSpec().userObject().getClass().getAnnotation(CommandLine.Command.class).name());
        }
    }

    @Test
    void theSubcommandIsFoundPastTheDirectoryOption() {
        assertEquals("log", CoralCommand.requestedSubcommand("-C", "commit", "log", "-n", "3"));
        assertEquals("status", CoralCommand.requestedSubcommand("-C/tmp/x", "status"));
        assertEquals("add", CoralCommand.requestedSubcommand("-C=d", "add", "m.npy"));
        assertNull(CoralCommand.requestedSubcommand("--help", "commit"));
        assertNull(CoralCommand.requestedSubcommand("-V"));
        assertNull(CoralCommand.requestedSubcommand("-C"));
        assertNull(CoralCommand.requestedSubcommand());
    }

    @Test
    void helpVersionAndUnknownCommandsSeeEverySubcommand() {
        int all = registered().size();
        assertEquals(all, registered("--help").size());
        assertEquals(all, registered("--help", "commit").size());
        assertEquals(all, registered("comit", "-m", "x").size());
        assertEquals(all, registered("-C", "dir").size());
    }
}
