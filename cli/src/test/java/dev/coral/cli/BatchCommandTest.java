package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.format.Json;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code coral batch}: one command per line of standard input, one JSON reply line each, in one process. */
class BatchCommandTest {
    @TempDir
    Path dir;

    /** Runs {@code coral -C dir batch} over these input lines; returns its replies, parsed. */
    private List<Map<?, ?>> batch(Path in, String... lines) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        byte[] input = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
        int code = Main.run(new ByteArrayInputStream(input), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), "-C", in.toString(), "batch");
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        List<Map<?, ?>> replies = new ArrayList<>();
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            replies.add((Map<?, ?>) Json.parse(line));
        }
        return replies;
    }

    private static int code(Map<?, ?> reply) {
        return ((Number) reply.get("code")).intValue();
    }

    @Test
    void commandsRunInOrderInTheBatchsFolderEachWithItsReply() throws Exception {
        Cli.writeModel(dir.resolve("model.safetensors"), 1, "layer0");
        Files.createDirectories(dir.resolve("sub"));
        List<Map<?, ?>> r = batch(dir,
                "[\"init\"]",
                "[\"commit\", \"-m\", \"step \\\"one\\\"\", \"model.safetensors\"]",
                "",
                "[\"log\", \"--oneline\"]",
                "[\"-C\", \"sub\", \"status\"]",
                "[\"status\", \"--no-such-option\"]");
        assertEquals(5, r.size(), "a blank line has no reply: " + r);
        assertEquals(0, code(r.get(0)), r.get(0).toString());
        assertEquals(0, code(r.get(1)), r.get(1).toString());
        assertTrue(((String) r.get(2).get("out")).contains("step \"one\""), r.get(2).toString());
        assertEquals(0, code(r.get(3)), "-C sub is taken against the batch's folder, inside the repository: " + r.get(3));
        assertEquals(2, code(r.get(4)));
        assertTrue(((String) r.get(4).get("err")).contains("no-such-option"), r.get(4).toString());
        assertTrue(r.get(1).get("ms") instanceof Number);
    }

    @Test
    void badLinesNestedBatchAndBinaryOutputGetErrorRepliesAndTheBatchGoesOn() throws Exception {
        Cli.writeModel(dir.resolve("model.safetensors"), 1, "layer0");
        List<Map<?, ?>> r = batch(dir,
                "status",
                "[\"status\", 3]",
                "{\"args\": []}",
                "[\"batch\"]",
                "[\"init\"]",
                "[\"commit\", \"-m\", \"one\", \"model.safetensors\"]",
                "[\"export\", \"HEAD:model.safetensors\", \"-o\", \"-\"]",
                "[\"show\", \"HEAD\"]");
        assertEquals(8, r.size());
        for (int i = 0; i < 4; i++) {
            assertEquals(2, code(r.get(i)), r.get(i).toString());
        }
        assertTrue(((String) r.get(0).get("err")).startsWith("coral batch: line 1: not JSON"), r.get(0).toString());
        assertTrue(((String) r.get(1).get("err")).contains("argument 2 is not a string"), r.get(1).toString());
        assertTrue(((String) r.get(3).get("err")).contains("batch cannot run inside batch"), r.get(3).toString());
        assertEquals(2, code(r.get(6)), r.get(6).toString());
        assertTrue(((String) r.get(6).get("err")).contains("-o -: not inside coral batch"), r.get(6).toString());
        assertEquals(0, code(r.get(7)), r.get(7).toString());
        assertTrue(((String) r.get(7).get("out")).contains("model.safetensors"), r.get(7).toString());
    }

    @Test
    void aLinesOwnFolderIsTakenAgainstTheBatchs() {
        assertEquals(List.of("-C", "/b", "log"), BatchCommand.inFolder(List.of("log"), "/b"));
        assertEquals(List.of("-C", "/b/x", "log"), BatchCommand.inFolder(List.of("-C", "x", "log"), "/b"));
        assertEquals(List.of("-C", "/b/x", "log"), BatchCommand.inFolder(List.of("-Cx", "log"), "/b"));
        assertEquals(List.of("-C", "/b/x", "log"), BatchCommand.inFolder(List.of("-C=x", "log"), "/b"));
        assertEquals(List.of("-C", "/abs", "log"), BatchCommand.inFolder(List.of("-C", "/abs", "log"), "/b"));
        assertThrows(IllegalArgumentException.class, () -> BatchCommand.arguments("[\"a\", null]"));
        assertEquals(List.of("a", "b c", "é"), BatchCommand.arguments("[\"a\", \"b c\", \"\\u00e9\"]"));
    }
}
