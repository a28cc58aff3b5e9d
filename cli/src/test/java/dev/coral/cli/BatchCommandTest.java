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

    /** An argument that is not a string is named by its kind, in one line, not echoed (an object's text spanned lines). */
    @Test
    void anArgumentThatIsNotAStringIsNamedByKind() throws Exception {
        List<Map<?, ?>> r = batch(dir, "[\"status\", {\"a\\nb\": 1}]", "[[\"x\"]]", "[\"log\", null]", "[\"log\", true]");
        String[] kinds = {"argument 2 is an object", "argument 1 is an array", "argument 2 is null", "argument 2 is true"};
        for (int i = 0; i < kinds.length; i++) {
            String err = (String) r.get(i).get("err");
            assertEquals(2, code(r.get(i)), err);
            assertEquals("coral batch: line " + (i + 1) + ": " + kinds[i] + ", not a string\n", err);
        }
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
        assertTrue(((String) r.get(1).get("err")).contains("argument 2 is a number, not a string"), r.get(1).toString());
        assertTrue(((String) r.get(3).get("err")).contains("batch cannot run inside batch"), r.get(3).toString());
        assertEquals(2, code(r.get(6)), r.get(6).toString());
        assertTrue(((String) r.get(6).get("err")).contains("-o -: refused inside coral batch"), r.get(6).toString());
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

    /**
     * The handle a batch keeps sees what other writers did between its commands: their commits
     * (the next commit goes on top of them) and what they staged.
     */
    @Test
    void aKeptHandleSeesWhatOthersDidBetweenCommands() throws Exception {
        java.io.PipedOutputStream feed = new java.io.PipedOutputStream();
        java.io.PipedInputStream in = new java.io.PipedInputStream(feed, 1 << 16);
        java.io.PipedInputStream repliesIn = new java.io.PipedInputStream(1 << 20);
        PrintStream out = new PrintStream(new java.io.PipedOutputStream(repliesIn), true, StandardCharsets.UTF_8);
        Thread batch = new Thread(() -> Main.run(in, out, new PrintStream(new ByteArrayOutputStream()), "-C", dir.toString(), "batch"));
        batch.start();
        java.io.BufferedReader replies = new java.io.BufferedReader(new java.io.InputStreamReader(repliesIn, StandardCharsets.UTF_8));
        java.util.function.Function<String, Map<?, ?>> send = line -> {
            try {
                feed.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                feed.flush();
                return (Map<?, ?>) Json.parse(replies.readLine());
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        };
        Path a = dir.resolve("a.safetensors");
        Cli.writeModel(a, 1, "layer0");
        assertEquals(0, code(send.apply("[\"init\"]")));
        assertEquals(0, code(send.apply("[\"commit\", \"-m\", \"one\", \"a.safetensors\"]")));
        Path b = dir.resolve("b.safetensors");
        Cli.writeModel(b, 2, "layer0");
        Path c = dir.resolve("c.safetensors");
        Cli.writeModel(c, 3, "layer0");
        try (dev.coral.api.Repository other = dev.coral.api.Repository.open(dir)) { // another process, say
            other.commit(dev.coral.api.CommitRequest.of("two, elsewhere"), List.of(b));
            other.add(List.of(c));
        }
        Cli.writeModel(a, 4, "layer0");
        assertEquals(0, code(send.apply("[\"commit\", \"-m\", \"three\", \"a.safetensors\"]")));
        String log = (String) send.apply("[\"log\", \"--oneline\"]").get("out");
        assertTrue(log.indexOf("three") < log.indexOf("two, elsewhere") && log.indexOf("two, elsewhere") < log.indexOf("one"), log);
        String show = (String) send.apply("[\"show\", \"HEAD\"]").get("out");
        assertTrue(show.contains("b.safetensors") && !show.contains("c.safetensors"), show);
        String status = (String) send.apply("[\"status\"]").get("out");
        assertTrue(status.contains("new file:   c.safetensors"), status);
        feed.close();
        batch.join(60_000);
        assertTrue(!batch.isAlive(), "the batch ends with its input");
    }
}
