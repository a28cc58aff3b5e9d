package dev.coral.cli;

import dev.coral.api.Repository;
import dev.coral.store.ObjectId;
import java.io.PrintStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code coral branch}, {@code coral branch [-f] NAME [START]}, {@code coral branch -d|-D NAME},
 * {@code coral branch -m|-M [OLD] NEW}.
 */
@Command(name = "branch", description = {
    "List, create, move, rename or delete branches.",
    "Without NAME: list branches, * marking the current one. With NAME: create it at START (default: "
        + "HEAD); with -f, also move an existing one there (not the branch HEAD is on: that is coral reset). "
        + "With -d NAME: delete it, unless no other branch, tag or HEAD reaches its commits (git's -d asks only whether HEAD "
        + "reaches them; as in git, -D or -d -f forces). "
        + "With -m [OLD] NEW: rename OLD (default: the current branch) to NEW, HEAD following; -M replaces a branch NEW."})
final class BranchCommand extends Subcommand {
    @Option(names = {"-d", "--delete"}, description = "Delete branch NAME, if another branch, tag or HEAD reaches its commits.")
    boolean delete;

    @Option(names = "-D", description = "Delete branch NAME even if its commits are left to gc.")
    boolean forceDelete;

    @Option(names = {"-f", "--force"}, description = "Create NAME at START even if it exists (moving it); with -d, delete as -D.")
    boolean force;

    @Option(names = {"-m", "--move"}, description = "Rename branch OLD (default: the current one) to NEW.")
    boolean move;

    @Option(names = "-M", description = "Rename, replacing a branch named NEW.")
    boolean forceMove;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "Branch to create, move or delete (with -m: OLD, or NEW alone).")
    String name;

    @Parameters(index = "1", arity = "0..1", paramLabel = "START", description = "Where the branch starts (with -m: NEW). Default: HEAD.")
    String start;

    @Override
    int execute() throws Exception {
        try (Repository repo = openRepository()) {
            if ((delete || forceDelete) && (move || forceMove)) {
                throw usage("-d and -m are alternatives");
            }
            if (move || forceMove) {
                if (name == null) {
                    throw usage((forceMove ? "-M" : "-m") + " takes [OLD] NEW");
                }
                String from = start == null ? repo.currentBranch() : name;
                if (from == null) {
                    throw new dev.coral.error.BadInputException("HEAD is detached: name the branch to rename (coral branch -m OLD NEW)");
                }
                repo.renameBranch(from, start == null ? name : start, forceMove || force);
                return 0;
            }
            if (delete || forceDelete) {
                if (name == null || start != null) {
                    throw usage((forceDelete ? "-D" : "-d") + " takes exactly one branch NAME");
                }
                ObjectId tip = repo.branchTip(name);
                repo.deleteBranch(name, forceDelete || force);
                out().println("Deleted branch " + name + (tip == null ? "" : " (was " + Text.shortId(tip) + ")"));
                return 0;
            }
            if (name != null) {
                if (start != null) {
                    warnIfAmbiguous(repo, start);
                }
                if (force) {
                    repo.forceBranch(name, start == null ? "HEAD" : start);
                } else {
                    repo.createBranch(name, start == null ? "HEAD" : start);
                }
                return 0;
            }
            if (force) {
                throw usage("-f takes a branch NAME");
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
