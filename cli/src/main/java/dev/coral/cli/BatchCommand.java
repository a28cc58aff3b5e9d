package dev.coral.cli;

import dev.coral.format.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;

/**
 * {@code coral batch}: many commands in one process, one per line of standard input, each a JSON
 * array of its arguments; one JSON reply line each. A command-line commit of an 84 MB checkpoint
 * spends most of its second starting the JVM and compiling the codecs; a script or a training
 * loop in another language that commits step after step pays that once here, and the repository
 * handle is kept between commands ({@link SharedHandles}), as a Java training loop keeps its own.
 */
@Command(name = "batch", description = {
    "Run many commands in this one process: each line of standard input is one command, a JSON array of its "
        + "arguments, e.g. [\"commit\", \"-m\", \"step 9\", \"model.safetensors\"]; for each, one line of JSON on standard "
        + "output: {\"code\": EXIT, \"out\": STDOUT, \"err\": STDERR, \"ms\": MILLISECONDS}, in order, until the input ends.",
    "For scripts and training loops that run command after command: the process starts and its compiler warms "
        + "up once, not per command, and each repository is opened once and kept between commands (opened again when "
        + "its .coral folder or settings change; at most 16 kept, the least lately used closed past that); see the README "
        + "for figures.",
    "Relative paths are against the folder batch runs in (-C DIR on a line is taken against it too). A line that is "
        + "not a JSON array of strings, or not UTF-8, gets code 2; an empty line (or one of spaces and tabs) gets no reply. Lines "
        + "end at a line feed (a carriage return before it is dropped). export -o - is refused: standard output carries the "
        + "replies; once standard output is closed, batch stops with exit code 1."})
final class BatchCommand extends Subcommand {
    @Override
    int execute() throws IOException {
        String base = workDir().toString();
        InputLines lines = new InputLines(input());
        PrintStream replies = out();
        int n = 0;
        try (SharedHandles handles = new SharedHandles()) {
            for (InputLines.Line line; (line = lines.next()) != null; ) {
                n++;
                if (line.error() == null && line.text().chars().allMatch(c -> c == ' ' || c == '\t')) {
                    continue;
                }
                Map<String, Object> reply = line.error() != null ? refused(n, line.error()) : run(line.text(), n, base, handles);
                replies.println(JsonWriter.line(reply));
                replies.flush();
                if (replies.checkError()) { // the reader went away (a closed pipe): nobody would see the rest
                    coral.session().err().println("coral batch: standard output was closed after line " + n + "; the rest is not run");
                    return 1;
                }
            }
        }
        return 0;
    }

    /** The reply to line {@code n}, refused with code 2 for {@code why}. */
    private static Map<String, Object> refused(int n, String why) {
        Map<String, Object> reply = new LinkedHashMap<>();
        reply.put("code", 2);
        reply.put("out", "");
        reply.put("err", "coral batch: line " + n + ": " + why + "\n");
        reply.put("ms", 0);
        return reply;
    }

    private InputStream input() {
        return coral.session().in();
    }

    /** One line's reply. */
    private Map<String, Object> run(String line, int n, String base, SharedHandles handles) {
        long t0 = System.nanoTime();
        Map<String, Object> reply = new LinkedHashMap<>();
        List<String> args;
        try {
            args = arguments(line);
        } catch (IllegalArgumentException e) {
            return refused(n, e.getMessage());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        int code;
        if (!args.isEmpty() && "batch".equals(CoralCommand.requestedSubcommand(args.toArray(String[]::new)))) {
            e.println("coral: batch cannot run inside batch");
            code = 2;
        } else {
            List<String> folderArgs = null;
            try {
                folderArgs = inFolder(args, base);
            } catch (java.nio.file.InvalidPathException bad) { // a -C DIR no file system can name: this line's error, not the batch's
                e.println("coral: -C " + Text.shown(Failures.invalidPath(bad)));
            }
            code = folderArgs == null ? 2 : Main.run(new Session(InputStream.nullInputStream(), o, e, false, coral.session().debug(), handles),
                    folderArgs.toArray(String[]::new));
        }
        reply.put("code", code);
        reply.put("out", out.toString(StandardCharsets.UTF_8));
        reply.put("err", err.toString(StandardCharsets.UTF_8));
        reply.put("ms", (System.nanoTime() - t0) / 1_000_000);
        return reply;
    }

    /** The arguments a line holds: a JSON array of strings. */
    static List<String> arguments(String line) {
        Object v;
        try {
            v = Json.parse(line);
        } catch (Json.SyntaxException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage());
        }
        if (!(v instanceof List<?> list)) {
            throw new IllegalArgumentException("not a JSON array of the command's arguments, e.g. [\"status\"]");
        }
        List<String> args = new ArrayList<>();
        for (Object a : list) {
            if (!(a instanceof String s)) {
                throw new IllegalArgumentException("argument " + (args.size() + 1) + " is " + jsonKind(a) + ", not a string");
            }
            args.add(s);
        }
        return args;
    }

    /**
     * What a JSON value is, named rather than echoed: an object's or array's text could span lines
     * and be of any size (found by fuzzing).
     */
    private static String jsonKind(Object v) {
        if (v instanceof Map<?, ?>) {
            return "an object";
        } else if (v instanceof List<?>) {
            return "an array";
        } else if (v instanceof Boolean b) {
            return b.toString();
        } else if (v instanceof Number) {
            return "a number";
        }
        return "null";
    }

    /**
     * The arguments run in folder {@code base}: {@code -C base} first, or a line's own leading
     * {@code -C DIR} (also -CDIR, -C=DIR) taken against {@code base}.
     */
    static List<String> inFolder(List<String> args, String base) {
        List<String> out = new ArrayList<>();
        out.add("-C");
        if (!args.isEmpty() && args.get(0).equals("-C") && args.size() > 1) {
            out.add(Path.of(base).resolve(args.get(1)).toString());
            out.addAll(args.subList(2, args.size()));
        } else if (!args.isEmpty() && args.get(0).startsWith("-C") && args.get(0).length() > 2) {
            String dir = args.get(0).substring(args.get(0).charAt(2) == '=' ? 3 : 2);
            out.add(Path.of(base).resolve(dir).toString());
            out.addAll(args.subList(1, args.size()));
        } else {
            out.add(base);
            out.addAll(args);
        }
        return out;
    }
}
