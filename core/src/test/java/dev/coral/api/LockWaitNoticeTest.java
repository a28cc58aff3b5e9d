package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.io.RepositoryLock;
import dev.coral.testutil.OwnThread;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A lock another process holds (a Coral command stopped with Ctrl-Z) is waited for without end;
 * after a second the waiting thread's notice hears which lock it waits for (found by fuzzing: add,
 * commit, checkout, config and gc waited in silence), and the wait ends when the holder lets go.
 */
class LockWaitNoticeTest {
    @TempDir
    Path dir;

    /** Holds {@code LOCKS/index.lock} until its standard input closes. */
    public static final class Holder {
        private Holder() {
        }

        public static void main(String[] args) throws Exception {
            try (RepositoryLock.Held held = new RepositoryLock(Path.of(args[0]), "index").lock()) {
                System.out.println("held");
                System.out.flush();
                while (System.in.read() >= 0) {
                    // until the parent closes the pipe
                }
            }
        }
    }

    /** A thread that takes {@code LOCKS/index.lock}, its long waits told to {@code notices}, then lets it go. */
    private static CompletableFuture<Void> waiter(Path locks, List<String> notices) {
        return CompletableFuture.runAsync(() -> {
            RepositoryLock.noticeWaits(notices::add);
            try (RepositoryLock.Held h = new RepositoryLock(locks, "index").lock()) {
                // taken once the holder lets go
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            } finally {
                RepositoryLock.noticeWaits(null);
            }
        }, OwnThread.EACH);
    }

    private static void awaitNotice(List<String> notices) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (notices.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    @Test
    void aLongWaitForALockAnotherProcessHoldsIsToldAndEndsWhenItIsReleased() throws Exception {
        Path locks = dir.resolve("locks");
        Process holder = CrashCommitChild.childJvm(Holder.class, locks).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("held", out.readLine());
            List<String> notices = new CopyOnWriteArrayList<>();
            CompletableFuture<Void> waiter = waiter(locks, notices);
            awaitNotice(notices);
            assertEquals(1, notices.size(), "told once: " + notices);
            assertTrue(notices.get(0).contains("index.lock") && notices.get(0).contains("another process holds"), notices.get(0));
            assertTrue(!waiter.isDone(), "still waiting");
            holder.getOutputStream().close();
            waiter.get(30, TimeUnit.SECONDS);
        } finally {
            holder.destroy();
            holder.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * The same when another thread of this JVM holds it: in the daemon, another caller's command
     * (its commands waited in silence where their own JVMs said why; found by fuzzing the daemon).
     */
    @Test
    void aLongWaitForALockAnotherThreadHoldsIsToldOnceToo() throws Exception {
        Path locks = dir.resolve("locks");
        java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        CompletableFuture<Void> holder = CompletableFuture.runAsync(() -> {
            try (RepositoryLock.Held h = new RepositoryLock(locks, "index").lock()) {
                held.countDown();
                release.await();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, OwnThread.EACH);
        held.await(30, TimeUnit.SECONDS);
        List<String> notices = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> waiter = waiter(locks, notices);
        awaitNotice(notices);
        assertEquals(1, notices.size(), "told: " + notices);
        assertTrue(notices.get(0).contains("index.lock") && notices.get(0).contains("another process holds"), notices.get(0));
        assertTrue(!waiter.isDone(), "still waiting");
        release.countDown();
        waiter.get(30, TimeUnit.SECONDS);
        holder.get(30, TimeUnit.SECONDS);
        assertEquals(1, notices.size(), "told once");
    }
}
