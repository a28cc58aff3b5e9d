package dev.coral.error;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

/** Every Coral failure's message is one line, whatever names a damaged file put in it. */
class OneLineTest {
    @Test
    void controlCharactersAreEscapedAndOtherTextKept() {
        String plain = "m.safetensors: tensor 'é/w' has 3 dims";
        assertSame(plain, OneLine.of(plain));
        assertEquals("a\\nb\\tc\\rd\\x1b[2J\\x7f\\x85", OneLine.of("a\nb\tc\rd\u001b[2J\u007f\u0085"));
        assertEquals(null, OneLine.of(null));
    }

    @Test
    void everyCoralExceptionMessageIsOneLine() {
        String name = "PK\u0003\u0004\nflags.npy\u0000";
        assertEquals("m.npz: member 'PK\\x03\\x04\\nflags.npy\\x00'", new BadInputException("m.npz: member '" + name + "'").getMessage());
        assertEquals("pack: x\\ny", new CorruptObjectException("pack: x\ny", new RuntimeException()).getMessage());
    }
}
