package dev.coral.cli;

import dev.coral.api.Repository;
import dev.coral.repo.Commit;
import dev.coral.repo.FileEntry;
import dev.coral.repo.StoredTensor;
import dev.coral.repo.Tree;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code coral show [--json] REV[:PATH]}: a commit and its files' tensors with sizes. */
@Command(name = "show", description = {
    "Show a commit and its files' tensors with sizes.",
    "For each file (or only PATH): its format, its logical bytes (the file as committed, as 'coral stats' counts them) "
        + "and the bytes its tensors store, and per tensor: name, dtype, shape, logical bytes and "
        + "bytes stored (compressed, distinct chunks)."})
final class ShowCommand extends Subcommand {
    @Mixin
    JsonOption output;

    @Parameters(arity = "0..1", paramLabel = "REV[:PATH]", description = "A revision, optionally with one file path. Default: HEAD.")
    String target = "HEAD";

    /** One file of the commit with its tensors. */
    private record FileView(String path, FileEntry entry, List<TensorView> tensors) {
        /** The file as committed, as stats counts it (its tensors and the bytes around them: headers, zip, HDF5 metadata). */
        long logical() {
            return entry.fileSize();
        }

        long stored() {
            return tensors.stream().mapToLong(TensorView::stored).sum();
        }
    }

    private record TensorView(String name, String dtype, long[] shape, boolean fortran, long logical, long stored) {
    }

    @Override
    int execute() throws Exception {
        RevPath rp = RevPath.parse(target);
        try (Repository repo = openRepository()) {
            warnIfAmbiguous(repo, rp.rev());
            ObjectId id = repo.resolve(rp.rev());
            Commit commit = repo.readCommit(id);
            Tree tree = repo.readTree(id);
            List<String> paths;
            if (rp.path() != null) {
                if (!tree.files().containsKey(rp.path())) {
                    throw new dev.coral.error.BadInputException("'" + rp.path() + "' is not in " + rp.rev());
                }
                paths = List.of(rp.path());
            } else {
                paths = new ArrayList<>(tree.files().keySet());
            }
            List<FileView> files = new ArrayList<>();
            for (String p : paths) {
                files.add(view(repo, id, tree, p));
            }
            if (output.json) {
                Map<String, Object> m = CommitView.json(id, commit);
                List<Object> fl = new ArrayList<>();
                for (FileView f : files) {
                    Map<String, Object> fm = new LinkedHashMap<>();
                    fm.put("path", f.path());
                    fm.put("format", f.entry().format());
                    fm.put("fileSize", f.entry().fileSize());
                    fm.put("sha256", hex(f.entry().fileSha256()));
                    fm.put("logicalBytes", f.logical());
                    fm.put("storedBytes", f.stored());
                    fm.put("lossyEps", f.entry().isLossy() ? JsonWriter.number(f.entry().lossyEps()) : null);
                    fm.put("metadata", f.entry().metadata()); // {} when there is none, so every file has the same fields
                    List<Object> tl = new ArrayList<>();
                    for (TensorView t : f.tensors()) {
                        Map<String, Object> tm = new LinkedHashMap<>();
                        tm.put("name", t.name());
                        tm.put("dtype", t.dtype());
                        tm.put("shape", t.shape());
                        if (t.fortran()) {
                            tm.put("fortranOrder", true);
                        }
                        tm.put("logicalBytes", t.logical());
                        tm.put("storedBytes", t.stored());
                        tl.add(tm);
                    }
                    fm.put("tensors", tl);
                    fl.add(fm);
                }
                m.put("files", fl);
                out().println(JsonWriter.write(m));
                return 0;
            }
            PrintStream out = out();
            CommitView.printHeader(out, id, commit, null);
            for (FileView f : files) {
                out.println();
                printFile(out, f);
            }
        }
        return 0;
    }

    private static FileView view(Repository repo, ObjectId commit, Tree tree, String path) throws IOException {
        FileEntry entry = repo.readFileEntry(tree.files().get(path));
        List<TensorView> tensors = new ArrayList<>();
        for (StoredTensor t : repo.tensors(commit.hex(), path)) {
            tensors.add(new TensorView(t.name(), t.spec().dtype().name(), t.spec().shape().dims(),
                    t.spec().fortranOrder(), t.spec().byteSize(), t.storedBytes()));
        }
        return new FileView(path, entry, tensors);
    }

    private static void printFile(PrintStream out, FileView f) {
        out.println(Text.shown(f.path()) + "  (" + f.entry().format() + ", " + f.tensors().size()
                + (f.tensors().size() == 1 ? " tensor, " : " tensors, ") + Text.bytes(f.logical()) + " logical, "
                + Text.bytes(f.stored()) + " stored" + (f.entry().isLossy() ? ", lossy within " + f.entry().lossyEps() : "") + ")");
        int nameWidth = "TENSOR".length();
        int shapeWidth = "SHAPE".length();
        for (TensorView t : f.tensors()) {
            nameWidth = Math.max(nameWidth, Text.shown(t.name()).length());
            shapeWidth = Math.max(shapeWidth, shape(t).length());
        }
        out.println(row(nameWidth, shapeWidth, "TENSOR", "DTYPE", "SHAPE", "LOGICAL", "STORED"));
        for (TensorView t : f.tensors()) { // a row built whole, printed once: printf encoded and wrote each piece apart
            out.println(row(nameWidth, shapeWidth, Text.shown(t.name()), t.dtype(), shape(t), String.valueOf(t.logical()),
                    String.valueOf(t.stored())));
        }
    }

    /** A table row: name, dtype and shape padded on the right, the byte counts on the left. */
    private static String row(int nameWidth, int shapeWidth, String name, String dtype, String shape, String logical, String stored) {
        StringBuilder sb = new StringBuilder(nameWidth + shapeWidth + 48).append("  ");
        padRight(sb, name, nameWidth).append("  ");
        padRight(sb, dtype, 11).append("  ");
        padRight(sb, shape, shapeWidth).append("  ");
        padLeft(sb, logical, 12).append("  ");
        return padLeft(sb, stored, 12).toString();
    }

    private static StringBuilder padRight(StringBuilder sb, String s, int width) {
        return sb.append(s).append(" ".repeat(Math.max(0, width - s.length())));
    }

    private static StringBuilder padLeft(StringBuilder sb, String s, int width) {
        return sb.append(" ".repeat(Math.max(0, width - s.length()))).append(s);
    }

    private static String shape(TensorView t) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < t.shape().length; i++) {
            sb.append(i == 0 ? "" : ",").append(t.shape()[i]);
        }
        return sb.append(']').append(t.fortran() ? " F" : "").toString();
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder(b.length * 2);
        for (byte x : b) {
            sb.append(Character.forDigit((x >> 4) & 15, 16)).append(Character.forDigit(x & 15, 16));
        }
        return sb.toString();
    }
}
