package dev.coral.perf.stress;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Scenario 3: one large fp32 tensor (4 GiB at {@code --scale large}, 256 MiB / 1 GiB below),
 * generated on the fly, committed and read back in a child JVM with {@code -Xmx256m}. Skipped
 * with a message when the disk lacks room.
 */
public final class LargeTensorScenario implements Scenario {
    @Override
    public String id() {
        return "large";
    }

    @Override
    public ScenarioReport run(Context ctx) throws Exception {
        long bytes = ctx.scale().largeTensorBytes();
        ScenarioReport rep = new ScenarioReport(id(), "Large tensor");
        Path dir = ctx.dir("large");
        long usable = Files.getFileStore(dir).getUsableSpace();
        long need = bytes * 3 + (1L << 30);
        if (usable < need) {
            return rep.skipped(String.format(java.util.Locale.ROOT, "needs %.1f GB free under %s (raw file, its copy, the repository), has %.1f GB",
                    need / 1e9, dir, usable / 1e9));
        }
        Map<String, String> f = ChildJvm.run(ctx.work().resolve("large.log"), "256m", LargeTensorChild.class, dir.toString(), String.valueOf(bytes));
        double commit = d(f, "commit_seconds");
        double read = d(f, "read_seconds");
        long coral = Long.parseLong(f.get("coral_bytes"));
        long z3 = Long.parseLong(f.get("zstd3_bytes"));
        Table t = rep.table(new Table(String.format(java.util.Locale.ROOT, "One fp32 tensor of %s (%d MiB) generated on the fly, child JVM with -Xmx256m",
                Fmt.mb(bytes), bytes >> 20), "figure", "Coral", "baseline (same run, same bytes)"));
        t.row("**commit MB/s** (stageTensors + commit)", Fmt.mbps(bytes, commit), "Files.copy+fsync " + Fmt.mbps(bytes, d(f, "copy_seconds"))
                + ", generate+write+fsync " + Fmt.mbps(bytes, d(f, "generate_write_seconds")));
        t.row("**read back MB/s** (the tensor's stream drained; the JVM's first read: its decoders compile meanwhile)", Fmt.mbps(bytes, read), "SHA-256 " + Fmt.mbps(bytes, d(f, "sha256_seconds")));
        t.row("read again (decoders compiled) and compared with the generator's bytes, MB/s", Fmt.mbps(bytes, d(f, "compare_seconds")),
                "the generator's hash per element included (until 2026-12-02 the read figure was this pass, cold: 189 MB/s)");
        t.row("stored (.coral) / ratio", Fmt.mb(coral) + " / " + Fmt.ratio((double) bytes / coral), "zstd -3 streamed: " + Fmt.mb(z3) + " / "
                + Fmt.ratio((double) bytes / z3) + " at " + Fmt.mbps(bytes, d(f, "zstd3_seconds")));
        t.row("peak RSS (VmHWM) after commit / after read", Fmt.mb(Long.parseLong(f.get("rss_after_commit"))) + " / "
                + Fmt.mb(Long.parseLong(f.get("rss_after_read"))), "after the baselines alone: " + Fmt.mb(Long.parseLong(f.get("rss_after_baselines"))));
        t.row("heap after GC, after commit / after read", Fmt.mb(Long.parseLong(f.get("heap_after_commit"))) + " / "
                + Fmt.mb(Long.parseLong(f.get("heap_after_read"))), "-Xmx256m");
        rep.note("Staging from memory streams the tensor twice (once for the safetensors header and file hash, once to store it); both passes are in the commit time, the generator's cost too.");
        rep.note("zstd -19 is not run at this size (a few MB/s).");
        rep.headline("large tensor " + Fmt.mb(bytes) + ": commit / read MB/s (-Xmx256m)", Fmt.f(bytes / 1e6 / commit) + " / " + Fmt.f(bytes / 1e6 / read),
                "Files.copy+fsync " + Fmt.f(bytes / 1e6 / d(f, "copy_seconds")) + ", SHA-256 " + Fmt.f(bytes / 1e6 / d(f, "sha256_seconds")));
        rep.headline("large tensor: peak RSS", Fmt.mb(Long.parseLong(f.get("rss_after_read"))), "baselines alone " + Fmt.mb(Long.parseLong(f.get("rss_after_baselines"))));
        f.forEach(rep::figure);
        return rep;
    }

    private static double d(Map<String, String> f, String k) {
        return Double.parseDouble(f.get(k));
    }
}
