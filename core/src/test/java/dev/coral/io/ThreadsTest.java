package dev.coral.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Threads that cannot start ({@code ulimit -u}): the JVM's refusal is told from other errors, and
 * work submitted then runs in the caller or is left undone, as its caller chooses. The refusal is
 * made here by a thread factory that throws what {@code Thread.start} throws then.
 */
class ThreadsTest {
    private static final String REFUSAL = "unable to create native thread: possibly out of memory or process/resource limits reached";

    private static ExecutorService refusing() {
        return Executors.newSingleThreadExecutor(r -> {
            throw new OutOfMemoryError(REFUSAL);
        });
    }

    @Test
    void theRefusalIsToldFromOtherErrors() {
        OutOfMemoryError refusal = new OutOfMemoryError(REFUSAL);
        assertTrue(Threads.couldNotStart(refusal));
        assertTrue(Threads.couldNotStart(new ExecutionException(refusal)));
        assertTrue(Threads.couldNotStart(new IOException("commit", new RuntimeException(refusal))));
        assertTrue(Threads.couldNotStart(new OutOfMemoryError("unable to create new native thread"))); // older JDKs' words
        assertFalse(Threads.couldNotStart(new OutOfMemoryError("Java heap space")));
        assertFalse(Threads.couldNotStart(new IllegalStateException("native thread")));
        assertFalse(Threads.couldNotStart(null));
        assertTrue(Threads.advice().contains("ulimit -u"), Threads.advice());
    }

    @Test
    void workSubmittedWhenNoThreadStartsRunsInTheCaller() throws Exception {
        ExecutorService pool = refusing();
        try {
            AtomicReference<Thread> ranOn = new AtomicReference<>();
            assertNull(Threads.trySubmit(pool, () -> 1), "trySubmit leaves it undone");
            Future<Integer> f = Threads.submitOrRun(pool, () -> {
                ranOn.set(Thread.currentThread());
                return 42;
            });
            assertTrue(f.isDone(), "done when submitOrRun returns");
            assertEquals(42, f.get());
            assertSame(Thread.currentThread(), ranOn.get());
            Future<Object> failed = Threads.submitOrRun(pool, () -> {
                throw new IOException("disk");
            });
            ExecutionException e = assertThrows(ExecutionException.class, failed::get);
            assertEquals("disk", e.getCause().getMessage(), "its failure kept in the future, as a thread's would be");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void otherErrorsOfTheFactoryAreNotSwallowed() {
        ExecutorService pool = Executors.newSingleThreadExecutor(r -> {
            throw new OutOfMemoryError("Java heap space");
        });
        try {
            assertThrows(OutOfMemoryError.class, () -> Threads.trySubmit(pool, () -> 1));
            assertThrows(OutOfMemoryError.class, () -> Threads.submitOrRun(pool, () -> 1));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void workSubmittedWhereThreadsStartRunsOnThem() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Thread> f = Threads.submitOrRun(pool, Thread::currentThread);
            assertFalse(f.get() == Thread.currentThread());
            Thread t = new Thread(() -> { });
            assertTrue(Threads.tryStart(t));
            t.join();
        } finally {
            pool.shutdownNow();
        }
    }
}
