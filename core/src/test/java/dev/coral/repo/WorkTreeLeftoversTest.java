package dev.coral.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.io.AtomicFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkTreeLeftoversTest {
    @TempDir
    Path dir;

    private static final long NOW = 10_000_000_000L;

    private Path file(String name, long ageMillis) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.write(p, new byte[] {1, 2, 3});
        Files.setLastModifiedTime(p, FileTime.fromMillis(NOW - ageMillis));
        return p;
    }

    @Test
    void aLeftoverIsTheTemporaryNameOfOneOfTheFilesAndNothingElse() {
        Set<String> names = Set.of("model.safetensors", "a-b.npy");
        String uuid = UUID.randomUUID().toString();
        assertTrue(WorkTreeLeftovers.isLeftoverOf(".tmp-model.safetensors-" + uuid, names));
        assertTrue(WorkTreeLeftovers.isLeftoverOf(".tmp-a-b.npy-" + uuid, names), "a name with dashes");
        assertEquals(AtomicFile.tempSibling(Path.of("model.safetensors")).getFileName().toString().length(),
                (".tmp-model.safetensors-" + uuid).length(), "the shape AtomicFile gives its temporary files");
        assertTrue(WorkTreeLeftovers.isLeftoverOf(AtomicFile.tempSibling(Path.of("x/model.safetensors")).getFileName().toString(), names));
        assertFalse(WorkTreeLeftovers.isLeftoverOf(".tmp-other.safetensors-" + uuid, names), "another file's");
        assertFalse(WorkTreeLeftovers.isLeftoverOf(".tmp-model.safetensors-backup", names), "no UUID: the user's");
        assertFalse(WorkTreeLeftovers.isLeftoverOf(".tmp-model.safetensors-" + uuid.toUpperCase(), names), "not a UUID Java writes");
        assertFalse(WorkTreeLeftovers.isLeftoverOf("model.safetensors-" + uuid, names), "no prefix");
        assertFalse(WorkTreeLeftovers.isLeftoverOf(".tmp-" + uuid, names), "no name");
        assertFalse(WorkTreeLeftovers.isLeftoverOf(".tmp-model.safetensors-" + uuid + ".bak", names));
    }

    @Test
    void staleLeftoversOfTheGivenFilesGoAndEverythingElseStays() throws IOException {
        String u1 = UUID.randomUUID().toString();
        String u2 = UUID.randomUUID().toString();
        Path model = file("model.safetensors", 0);
        Path nested = file("sub/w.npy", 0);
        Path old = file(".tmp-model.safetensors-" + u1, WorkTreeLeftovers.MIN_AGE_MILLIS);
        Path oldNested = file("sub/.tmp-w.npy-" + u1, 3_600_000);
        Path young = file(".tmp-model.safetensors-" + u2, WorkTreeLeftovers.MIN_AGE_MILLIS - 1);
        Path otherFiles = file(".tmp-other.safetensors-" + u1, 3_600_000);
        Path users = file(".tmp-model.safetensors-backup", 3_600_000);
        Path folder = dir.resolve("sub/.tmp-w.npy-" + u2);
        Files.createDirectory(folder);
        Files.setLastModifiedTime(folder, FileTime.fromMillis(NOW - 3_600_000));
        assertEquals(2, WorkTreeLeftovers.removeStale(List.of(model, nested, dir.resolve("missing/x.npy")), NOW));
        assertFalse(Files.exists(old));
        assertFalse(Files.exists(oldNested));
        for (Path kept : List.of(model, nested, young, otherFiles, users, folder)) {
            assertTrue(Files.exists(kept), kept + " kept");
        }
        assertEquals(0, WorkTreeLeftovers.removeStale(List.of(model, nested), NOW), "nothing more to remove");
    }

    @Test
    void statusAndGcTakeTheTemporaryNameOfAnyWeightFile() {
        String uuid = UUID.randomUUID().toString();
        assertTrue(WorkTreeLeftovers.isLeftoverName(".tmp-model.safetensors-" + uuid));
        assertTrue(WorkTreeLeftovers.isLeftoverName(".tmp-a-b.npy-" + uuid), "a name with dashes");
        assertTrue(WorkTreeLeftovers.isLeftoverName(".tmp-w.h5-" + uuid));
        String longName = "l".repeat(300) + ".safetensors";
        String cut = AtomicFile.tempSibling(Path.of(longName)).getFileName().toString();
        assertTrue(WorkTreeLeftovers.isLeftoverName(cut), "a name too long to keep whole, cut: " + cut.length());
        assertTrue(WorkTreeLeftovers.isLeftoverName(AtomicFile.tempSibling(Path.of("é".repeat(150) + ".npy")).getFileName().toString()),
                "cut at a whole character");
        assertFalse(WorkTreeLeftovers.isLeftoverName(".tmp-notes.txt-" + uuid), "not a weight file's");
        assertFalse(WorkTreeLeftovers.isLeftoverName(".tmp-model.safetensors-backup"), "no UUID: the user's");
        assertFalse(WorkTreeLeftovers.isLeftoverName(".tmp-" + uuid), "no name");
        assertFalse(WorkTreeLeftovers.isLeftoverName("model.safetensors-" + uuid), "no prefix");
        assertFalse(WorkTreeLeftovers.isLeftoverName(".tmp-model.safetensors-" + uuid + ".npy"));
    }
}
