package dev.coral.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import org.junit.jupiter.api.Test;

/** Branch and tag names: a character outside the allowed set is named whole, a pair of surrogates included. */
class RefNameTest {
    @Test
    void aRefusedCharacterIsNamedWhole() {
        BadInputException e = assertThrows(BadInputException.class, () -> RefName.check("branch", "emoji\uD83D\uDE00"));
        assertTrue(e.getMessage().contains("character '\uD83D\uDE00' is not allowed"), e.getMessage());
        BadInputException space = assertThrows(BadInputException.class, () -> RefName.check("tag", "a b"));
        assertTrue(space.getMessage().contains("character ' ' is not allowed"), space.getMessage());
    }

    /** Names revisions resolve before branches and tags: a branch ORIG_HEAD was created at HEAD, then switch wrote ORIG_HEAD's files. */
    @Test
    void revisionNamesAreReserved() {
        for (String name : new String[] {"HEAD", "@", "ORIG_HEAD"}) {
            BadInputException e = assertThrows(BadInputException.class, () -> RefName.check("branch", name));
            assertTrue(e.getMessage().contains("reserved"), e.getMessage());
        }
    }

    @Test
    void allowedNamesPass() throws BadInputException {
        assertEquals("release/v1.0+rc_2-x", RefName.check("tag", "release/v1.0+rc_2-x"));
    }
}
