package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The JVM options a daemon starts with: every caller's command runs under them, so no system property but Coral's. */
class DaemonJvmOptionsTest {
    @Test
    void systemPropertiesOtherThanCoralsAreLeftOutAndSaid() {
        List<String> leftOut = new ArrayList<>();
        List<String> kept = DaemonCommand.daemonJvmOptions(List.of("-Xmx4g", "-XX:SharedArchiveFile=/r/cli/target/coral.jsa", "-Xlog:cds=off",
                "-Dcoral.home=/r", "-Dcoral.daemon.dir=/d", "-Duser.timezone=Asia/Tokyo", "-Dfile.encoding=ISO-8859-1",
                "-XX:DumpLoadedClassList=/tmp/l", "-javaagent:/a.jar", "-agentlib:jdwp=transport=dt_socket", "-XX:+UseG1GC", "-ea"), leftOut);
        assertEquals(List.of("-Xmx4g", "-XX:SharedArchiveFile=/r/cli/target/coral.jsa", "-Xlog:cds=off", "-Dcoral.home=/r", "-Dcoral.daemon.dir=/d",
                "-XX:+UseG1GC", "-ea"), kept);
        assertEquals(List.of("-Duser.timezone=Asia/Tokyo", "-Dfile.encoding=ISO-8859-1"), leftOut);
    }
}
