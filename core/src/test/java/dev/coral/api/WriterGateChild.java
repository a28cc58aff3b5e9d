package dev.coral.api;

import dev.coral.io.WriterGate;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A second process on a repository's writers' gate, driven through its standard input
 * ({@link WriterGateProcessesTest}). {@code enter} / {@code shut}: prints {@code HELD} once in or
 * shut, lets go at the next input line, prints {@code DONE}. {@code stream}: threads enter and
 * leave, always overlapping, until the input ends; prints {@code STARTED}, then the passes made.
 */
public final class WriterGateChild {
    private WriterGateChild() {
    }

    public static void main(String[] args) throws Exception {
        WriterGate gate = new WriterGate(Path.of(args[0]).resolve(".coral/locks"));
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        switch (args[1]) {
            case "enter", "shut" -> {
                try (WriterGate.Held held = args[1].equals("enter") ? gate.enter() : gate.shut()) {
                    System.out.println("HELD");
                    System.out.flush();
                    in.readLine();
                }
                System.out.println("DONE");
            }
            case "stream" -> {
                AtomicBoolean running = new AtomicBoolean(true);
                long[] passes = new long[3];
                List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < passes.length; t++) {
                    int k = t;
                    Thread th = new Thread(() -> {
                        while (running.get()) {
                            try (WriterGate.Held held = gate.enter()) {
                                passes[k]++;
                                Thread.sleep(2 + k);
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        }
                    });
                    th.start();
                    threads.add(th);
                }
                System.out.println("STARTED");
                System.out.flush();
                in.readLine();
                running.set(false);
                long total = 0;
                for (int t = 0; t < threads.size(); t++) {
                    threads.get(t).join();
                    total += passes[t];
                }
                System.out.println("PASSES " + total);
            }
            default -> throw new IllegalArgumentException(args[1]);
        }
        System.out.flush();
    }
}
