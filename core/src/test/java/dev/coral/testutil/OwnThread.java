package dev.coral.testutil;

import java.util.concurrent.Executor;

/**
 * Runs each task on a new daemon thread of its own, for {@code CompletableFuture.runAsync(task,
 * OwnThread.EACH)} where a test's task blocks (holds a lock, serves, waits for a latch). Without an
 * executor a task runs in the common pool, which on 2 cores has one worker: JDK 17 gave each task
 * a thread of its own then, JDK 25 queues it behind the one running, so a blocked task starved
 * the next and the test waited for ever (found running the suite on Temurin 25).
 */
public final class OwnThread implements Executor {
    public static final Executor EACH = new OwnThread();

    private OwnThread() {
    }

    @Override
    public void execute(Runnable task) {
        Thread t = new Thread(task, "test-task");
        t.setDaemon(true);
        t.start();
    }
}
