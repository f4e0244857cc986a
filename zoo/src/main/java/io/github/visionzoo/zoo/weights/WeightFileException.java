package io.github.visionzoo.zoo.weights;

/**
 * A weight file that cannot be read: a malformed file, an unsupported format or data type, or a pickle that asks for
 * anything beyond a state dict (which is refused, never executed). Its message names the file and what is wrong.
 */
public class WeightFileException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public WeightFileException(String message) {
        super(message);
    }

    public WeightFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
