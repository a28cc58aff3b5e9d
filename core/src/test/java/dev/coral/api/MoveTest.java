package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Git's {@code mv}: tracked files and folders renamed in the working folder and the index at once, nothing read again. */
class MoveTest {
    @TempDir
    Path dir;
    private byte[] a;
    private byte[] b;

    /** a.safetensors and sub/b.npy committed; sub/notes.txt untracked beside them. */
    @BeforeEach
    void committed() throws IOException {
        Path fa = TestModels.writeSafetensors(dir.resolve("a.safetensors"), TestModels.randomTensors(1, 2, 100));
        Path fb = TestModels.writeNpy(dir.resolve("sub/b.npy"), TestModels.randomTensors(2, 1, 50).get(0));
        Files.writeString(dir.resolve("sub/notes.txt"), "not a weight file");
        a = Files.readAllBytes(fa);
        b = Files.readAllBytes(fb);
        try (Repository repo = Repository.init(dir)) {
            repo.commit(CommitRequest.of("one"), List.of(fa, fb));
        }
    }

    private static Map<String, ObjectId> staged(Repository repo) throws IOException {
        return repo.readIndex().toTree().files();
    }

    @Test
    void aRenamedFileKeepsItsStagedVersionAndCommitsUnderItsNewName() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            ObjectId entry = staged(repo).get("a.safetensors");
            assertEquals(List.of(new Repository.Moved("a.safetensors", "model.safetensors")),
                    repo.move(List.of(dir.resolve("a.safetensors")), dir.resolve("model.safetensors"), false));
            assertFalse(Files.exists(dir.resolve("a.safetensors")));
            assertArrayEquals(a, Files.readAllBytes(dir.resolve("model.safetensors")));
            assertEquals(entry, staged(repo).get("model.safetensors"), "the same entry, not read again");
            Status st = repo.status();
            assertTrue(st.notStaged().isEmpty(), st.toString());
            assertEquals(List.of(new Status.Change(Status.Kind.DELETED, "a.safetensors"), new Status.Change(Status.Kind.ADDED, "model.safetensors")),
                    st.staged());
            ObjectId two = repo.commit(CommitRequest.of("renamed"));
            assertEquals(List.of("model.safetensors", "sub/b.npy"), List.copyOf(repo.readTree(two).files().keySet()));
            repo.checkout("HEAD~1", false);
            assertArrayEquals(a, Files.readAllBytes(dir.resolve("a.safetensors")));
            assertFalse(Files.exists(dir.resolve("model.safetensors")));
        }
    }

    @Test
    void aFolderMovesWholeAndFilesMoveIntoAFolder() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            List<Repository.Moved> moved = repo.move(List.of(dir.resolve("sub")), dir.resolve("layers"), false);
            assertEquals(List.of(new Repository.Moved("sub/b.npy", "layers/b.npy")), moved);
            assertArrayEquals(b, Files.readAllBytes(dir.resolve("layers/b.npy")));
            assertTrue(Files.exists(dir.resolve("layers/notes.txt")), "the untracked file goes with its folder, as in git");
            assertFalse(Files.exists(dir.resolve("sub")));

            Files.createDirectories(dir.resolve("ckpt"));
            repo.move(List.of(dir.resolve("a.safetensors"), dir.resolve("layers/b.npy")), dir.resolve("ckpt"), false);
            assertEquals(List.of("ckpt/a.safetensors", "ckpt/b.npy"), List.copyOf(staged(repo).keySet()));
            assertArrayEquals(a, Files.readAllBytes(dir.resolve("ckpt/a.safetensors")));
            assertTrue(repo.status().notStaged().isEmpty());
        }
    }

    @Test
    void aLocalChangeStaysALocalChangeAtTheNewPath() throws IOException {
        TestModels.writeSafetensors(dir.resolve("a.safetensors"), TestModels.randomTensors(3, 2, 100));
        try (Repository repo = Repository.open(dir)) {
            repo.move(List.of(dir.resolve("a.safetensors")), dir.resolve("c.safetensors"), false);
            Status st = repo.status();
            assertEquals(List.of(new Status.Change(Status.Kind.MODIFIED, "c.safetensors")), st.notStaged());
        }
    }

    @Test
    void whatWouldMoveWronglyIsRefusedAndNothingMoves(@TempDir Path outside) throws IOException {
        Files.writeString(dir.resolve("untracked.npy"), "x");
        Files.createSymbolicLink(dir.resolve("linked"), outside);
        TestModels.writeSafetensors(dir.resolve("other.safetensors"), TestModels.randomTensors(4, 1, 10));
        try (Repository repo = Repository.open(dir)) {
            byte[] index = Files.readAllBytes(repo.indexFile());
            Object[][] cases = {
                {"untracked.npy", "u2.npy", "not tracked"},
                {"gone.safetensors", "g.safetensors", "not in the working folder"},
                {"a.safetensors", "other.safetensors", "already exists (-f replaces a file)"},
                {"a.safetensors", "sub/b.npy", "already exists"},
                {"a.safetensors", "a.npz", "a .npz name for the safetensors file"},
                {"a.safetensors", "a.txt", "not a weight file name"},
                {"a.safetensors", "nofolder/a.safetensors", "its folder does not exist"},
                {"sub", "sub/inner", "cannot be moved into itself"},
                {"a.safetensors", "a.safetensors", "is already there"},
                {"a.safetensors", "../outside.safetensors", "outside the repository"},
                {"a.safetensors", ".coral/x.safetensors", "inside .coral"},
                {".", "elsewhere", "cannot be moved"},
                {"a.safetensors", "linked/a.safetensors", "beyond a symbolic link"},
            };
            for (Object[] c : cases) {
                BadInputException e = assertThrows(BadInputException.class,
                        () -> repo.move(List.of(dir.resolve((String) c[0])), dir.resolve((String) c[1]), false), c[0] + " -> " + c[1]);
                assertTrue(e.getMessage().contains((String) c[2]), c[0] + " -> " + c[1] + ": " + e.getMessage());
            }
            BadInputException several = assertThrows(BadInputException.class,
                    () -> repo.move(List.of(dir.resolve("a.safetensors"), dir.resolve("sub/b.npy")), dir.resolve("new.npy"), false));
            assertTrue(several.getMessage().contains("not a folder"), several.getMessage());
            BadInputException twice = assertThrows(BadInputException.class,
                    () -> repo.move(List.of(dir.resolve("sub/b.npy"), dir.resolve("sub/b.npy")), dir.resolve("."), false));
            assertTrue(twice.getMessage().contains("another source goes to 'b.npy' too"), twice.getMessage());
            assertArrayEquals(index, Files.readAllBytes(repo.indexFile()), "the index is untouched");
            assertArrayEquals(a, Files.readAllBytes(dir.resolve("a.safetensors")));
            assertArrayEquals(b, Files.readAllBytes(dir.resolve("sub/b.npy")));
            try (var left = Files.list(outside)) {
                assertEquals(0, left.count(), "nothing went through the link");
            }

            Files.delete(dir.resolve("sub/b.npy")); // staged, its file gone: its folder stays, as git's "bad source"; as a destination, replaced
            BadInputException gone = assertThrows(BadInputException.class, () -> repo.move(List.of(dir.resolve("sub")), dir.resolve("sub2"), true));
            assertTrue(gone.getMessage().startsWith("sub/b.npy: staged but not in the working folder"), gone.getMessage());
            TestModels.writeNpy(dir.resolve("c.npy"), TestModels.randomTensors(5, 1, 30).get(0));
            repo.add(List.of(dir.resolve("c.npy")));
            ObjectId c = staged(repo).get("c.npy");
            repo.move(List.of(dir.resolve("c.npy")), dir.resolve("sub/b.npy"), false);
            assertEquals(c, staged(repo).get("sub/b.npy"));
            repo.move(List.of(dir.resolve("sub/b.npy")), dir.resolve("b.npy"), false);

            repo.move(List.of(dir.resolve("a.safetensors")), dir.resolve("other.safetensors"), true);
            assertArrayEquals(a, Files.readAllBytes(dir.resolve("other.safetensors")), "-f: a file replaces a file");
            assertEquals(List.of("b.npy", "other.safetensors"), List.copyOf(staged(repo).keySet()));
        }
    }
}
