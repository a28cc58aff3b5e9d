package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.io.WriterGate;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writers' gate between this JVM and another process ({@link WriterGateChild}). */
class WriterGateProcessesTest {
    @TempDir
    Path dir;

    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        threads.shutdownNow();
    }

    /** A child process, its output read line by line on another thread (so that a read can time out). */
    private final class Child implements AutoCloseable {
        final Process process;
        final BufferedReader out;
        final OutputStream in;

        Child(String mode) throws IOException {
            process = CrashCommitChild.childJvm(WriterGateChild.class, dir, mode)
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            in = process.getOutputStream();
        }

        Future<String> nextLine() {
            return threads.submit(out::readLine);
        }

        void say() throws IOException {
            in.write('\n');
            in.flush();
        }

        @Override
        public void close() throws Exception {
            in.close();
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "child did not end");
            assertEquals(0, process.exitValue(), "child exit code");
        }
    }

    /** Lets go of a hold at once, on the thread that took it. */
    private static Void pass(WriterGate.Held held) throws IOException {
        held.close();
        return null;
    }

    @Test
    void aCollectorHereWaitsForAWriterInAnotherProcess() throws Exception {
        WriterGate gate = new WriterGate(dir.resolve(".coral/locks"));
        try (Child writer = new Child("enter")) {
            assertEquals("HELD", writer.nextLine().get(60, TimeUnit.SECONDS));
            Future<?> shut = threads.submit(() -> pass(gate.shut()));
            assertThrows(TimeoutException.class, () -> shut.get(300, TimeUnit.MILLISECONDS), "shut while another process writes");
            writer.say();
            assertEquals("DONE", writer.nextLine().get(60, TimeUnit.SECONDS));
            shut.get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void aWriterHereWaitsWhileAnotherProcessHasTheGateShut() throws Exception {
        WriterGate gate = new WriterGate(dir.resolve(".coral/locks"));
        try (Child collector = new Child("shut")) {
            assertEquals("HELD", collector.nextLine().get(60, TimeUnit.SECONDS));
            Future<?> enter = threads.submit(() -> pass(gate.enter()));
            assertThrows(TimeoutException.class, () -> enter.get(300, TimeUnit.MILLISECONDS), "entered a gate another process shut");

            // A writer interrupted while it waits at the door gives up and leaves nothing behind.
            Future<?> interrupted = threads.submit(() -> pass(gate.enter()));
            Thread.sleep(100);
            interrupted.cancel(true);

            collector.say();
            assertEquals("DONE", collector.nextLine().get(60, TimeUnit.SECONDS));
            enter.get(60, TimeUnit.SECONDS);
        }
        gate.shut().close();
    }

    @Test
    void writersOverlappingInAnotherProcessDoNotStarveACollectorHere() throws Exception {
        WriterGate gate = new WriterGate(dir.resolve(".coral/locks"));
        try (Child writers = new Child("stream")) {
            assertEquals("STARTED", writers.nextLine().get(60, TimeUnit.SECONDS));
            for (int round = 0; round < 5; round++) {
                Thread.sleep(50);
                threads.submit(() -> pass(gate.shut())).get(60, TimeUnit.SECONDS);
            }
            writers.say();
            String passes = writers.nextLine().get(60, TimeUnit.SECONDS);
            assertTrue(passes.startsWith("PASSES ") && Long.parseLong(passes.substring(7)) > 0, passes);
        }
    }
}
