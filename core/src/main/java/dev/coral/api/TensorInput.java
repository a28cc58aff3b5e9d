package dev.coral.api;

import dev.coral.error.BadInputException;
import dev.coral.format.TensorSource;
import dev.coral.format.WeightFormats;
import dev.coral.repo.WorkTree;
import dev.coral.tensor.TensorSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Checks what training code hands {@link Repository#commitTensors} and
 * {@link Repository#commitTensorsAsync} before anything is read or stored, so that bad input is
 * one clear error naming the argument at fault, in the caller, rather than a bare
 * NullPointerException, an overflow, or a commit that cannot be checked out. Found by fuzzing the
 * Java API: a Fortran-order tensor and a path ending in {@code .npy} were committed as
 * safetensors files no checkout could write back; lone UTF-16 surrogates in names became
 * {@code ?}.
 */
final class TensorInput {
    private TensorInput() {
    }

    /** The repository path of a checkpoint given as {@code path} to commit with {@code request}; throws naming what is wrong. */
    static String check(String path, List<? extends TensorSource> tensors, Map<String, String> metadata, CommitRequest request)
            throws BadInputException {
        String repoPath = check(path, tensors, metadata);
        if (request == null) {
            throw new BadInputException(path + ": the commit request is null");
        }
        return repoPath;
    }

    /** The repository path of tensors given as {@code path} to stage; throws naming what is wrong. */
    static String check(String path, List<? extends TensorSource> tensors, Map<String, String> metadata) throws BadInputException {
        if (path == null) {
            throw new BadInputException("commitTensors: the path is null");
        }
        String repoPath = WorkTree.checkRepoPath(path);
        if (!WeightFormats.forPath(Path.of(repoPath.substring(repoPath.lastIndexOf('/') + 1))).map(f -> f.name().equals("safetensors"))
                .orElse(false)) {
            throw new BadInputException("'" + path + "': commitTensors writes a safetensors file, so its path ends in .safetensors");
        }
        if (tensors == null) {
            throw new BadInputException(path + ": the list of tensors is null");
        }
        if (metadata == null) {
            throw new BadInputException(path + ": the metadata map is null (give Map.of() for none)");
        }
        long total = 0;
        java.util.Set<String> names = new java.util.HashSet<>();
        for (int i = 0; i < tensors.size(); i++) {
            TensorSource t = tensors.get(i);
            if (t == null || t.name() == null || t.spec() == null) {
                throw new BadInputException(path + ": tensor " + i + (t == null ? " is null" : t.name() == null ? " has no name (null)"
                        : " ('" + t.name() + "') has no spec (null)"));
            }
            String what = path + ": tensor '" + t.name() + "'";
            requireUnicode(t.name(), what + ": its name");
            TensorSpec spec = t.spec();
            if (spec.dtype().safetensorsName().isEmpty()) {
                throw new BadInputException(what + ": dtype " + spec.dtype() + ", which a safetensors file cannot hold (commitTensors "
                        + "writes one)");
            }
            if (!names.add(t.name())) {
                throw new BadInputException(what + ": the name appears twice");
            }
            if (spec.fortranOrder()) {
                throw new BadInputException(what + ": in Fortran order, which a safetensors file cannot hold; give its bytes in C order");
            }
            try {
                total = Math.addExact(total, spec.byteSize());
            } catch (ArithmeticException | IllegalArgumentException e) {
                throw new BadInputException(what + ": " + (e instanceof ArithmeticException
                        ? "its bytes, or the tensors' together, are more bytes than fit in a long" : e.getMessage()));
            }
        }
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) {
                throw new BadInputException(path + ": metadata " + (e.getKey() == null ? "key" : "value of '" + e.getKey() + "'") + " is null");
            }
            requireUnicode(e.getKey(), path + ": metadata key");
            requireUnicode(e.getValue(), path + ": metadata value of '" + e.getKey() + "'");
        }
        return repoPath;
    }

    /** Refuses a string holding a lone UTF-16 surrogate: the file's UTF-8 header would hold '?' in its place. */
    private static void requireUnicode(String s, String what) throws BadInputException {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new BadInputException(what + " holds a lone UTF-16 surrogate (\\u" + String.format("%04x", (int) c)
                        + " at " + i + "), which UTF-8 cannot encode");
            }
        }
    }
}
