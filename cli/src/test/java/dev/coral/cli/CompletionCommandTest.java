package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code coral completion}: the script bash loads completes every command and a command's
 * options (run in a real bash: the script's function called as bash's completion would call it).
 */
class CompletionCommandTest {
    @TempDir
    Path dir;

    /** What the script completes for the words given (the last one being completed). */
    private List<String> complete(Path script, String... words) throws Exception {
        StringBuilder array = new StringBuilder();
        for (String w : words) {
            array.append('\'').append(w).append("' ");
        }
        String line = String.join(" ", words);
        String program = "source '" + script + "'; compopt() { :; }; " // compopt answers only inside a real completion
                + "COMP_WORDS=(" + array + "); COMP_CWORD=" + (words.length - 1) + "; COMP_LINE='" + line + "'; "
                + "COMP_POINT=${#COMP_LINE}; _complete_coral; printf '%s\\n' \"${COMPREPLY[@]}\"";
        Process p = new ProcessBuilder("bash", "-c", program).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "bash timed out");
        assertEquals(0, p.exitValue(), out);
        return out.lines().filter(s -> !s.isEmpty()).toList();
    }

    @Test
    void theScriptCompletesCommandsAndOptions() throws Exception {
        Cli.Result r = Cli.runRaw("completion").ok();
        assertTrue(r.out().startsWith("#!/usr/bin/env bash"), r.out());
        Path script = dir.resolve("coral-completion.bash");
        Files.writeString(script, r.out());
        assertEquals(List.of("merge"), complete(script, "coral", "me"));
        assertEquals(List.of("commit", "config", "completion").stream().sorted().toList(),
                complete(script, "coral", "co").stream().sorted().toList());
        for (String name : CoralCommand.SUBCOMMANDS) {
            assertTrue(complete(script, "coral", name).contains(name), name);
        }
        assertEquals(List.of("--strategy"), complete(script, "coral", "merge", "--st"));
        assertTrue(complete(script, "coral", "commit", "--").containsAll(List.of("--message", "--metric", "--lossy")));
    }
}
