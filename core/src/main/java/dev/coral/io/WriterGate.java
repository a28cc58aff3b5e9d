package dev.coral.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Keeps writers of objects and collectors of objects apart, across threads of this JVM and across
 * processes. A writer ({@code add}, {@code commit}, ...) {@link #enter() enters} before it writes its
 * first object and leaves after the ref or staging index that names them has moved: until then
 * its objects are reachable from nothing. A collector ({@code gc}, {@code repack}) {@link #shut()
 * shuts} the gate for the moments in which it reads what is reachable and in which it deletes:
 * it waits for the writers inside to leave, and writers arriving meanwhile wait outside.
 *
 * <p>Across processes it is two OS locks, which die with their process: on
 * {@code .coral/locks/writers-door.lock} (the door) and {@code writers-room.lock} (the room). A
 * writer takes the door shared, the room shared, and lets go of the door; a collector takes the
 * door exclusive, then the room exclusive. The door keeps a stream of overlapping writers from
 * starving a collector (an exclusive lock waiting does not hold back new shared ones). In this
 * JVM one OS room lock stands for all threads inside, counted; a {@link ReentrantReadWriteLock}
 * keeps this JVM's collectors and writers apart; and every entering thread still passes the door,
 * so that a collector in another process is not starved by this JVM's threads either.
 *
 * <p>Each lock has a channel of its own, opened for it and closed to release it: a POSIX process
 * loses all its locks on a file when it closes any channel to that file, and a thread interrupted
 * in {@link FileChannel#lock} closes the channel it waits on. So door passes in this JVM go one at
 * a time, and the room's channel is opened by the first thread in and closed by the last out.
 *
 * <p>Locks are taken by polling ({@code tryLock}, then sleeps of up to {@value #MAX_POLL_MILLIS}
 * ms): see {@link #lock}.
 *
 * <p>Thread-safe; a pass or a hold belongs to the thread that took it. Entering is reentrant;
 * shutting is not, and a thread inside must not shut, nor enter the gate it shut.
 */
public final class WriterGate {
    private static final String DOOR_FILE = "writers-door.lock";
    private static final String ROOM_FILE = "writers-room.lock";
    private static final ConcurrentHashMap<Path, Shared> STATES = new ConcurrentHashMap<>();

    /** What this JVM holds of one repository's gate. */
    private static final class Shared {
        final Path door;
        final Path room;
        /** This JVM's writers (read) against its collectors (write). */
        final ReentrantReadWriteLock local = new ReentrantReadWriteLock();
        /** One door pass at a time in this JVM. */
        final ReentrantLock passing = new ReentrantLock();
        // guarded by this:
        FileChannel roomChannel;
        int inside;

        Shared(Path locksDir) {
            this.door = locksDir.resolve(DOOR_FILE);
            this.room = locksDir.resolve(ROOM_FILE);
        }

        /** Counts a thread in, the door being held shared; the first one in takes the room. */
        synchronized void admit() throws IOException {
            if (inside == 0) {
                FileChannel ch = open(room);
                try {
                    lock(ch, true);
                } catch (IOException | RuntimeException e) {
                    ch.close();
                    throw e;
                }
                roomChannel = ch;
            }
            inside++;
        }

        synchronized void leave() throws IOException {
            if (--inside == 0) {
                FileChannel ch = roomChannel;
                roomChannel = null;
                ch.close(); // releases the room lock
            }
        }
    }

    /** A writer's pass or a collector's hold; close to leave or to open the gate again. */
    public interface Held extends AutoCloseable {
        @Override
        void close() throws IOException;
    }

    private final Shared shared;

    public WriterGate(Path locksDir) {
        this.shared = STATES.computeIfAbsent(Folders.identity(locksDir), Shared::new);
    }

    private static FileChannel open(Path file) throws IOException {
        Folders.ensure(file.getParent());
        return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    /**
     * Takes the whole file's lock, waiting for it by polling: a blocking {@link FileChannel#lock}
     * fails with "Resource deadlock avoided" (EDEADLK) here, because the kernel sees processes, not
     * threads: a writer process holds the room (one thread inside) and waits at the door (another
     * thread arriving) while a collector holds the door and waits for the room.
     */
    private static void lock(FileChannel ch, boolean shared) throws IOException {
        lock(ch, shared, null);
    }

    /** As {@link #lock(FileChannel, boolean)}; runs {@code onWait} (if any) before the first wait. */
    private static void lock(FileChannel ch, boolean shared, Runnable onWait) throws IOException {
        long sleepMillis = 1;
        while (ch.tryLock(0, Long.MAX_VALUE, shared) == null) {
            if (onWait != null) {
                onWait.run();
                onWait = null;
            }
            try {
                Thread.sleep(sleepMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while waiting for the writers' gate");
            }
            sleepMillis = Math.min(2 * sleepMillis, MAX_POLL_MILLIS);
        }
    }

    /** The longest pause between two tries of a lock: how late a writer may notice the gate open. */
    private static final long MAX_POLL_MILLIS = 16;

    /**
     * Enters as a writer, waiting while a collector has the gate shut. Close the pass on the thread
     * that entered.
     */
    public Held enter() throws IOException {
        Shared s = shared;
        if (s.local.isWriteLockedByCurrentThread()) {
            throw new IllegalStateException(s.room + ": a collector cannot write through the gate it shut");
        }
        s.local.readLock().lock();
        if (s.local.getReadHoldCount() > 1) {
            return () -> s.local.readLock().unlock(); // already inside
        }
        try {
            s.passing.lock();
            try (FileChannel door = open(s.door)) {
                lock(door, true);
                s.admit();
            } finally {
                s.passing.unlock();
            }
        } catch (IOException | RuntimeException e) {
            s.local.readLock().unlock();
            throw e;
        }
        return () -> {
            try {
                s.leave();
            } finally {
                s.local.readLock().unlock();
            }
        };
    }

    /**
     * Shuts the gate: waits for every writer inside (in any process) to leave, and keeps new ones
     * out until the returned hold is closed, on the thread that shut it.
     */
    public Held shut() throws IOException {
        return shut(() -> { });
    }

    /**
     * As {@link #shut()}; runs {@code onWait} once if the gate cannot be shut at once (writers
     * are inside, here or in another process), before waiting: a command can say why it waits.
     */
    public Held shut(Runnable onWait) throws IOException {
        Shared s = shared;
        if (s.local.getReadHoldCount() > 0) {
            throw new IllegalStateException(s.room + ": a writer cannot shut the gate it is inside");
        }
        Runnable[] notice = {onWait};
        Runnable once = () -> {
            if (notice[0] != null) {
                notice[0].run();
                notice[0] = null;
            }
        };
        if (!s.local.writeLock().tryLock()) {
            once.run();
            s.local.writeLock().lock();
        }
        FileChannel door = null;
        FileChannel room = null;
        try {
            door = open(s.door);
            lock(door, false, once);
            room = open(s.room);
            lock(room, false, once);
        } catch (IOException | RuntimeException e) {
            closeBoth(room, door);
            s.local.writeLock().unlock();
            throw e;
        }
        FileChannel heldDoor = door;
        FileChannel heldRoom = room;
        return () -> {
            try {
                closeBoth(heldRoom, heldDoor);
            } finally {
                s.local.writeLock().unlock();
            }
        };
    }

    private static void closeBoth(FileChannel room, FileChannel door) throws IOException {
        try {
            if (room != null) {
                room.close();
            }
        } finally {
            if (door != null) {
                door.close();
            }
        }
    }
}
