package dev.coral.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The value of an {@link OverlappedTask}, aside or in line: the same value, the same failure, and no work left running after close. */
class OverlappedTaskTest {
    @Test
    void asideRunsOnItsOwnThreadBeforeTheValueIsAskedFor() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        try (OverlappedTask<Integer> t = new OverlappedTask<>(() -> {
            ranOn.set(Thread.currentThread());
            started.countDown();
            return 42;
        }, true, "coral-test-task", "the test task")) {
            assertTrue(started.await(30, TimeUnit.SECONDS), "the task never started on its thread");
            assertEquals("coral-test-task", ranOn.get().getName());
            assertEquals(42, t.result());
            assertEquals(42, t.result(), "a second call gives the same value");
        }
    }

    @Test
    void inLineRunsWhenTheValueIsAskedFor() throws IOException {
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        try (OverlappedTask<Integer> t = new OverlappedTask<>(() -> {
            ranOn.set(Thread.currentThread());
            return 42;
        }, false, "coral-test-task", "the test task")) {
            assertNull(ranOn.get());
            assertEquals(42, t.result());
            assertSame(Thread.currentThread(), ranOn.get());
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void rethrowsTheFailureAsThrown(boolean aside) {
        IOException io = new IOException("disk gone");
        try (OverlappedTask<Integer> t = new OverlappedTask<>(() -> {
            throw io;
        }, aside, "coral-test-task", "the test task")) {
            assertSame(io, assertThrows(IOException.class, t::result));
        }
        UncheckedIOException unchecked = new UncheckedIOException(io);
        try (OverlappedTask<Integer> t = new OverlappedTask<>(() -> {
            throw unchecked;
        }, aside, "coral-test-task", "the test task")) {
            assertSame(unchecked, assertThrows(UncheckedIOException.class, t::result));
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void closeWithoutAskingWaitsForTheThread(boolean aside) {
        AtomicBoolean done = new AtomicBoolean();
        try (OverlappedTask<Integer> t = new OverlappedTask<>(() -> {
            Thread.sleep(200);
            done.set(true);
            return 1;
        }, aside, "coral-test-task", "the test task")) {
            assertTrue(t != null);
        }
        // aside: the thread ran to its end before close returned; in line: nothing ever ran
        assertEquals(aside, done.get());
    }
}
