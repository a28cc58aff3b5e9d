package dev.coral.cli;

import dev.coral.api.Repository;
import dev.coral.store.ObjectId;
import java.io.PrintStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code coral branch}, {@code coral branch NAME [START]}, {@code coral branch -d|-D NAME}. */
@Command(name = "branch", description = {
    "List, create or delete branches.",
    "Without NAME: list branches, * marking the current one. With NAME: create it at START (default: "
        + "HEAD). With -d NAME: delete it, unless no other branch, tag or HEAD reaches its commits (as git's, -D forces)."})
final class BranchCommand extends Subcommand {
    @Option(names = {"-d", "--delete"}, description = "Delete branch NAME, if another branch, tag or HEAD reaches its commits.")
    boolean delete;

    @Option(names = "-D", description = "Delete branch NAME even if its commits are left to gc.")
    boolean forceDelete;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "Branch to create or delete.")
    String name;

    @Parameters(index = "1", arity = "0..1", paramLabel = "START", description = "Where the new branch starts. Default: HEAD.")
    String start;

    @Override
    int execute() throws Exception {
        try (Repository repo = openRepository()) {
            if (delete || forceDelete) {
                if (name == null || start != null) {
                    throw usage((forceDelete ? "-D" : "-d") + " takes exactly one branch NAME");
                }
                ObjectId tip = repo.branchTip(name);
                repo.deleteBranch(name, forceDelete);
                out().println("Deleted branch " + name + (tip == null ? "" : " (was " + Text.shortId(tip) + ")"));
                return 0;
            }
            if (name != null) {
                repo.createBranch(name, start == null ? "HEAD" : start);
                return 0;
            }
            PrintStream out = out();
            String current = repo.currentBranch();
            if (current == null) {
                ObjectId head = repo.headCommit();
                out.println("* (HEAD detached at " + (head == null ? "nothing" : Text.shortId(head)) + ")");
            }
            for (String b : repo.branches()) {
                out.println((b.equals(current) ? "* " : "  ") + b);
            }
        }
        return 0;
    }
}
