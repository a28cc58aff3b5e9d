package dev.coral.cli;

import dev.coral.repo.Commit;
import dev.coral.store.ObjectId;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** How {@code log} and {@code show} print a commit, as text and as JSON. */
final class CommitView {
    private CommitView() {
    }

    /** git's medium format: id, author, ISO-8601 date, metrics, indented message. */
    static void printHeader(PrintStream out, ObjectId id, Commit c, String decoration) {
        out.println("commit " + id.hex() + (decoration == null || decoration.isEmpty() ? "" : " (" + decoration + ")"));
        if (c.parents().size() > 1) {
            out.println("Merge:   " + String.join(" ", c.parents().stream().map(Text::shortId).toList()));
        }
        out.println("Author:  " + Text.shown(c.author()));
        out.println("Date:    " + Text.date(c.timeMillis()));
        if (!c.metrics().isEmpty()) {
            out.println("Metrics: " + Text.metrics(c.metrics()));
        }
        if (c.isLossy()) {
            out.println("Lossy:   tensors within " + c.lossyEps() + " of what was added (opt-in quantized storage)");
        }
        out.println();
        for (String line : c.message().split("\n", -1)) {
            out.println(line.isEmpty() ? "" : "    " + Text.shown(line)); // the message's own line breaks stay; other control characters do not reach the terminal
        }
    }

    /** {@code abc1234 message [loss=0.31]}. */
    static String oneLine(ObjectId id, Commit c, String decoration) {
        StringBuilder sb = new StringBuilder(Text.shortId(id));
        if (decoration != null && !decoration.isEmpty()) {
            sb.append(" (").append(decoration).append(')');
        }
        sb.append(' ').append(Text.shown(c.subject()));
        if (c.isLossy()) {
            sb.append(" [lossy ").append(c.lossyEps()).append(']');
        }
        if (!c.metrics().isEmpty()) {
            sb.append(" [").append(Text.metrics(c.metrics())).append(']');
        }
        return sb.toString();
    }

    static Map<String, Object> json(ObjectId id, Commit c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id.hex());
        m.put("tree", c.tree().hex());
        m.put("parents", c.parents().stream().map(ObjectId::hex).toList());
        m.put("author", c.author());
        m.put("date", Text.date(c.timeMillis()));
        m.put("timeMillis", c.timeMillis());
        Map<String, Object> metrics = new LinkedHashMap<>();
        c.metrics().forEach((k, v) -> metrics.put(k, JsonWriter.number(v)));
        m.put("metrics", metrics);
        m.put("message", c.message());
        m.put("lossyEps", c.isLossy() ? JsonWriter.number(c.lossyEps()) : null);
        return m;
    }

    static List<String> hexes(List<ObjectId> ids) {
        return ids.stream().map(ObjectId::hex).toList();
    }
}
