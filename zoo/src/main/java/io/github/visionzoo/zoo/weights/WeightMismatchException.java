package io.github.visionzoo.zoo.weights;

import java.util.List;

/**
 * A weight file that does not fit the model: every missing, unexpected and wrongly shaped tensor, listed together.
 * Nothing was loaded.
 */
public class WeightMismatchException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final List<String> missing;
    private final List<String> unexpected;
    private final List<String> wrongShape;

    public WeightMismatchException(String what, List<String> missing, List<String> unexpected,
                                   List<String> wrongShape) {
        super(message(what, missing, unexpected, wrongShape));
        this.missing = List.copyOf(missing);
        this.unexpected = List.copyOf(unexpected);
        this.wrongShape = List.copyOf(wrongShape);
    }

    /** The model's tensors that the file lacks, each with the shape the model expects. */
    public List<String> missing() {
        return missing;
    }

    /** The file's tensors that the model has no place for, each with its shape. */
    public List<String> unexpected() {
        return unexpected;
    }

    /** Tensors in both whose shapes (or types) differ, each with both shapes. */
    public List<String> wrongShape() {
        return wrongShape;
    }

    private static String message(String what, List<String> missing, List<String> unexpected,
                                  List<String> wrongShape) {
        StringBuilder sb = new StringBuilder(what).append(": ")
                .append(missing.size()).append(" missing, ")
                .append(unexpected.size()).append(" unexpected, ")
                .append(wrongShape.size()).append(" wrongly shaped tensor")
                .append(missing.size() + unexpected.size() + wrongShape.size() == 1 ? "" : "s");
        missing.forEach(m -> sb.append("\n  missing:     ").append(m));
        unexpected.forEach(m -> sb.append("\n  unexpected:  ").append(m));
        wrongShape.forEach(m -> sb.append("\n  wrong shape: ").append(m));
        return sb.toString();
    }
}
