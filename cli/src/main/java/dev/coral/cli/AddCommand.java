package dev.coral.cli;

import dev.coral.api.Repository;
import java.io.PrintStream;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code coral add PATH...}: stages weight files; folders recursively. */
@Command(name = "add", description = {
    "Stage weight files (.safetensors, .npy, .npz, .h5/.hdf5, .keras) for the next commit.",
    "Folders are searched recursively.",
    "A tracked path that no longer exists stages its removal (a deleted folder: each tracked file of it). All or nothing: on any error nothing is staged.",
    "A file whose size, modification time and status-change time (ctime) and inode are as when it was staged is not read again (as status trusts them), unless it was modified less than two seconds before the staging index was written (git's racy entries).",
    "A file another writer staged anew (its add or commit of it) from a newer version after this add read it is left as that writer staged it.",
    "A file replaced (renamed over) while it is read is read again, up to three times; one written over in place meanwhile is refused."})
final class AddCommand extends Subcommand {
    @Mixin
    QuietOption quiet;

    @Parameters(arity = "1..*", paramLabel = "PATH", description = "Files or folders to stage.")
    List<String> paths;

    @Override
    int execute() throws Exception {
        Repository.AddResult r;
        try (Repository repo = openRepository(); TerminalProgress progress = progress()) {
            r = repo.add(userPaths(paths), progress);
            warnOfPackUpkeep(repo);
        }
        StringBuilder sb = new StringBuilder();
        sb.append("staged ").append(Text.count(r.staged().size(), "file"));
        if (!r.unchanged().isEmpty()) {
            sb.append(" (").append(r.unchanged().size()).append(" unchanged)");
        }
        if (!r.removed().isEmpty()) {
            sb.append(", ").append(r.removed().size()).append(" removed");
        }
        if (!r.leftAsStaged().isEmpty()) {
            sb.append(", ").append(r.leftAsStaged().size()).append(" left as another writer staged ")
                    .append(r.leftAsStaged().size() == 1 ? "it" : "them");
        }
        sb.append(": ").append(Text.count(r.chunksWritten(), "chunk")).append(" written, ")
                .append(r.chunksDeduplicated()).append(" deduplicated, ")
                .append(Text.bytes(r.storedBytesWritten())).append(" stored for ")
                .append(Text.bytes(r.rawBytesWritten())).append(" new");
        out().println(sb);
        if (!quiet()) {
            PrintStream err = coral.session().err();
            r.keptAsBytes().forEach((path, names) -> err.println("note: " + path + ": kept as bytes with the file's layout (restored"
                    + " exactly, not deduplicated or delta-encoded): " + shortList(names)));
        }
        return 0;
    }

    /** The first few names, and how many more. */
    private static String shortList(List<String> names) {
        int shown = Math.min(names.size(), 5);
        String list = String.join(", ", names.subList(0, shown));
        return names.size() > shown ? list + " and " + (names.size() - shown) + " more" : list;
    }
}
