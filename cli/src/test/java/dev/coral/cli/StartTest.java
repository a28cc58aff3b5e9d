package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** The jar's entry point: a Java before 17 refused in one line, from a class such a JVM can load. */
class StartTest {
    @Test
    void aJavaBefore17IsRefusedInOneLineNamingIt() {
        assertEquals("coral: Java 8 (/usr/lib/jvm/java-8) is too old: Coral needs Java 17 or later; set JAVA_HOME to one, or put its"
                + " bin folder first on the PATH", Start.tooOld("1.8", "/usr/lib/jvm/java-8"));
        assertEquals("coral: Java 11 is too old: Coral needs Java 17 or later; set JAVA_HOME to one, or put its bin folder first on the"
                + " PATH", Start.tooOld("11", null));
        assertEquals("coral: Java 16 (/j) is too old: Coral needs Java 17 or later; set JAVA_HOME to one, or put its bin folder first on"
                + " the PATH", Start.tooOld("16.0.2", "/j"));
    }

    @Test
    void java17AndLaterRunAsDoesAnUnreadableVersion() {
        for (String v : new String[] {"17", "21", "25", "17.0.1", "100"}) {
            assertNull(Start.tooOld(v, "/j"), v);
        }
        for (String v : new String[] {null, "", "abc", "1.x"}) {
            assertNull(Start.tooOld(v, "/j"), "left to the JVM: " + v);
        }
    }

    /** Class file version 52 (Java 8), so that a Java 8 to 16 JVM loads it; Main stays 61 (Java 17). */
    @Test
    void theEntryPointIsAJava8ClassFile() throws IOException {
        assertEquals(52, majorVersion(Start.class));
        assertEquals(61, majorVersion(Main.class));
    }

    private static int majorVersion(Class<?> c) throws IOException {
        try (InputStream in = c.getResourceAsStream(c.getSimpleName() + ".class"); DataInputStream d = new DataInputStream(in)) {
            assertEquals(0xCAFEBABE, d.readInt());
            d.readUnsignedShort(); // minor
            return d.readUnsignedShort();
        }
    }
}
