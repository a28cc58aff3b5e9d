package dev.coral.api;

import dev.coral.error.BadInputException;

/**
 * How {@link Repository#merge} settles a file changed on both sides since the merge base (a file
 * changed on one side only is taken from that side whatever the strategy): none (the merge
 * refuses, naming the files), {@code ours}, {@code theirs}, or a weighted mean of the two
 * versions' float tensors, {@code (1 - w) * ours + w * theirs} ({@code average}: w = 0.5).
 */
public record MergeStrategy(Kind kind, double weight) {
    /** The strategies. */
    public enum Kind { NONE, OURS, THEIRS, MEAN }

    public static final MergeStrategy NONE = new MergeStrategy(Kind.NONE, 0);

    public MergeStrategy {
        if (kind == null) {
            throw new IllegalArgumentException("kind is null");
        }
        if (kind == Kind.MEAN && !(weight >= 0 && weight <= 1)) {
            throw new IllegalArgumentException("weight " + weight + " is not in [0, 1]");
        }
    }

    /** {@code ours}, {@code theirs}, {@code average} or {@code weighted=W} with W in [0, 1] (theirs' share). */
    public static MergeStrategy parse(String text) throws BadInputException {
        if (text == null) {
            throw new BadInputException("--strategy: none given (ours, theirs, average or weighted=W)");
        }
        switch (text) {
            case "ours":
                return new MergeStrategy(Kind.OURS, 0);
            case "theirs":
                return new MergeStrategy(Kind.THEIRS, 1);
            case "average":
                return new MergeStrategy(Kind.MEAN, 0.5);
            default:
                break;
        }
        if (text.startsWith("weighted=")) {
            String w = text.substring("weighted=".length());
            double weight;
            try {
                weight = Double.parseDouble(w);
            } catch (NumberFormatException e) {
                weight = Double.NaN;
            }
            if (!w.isEmpty() && !Character.isLetter(w.charAt(w.length() - 1)) && weight >= 0 && weight <= 1) {
                return new MergeStrategy(Kind.MEAN, weight);
            }
            throw new BadInputException("--strategy=" + text + ": W must be a number from 0 (ours) to 1 (theirs), e.g. weighted=0.3");
        }
        throw new BadInputException("--strategy=" + text + ": unknown strategy (ours, theirs, average or weighted=W)");
    }

    @Override
    public String toString() {
        return switch (kind) {
            case NONE -> "none";
            case OURS -> "ours";
            case THEIRS -> "theirs";
            case MEAN -> weight == 0.5 ? "average" : "weighted=" + weight;
        };
    }
}
