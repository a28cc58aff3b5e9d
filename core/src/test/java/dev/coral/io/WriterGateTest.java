package dev.coral.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writers' gate within one JVM (across processes: {@code api.WriterGateProcessesTest}). */
class WriterGateTest {
    @TempDir
    Path dir;

    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        threads.shutdownNow();
    }

    /** A thread that takes a pass or a hold, keeps it until released, and lets go of it itself. */
    private final class Holder {
        final CountDownLatch held = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final Future<?> done;

        Holder(java.util.concurrent.Callable<WriterGate.Held> take) {
            done = threads.submit(() -> {
                try (WriterGate.Held h = take.call()) {
                    held.countDown();
                    release.await();
                }
                return null;
            });
        }

        boolean heldWithin(long millis) throws InterruptedException {
            return held.await(millis, TimeUnit.MILLISECONDS);
        }

        void release() throws Exception {
            release.countDown();
            done.get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aCollectorWaitsForTheWritersInsideAndKeepsNewOnesOut() throws Exception {
        WriterGate gate = new WriterGate(dir);
        Holder first = new Holder(gate::enter);
        Holder second = new Holder(() -> new WriterGate(dir).enter()); // another handle on the same repository
        assertTrue(first.heldWithin(30_000) && second.heldWithin(30_000));
        Holder collector = new Holder(gate::shut);
        assertFalse(collector.heldWithin(200), "shut with writers inside");
        first.release();
        assertFalse(collector.heldWithin(200), "shut with a writer inside");
        second.release();
        assertTrue(collector.heldWithin(30_000));

        Holder late = new Holder(gate::enter);
        assertFalse(late.heldWithin(200), "entered a shut gate");
        collector.release();
        assertTrue(late.heldWithin(30_000));
        late.release();
    }

    @Test
    void enteringIsReentrantAndAWriterCannotShutTheGateItIsIn() throws Exception {
        WriterGate gate = new WriterGate(dir);
        try (WriterGate.Held outer = gate.enter(); WriterGate.Held inner = gate.enter()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, gate::shut);
            assertTrue(e.getMessage().contains("writers-room.lock"), e.getMessage());
        }
        try (WriterGate.Held shut = gate.shut()) {
            assertThrows(IllegalStateException.class, gate::enter, "a collector writing through its own shut gate");
        }
        gate.enter().close();
    }

    @Test
    void overlappingWritersDoNotStarveACollector() throws Exception {
        WriterGate gate = new WriterGate(dir);
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger passes = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(4);
        List<Future<?>> writers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            writers.add(threads.submit(() -> {
                started.countDown();
                while (running.get()) {
                    try (WriterGate.Held in = gate.enter()) {
                        passes.incrementAndGet();
                        Thread.sleep(3);
                    }
                }
                return null;
            }));
        }
        started.await();
        for (int round = 0; round < 5; round++) {
            int before = passes.get();
            threads.submit(() -> {
                try (WriterGate.Held shut = gate.shut()) {
                    int inside = passes.get();
                    Thread.sleep(20);
                    assertEquals(inside, passes.get(), "a writer entered while the gate was shut");
                }
                return null;
            }).get(60, TimeUnit.SECONDS);
            while (passes.get() < before + 8) {
                Thread.sleep(1);
            }
        }
        running.set(false);
        for (Future<?> w : writers) {
            w.get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aWriterThatCannotEnterLeavesTheGateAsItWas() throws Exception {
        WriterGate gate = new WriterGate(dir);
        java.nio.file.Files.createDirectories(dir.resolve("writers-door.lock")); // a folder where the lock file goes
        Exception e = assertThrows(java.io.IOException.class, gate::enter);
        assertTrue(e.getMessage().contains("writers-door.lock"), e.getMessage());
        java.nio.file.Files.delete(dir.resolve("writers-door.lock"));
        gate.shut().close(); // no read hold was left behind
        gate.enter().close();
    }
}
