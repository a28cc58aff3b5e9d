package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A handle retained by several holders closes when the last of them closes it, and only then. */
class RetainedHandleTest {
    @TempDir
    Path dir;

    @Test
    void theLastHolderClosesIt() throws Exception {
        Path w = TestModels.writeSafetensors(dir.resolve("w.safetensors"), TestModels.randomTensors(1, 2, 100));
        Repository repo = Repository.init(dir);
        assertSame(repo, repo.retain());
        repo.close(); // one holder left
        repo.commit(CommitRequest.of("one"), List.of(w));
        assertEquals(1, repo.log("HEAD", -1).size(), "still open for the other holder");
        repo.close();
        assertThrows(IllegalStateException.class, repo::retain, "closed: not handed out again");
        assertDoesNotThrow(repo::close, "closing again does nothing");
        try (Repository again = Repository.open(dir)) {
            assertEquals(1, again.log("HEAD", -1).size());
        }
    }
}
