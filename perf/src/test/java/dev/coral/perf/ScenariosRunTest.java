package dev.coral.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.perf.stress.CommandLineScenario;
import dev.coral.perf.stress.Context;
import dev.coral.perf.stress.Scale;
import dev.coral.perf.stress.Scenario;
import dev.coral.perf.stress.ScenarioReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every stress scenario runs to the end at the tiny scale and finds nothing wrong: the checks a
 * scenario makes (every checkout and export byte for byte what was committed, no commit lost in
 * the crash loop or beside gc, no failed writer) hold, and it reports figures. The figures
 * themselves are not judged: at this scale they measure start-up more than Coral, and a unit test
 * never asserts a time. The whole run takes 40-47 s on 2 cores, most of it the command
 * line scenario's JVMs.
 */
class ScenariosRunTest {
    static Stream<String> scenarioIds() {
        return StressRunner.scenarios().keySet().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarioIds")
    void runsAtTheTinyScaleAndFindsNothingWrong(String id, @TempDir Path tmp) throws Exception {
        Scenario s = StressRunner.scenarios().get(id);
        if (id.equals("cli")) {
            assertTrue(Files.isRegularFile(CommandLineScenario.jar()), "the cli scenario needs " + CommandLineScenario.jar()
                    + ", which mvn verify builds before this module: build it first (mvn -B -q -DskipTests install)");
        }
        ScenarioReport r = s.run(new Context(Scale.of("tiny"), Files.createDirectories(tmp.resolve("work")),
                Files.createDirectories(tmp.resolve("out"))));
        assertEquals("ok", r.status(), () -> id + ": " + String.join("; ", r.notes()));
        assertFalse(r.headlines().isEmpty(), id + " reported no headline figure");
    }

    @Test
    void theRunnerWritesItsReport(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("report");
        StressRunner.main(new String[] {"--scenario", "dedup", "--scale", "tiny", "--out", out.toString(), "--work",
                tmp.resolve("work").toString()});
        String md = Files.readString(out.resolve("report.md"));
        assertTrue(md.contains("Scale `tiny`") && md.contains("Status: **ok**"), md);
        String json = Files.readString(out.resolve("report.json"));
        assertTrue(json.contains("\"scale\"") && json.contains("tiny"), json);
    }
}
