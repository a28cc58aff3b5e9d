package dev.coral.perf.stress;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one scenario found: headline figures (each with its same-run baseline), tables, charts,
 * notes, and the raw figures for report.json.
 */
public final class ScenarioReport {
    /** One line of the headline table. */
    public record Headline(String scenario, String figure, String coral, String baseline) {
    }

    /** A chart written next to the report. */
    public record Chart(String file, String caption) {
    }

    final String id;
    final String title;
    String summary = "";
    String status = "ok";
    double seconds;
    final List<Headline> headlines = new ArrayList<>();
    final List<Table> tables = new ArrayList<>();
    final List<Chart> charts = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    final Map<String, Object> figures = new LinkedHashMap<>();

    public ScenarioReport(String id, String title) {
        this.id = id;
        this.title = title;
    }

    public ScenarioReport summary(String s) {
        summary = s;
        return this;
    }

    public void headline(String figure, String coral, String baseline) {
        headlines.add(new Headline(title, figure, coral, baseline));
    }

    public Table table(Table t) {
        tables.add(t);
        return t;
    }

    public void chart(String file, String caption) {
        charts.add(new Chart(file, caption));
    }

    public void note(String n) {
        notes.add(n);
    }

    public void figure(String key, Object value) {
        figures.put(key, value);
    }

    public void setSeconds(double s) {
        seconds = s;
    }

    public String status() {
        return status;
    }

    /** The notes so far: why it was skipped or failed, among others. */
    public List<String> notes() {
        return List.copyOf(notes);
    }

    /** The headline figures so far. */
    public List<Headline> headlines() {
        return List.copyOf(headlines);
    }

    /** Prints the tables and notes to the console. */
    public void print() {
        System.out.println();
        System.out.println("[" + title + "] " + status + String.format(java.util.Locale.ROOT, " (%.0f s)", seconds));
        for (Table t : tables) {
            System.out.print(t.text());
            System.out.println();
        }
        for (String n : notes) {
            System.out.println("  - " + n);
        }
        System.out.flush();
    }

    /** Marks the scenario skipped (e.g. not enough disk) with the reason. */
    public ScenarioReport skipped(String why) {
        status = "skipped";
        notes.add("Skipped: " + why);
        return this;
    }

    /** Marks a scenario that found a failure (an expected-zero count that is not zero). */
    public void failed(String what) {
        status = "FAILED";
        notes.add("**FAILED**: " + what);
    }
}
