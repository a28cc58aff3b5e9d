package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.repo.WorkTree;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A checkout removes its stale temporary files beside the files it touched, never in a folder beyond a link. */
class LeftoversBeyondLinkTest {
    @TempDir
    Path dir;

    private static Path staleLeftover(Path folder) throws Exception {
        Path f = Files.createDirectories(folder).resolve(".tmp-x.safetensors-0123abcd-0123-4567-89ab-0123456789ab");
        Files.write(f, new byte[] {1});
        Files.setLastModifiedTime(f, FileTime.fromMillis(System.currentTimeMillis() - 3_600_000));
        return f;
    }

    @Test
    void leftoversBeyondALinkAreNotTouched() throws Exception {
        Path root = Files.createDirectories(dir.resolve("repo"));
        Path outside = staleLeftover(dir.resolve("outside"));
        Files.createSymbolicLink(root.resolve("sub"), dir.resolve("outside"));
        Path inside = staleLeftover(root.resolve("real"));
        Checkout.removeLeftovers(new WorkTree(root), List.of("sub/x.safetensors", "real/x.safetensors"));
        assertTrue(Files.exists(outside), "the outside folder's file stays");
        assertFalse(Files.exists(inside), "a stale leftover in the working folder goes");
    }
}
