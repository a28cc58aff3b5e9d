package dev.coral.perf.jmh;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A JMH auxiliary counter that turns a throughput benchmark's score into MB/s: a benchmark
 * method takes this state as a parameter and calls {@link #add(long)} with the bytes it
 * processed. JMH reports the field as a secondary result {@code <benchmark>:mb} in "ops/s",
 * which is MB (10^6 bytes) per second. Only meaningful with {@code Mode.Throughput}.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Throughput {
    /** MB (10^6 bytes) processed this iteration; reported per second. */
    public double mb;

    @Setup(Level.Iteration)
    public void reset() {
        mb = 0;
    }

    public void add(long bytes) {
        mb += bytes / 1e6;
    }
}
