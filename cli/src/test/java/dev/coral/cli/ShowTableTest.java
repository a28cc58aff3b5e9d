package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code coral show}'s table: one row per tensor, the columns aligned under their headings. */
class ShowTableTest {
    @TempDir
    Path dir;

    @Test
    void columnsLineUpUnderTheirHeadings() throws Exception {
        Cli cli = new Cli(dir);
        cli.run("init").ok();
        SplittableRandom r = new SplittableRandom(5);
        Cli.write(dir.resolve("m.safetensors"), "safetensors",
                List.of(Cli.f32("w", r, 3), Cli.f32("encoder.layers.0.attention.weight", r, 64, 32)));
        cli.run("add", "m.safetensors").ok();
        cli.run("commit", "-m", "one").ok();

        List<String> lines = List.of(cli.run("show").ok().out().split("\n"));
        int head = lines.indexOf(lines.stream().filter(l -> l.startsWith("  TENSOR")).findFirst().orElseThrow());
        String heading = lines.get(head);
        String shorter = lines.get(head + 1); // the file's order
        String longer = lines.get(head + 2);
        assertTrue(longer.startsWith("  encoder.layers.0.attention.weight  F32          [64,32]  "), longer);
        assertTrue(shorter.startsWith("  w                                  F32          [3]      "), shorter);
        for (String row : List.of(longer, shorter)) {
            assertEquals(heading.length(), row.length(), "rows end where the heading ends:\n" + heading + "\n" + row);
            assertEquals(heading.indexOf("DTYPE"), row.indexOf("F32"), row);
        }
        assertTrue(longer.matches("  .* {8}8192  +\\d+"), "byte counts are right-aligned: " + longer);
        assertTrue(shorter.matches("  .* {11}12  +\\d+"), shorter);
        assertTrue(heading.endsWith("     LOGICAL        STORED"), heading);
    }

    /**
     * A file's logical bytes are the file as committed, as stats counts them (its tensors and the
     * bytes around them); before, show summed its tensors alone.
     */
    @Test
    void aFilesLogicalBytesAreTheFileAsCommitted() throws Exception {
        Cli cli = new Cli(dir);
        cli.run("init").ok();
        SplittableRandom r = new SplittableRandom(6);
        Path m = dir.resolve("m.safetensors");
        Cli.write(m, "safetensors", List.of(Cli.f32("w", r, 3), Cli.f32("v", r, 64, 32)));
        long size = java.nio.file.Files.size(m);
        cli.run("add", "m.safetensors").ok();
        cli.run("commit", "-m", "one").ok();
        String json = cli.run("show", "--json").ok().out();
        assertTrue(json.contains("\"fileSize\": " + size + ",") && json.contains("\"logicalBytes\": " + size + ","), json);
        assertTrue(json.contains("\"logicalBytes\": 8192,") && json.contains("\"logicalBytes\": 12,"), "tensors: their bytes: " + json);
        assertTrue(size > 8192 + 12, "the header counts too");
        assertTrue(cli.run("show").ok().out().contains("(safetensors, 2 tensors, " + Text.bytes(size) + " logical, "));
    }
}
