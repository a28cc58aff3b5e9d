package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.repo.WorkTreeLeftovers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkout that died between setting the old file aside and renaming the new one in leaves the
 * old file as {@code .tmp-NAME-UUID} and the name missing: status shows the file deleted, and the
 * next checkout restores it and removes the leftover (and one of a new file partly written), but
 * not one written in the last minute, nor any other file.
 */
class CheckoutLeftoversTest {
    @TempDir
    Path dir;

    private Path leftover(String name, long ageMillis) throws IOException {
        Path p = dir.resolve(".tmp-" + name + "-" + UUID.randomUUID());
        Files.write(p, new byte[1000]);
        Files.setLastModifiedTime(p, FileTime.fromMillis(System.currentTimeMillis() - ageMillis));
        return p;
    }

    /** A repository with a.safetensors and b.safetensors committed; returns a's path. */
    private Path committedAAndB() throws IOException {
        Path a = TestModels.writeSafetensors(dir.resolve("a.safetensors"), TestModels.randomTensors(1, 3, 5000));
        Path b = TestModels.writeSafetensors(dir.resolve("b.safetensors"), TestModels.randomTensors(2, 3, 5000));
        try (Repository repo = Repository.init(dir)) {
            repo.add(List.of(a, b));
            repo.commit(CommitRequest.of("one"));
        }
        return a;
    }

    @Test
    void theNextCheckoutRestoresTheFileAndRemovesWhatTheDeadOneLeft() throws IOException {
        Path a = committedAAndB();
        try (Repository repo = Repository.open(dir)) {
            String committed = TestModels.sha256(a);
            // as a checkout killed between its two renames leaves it: the old file aside, the name free
            Path aside = dir.resolve(".tmp-a.safetensors-" + UUID.randomUUID());
            Files.move(a, aside);
            Files.setLastModifiedTime(aside, FileTime.fromMillis(System.currentTimeMillis() - 2 * WorkTreeLeftovers.MIN_AGE_MILLIS));
            Path partial = leftover("b.safetensors", 3_600_000); // a new file it was writing
            Path young = leftover("a.safetensors", 0); // an export -o writing now
            Path notOurs = dir.resolve(".tmp-a.safetensors-old");
            Files.write(notOurs, new byte[10]);
            Files.setLastModifiedTime(notOurs, FileTime.fromMillis(0));
            assertEquals(List.of(new Status.Change(Status.Kind.DELETED, "a.safetensors")), repo.status().notStaged(),
                    "the name is missing; the leftover is not shown");

            repo.checkout("HEAD", true);
            assertEquals(committed, TestModels.sha256(a), "restored");
            assertFalse(Files.exists(aside), "the old file set aside is gone");
            assertFalse(Files.exists(partial), "the partly written file is gone");
            assertTrue(Files.exists(young), "written in the last minute: kept");
            assertTrue(Files.exists(notOurs), "not a name Coral gives: kept");
            assertTrue(repo.status().notStaged().isEmpty());
        }
    }

    @Test
    void aCheckoutOfPathsRemovesTheLeftoversOfThosePathsOnly() throws IOException {
        Path a = committedAAndB();
        try (Repository repo = Repository.open(dir)) {
            Path ofA = leftover("a.safetensors", 3_600_000);
            Path ofB = leftover("b.safetensors", 3_600_000);
            repo.checkoutPaths("HEAD", List.of(a));
            assertFalse(Files.exists(ofA));
            assertTrue(Files.exists(ofB), "b was not checked out");
        }
    }

    @Test
    void statusListsTheLeftoversAMinuteOldAndGcRemovesThemWhateverItsGracePeriod() throws IOException {
        Path a = committedAAndB();
        Files.createDirectories(dir.resolve("sub"));
        try (Repository repo = Repository.open(dir)) {
            Path ofA = leftover("a.safetensors", 3_600_000);
            Path ofNew = dir.resolve("sub/.tmp-c.npy-" + UUID.randomUUID()); // a file of another commit, not tracked here
            Files.write(ofNew, new byte[3000]);
            Files.setLastModifiedTime(ofNew, FileTime.fromMillis(System.currentTimeMillis() - WorkTreeLeftovers.MIN_AGE_MILLIS));
            Path young = leftover("b.safetensors", 0);
            Path notWeights = leftover("notes.txt", 3_600_000);
            Path notOurs = dir.resolve(".tmp-a.safetensors-old");
            Files.write(notOurs, new byte[10]);
            Files.setLastModifiedTime(notOurs, FileTime.fromMillis(0));
            Path insideCoral = dir.resolve(".coral/.tmp-x.npy-" + UUID.randomUUID());
            Files.write(insideCoral, new byte[10]);
            Files.setLastModifiedTime(insideCoral, FileTime.fromMillis(0));

            Status s = repo.status();
            assertEquals(List.of(dir.relativize(ofA).toString(), "sub/" + ofNew.getFileName()), s.leftovers());
            assertTrue(s.isClean() && s.untracked().isEmpty(), "nothing else to say: " + s);

            var dry = Maintenance.gc(repo, true, java.time.Duration.ofDays(14));
            assertEquals(s.leftovers(), dry.removedWorkingLeftovers().stream().map(r -> r.file()).toList());
            assertEquals(1000 + 3000, dry.removedWorkingLeftovers().stream().mapToLong(r -> r.bytes()).sum());
            assertTrue(Files.exists(ofA) && Files.exists(ofNew), "a dry run removes nothing");

            var gc = Maintenance.gc(repo, false, java.time.Duration.ofDays(14));
            assertEquals(s.leftovers(), gc.removedWorkingLeftovers().stream().map(r -> r.file()).toList(),
                    "removed with the default two weeks' grace: nothing refers to them");
            assertFalse(Files.exists(ofA) || Files.exists(ofNew));
            for (Path kept : List.of(young, notWeights, notOurs, a)) {
                assertTrue(Files.exists(kept), kept + " kept");
            }
            assertEquals(List.of(), repo.status().leftovers());
            assertTrue(Maintenance.gc(repo, false, java.time.Duration.ZERO).removedWorkingLeftovers().isEmpty(), "nothing more");
        }
    }
}
