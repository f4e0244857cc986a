package io.github.visionzoo.imagenette;

/**
 * A data set folder that is not laid out as the official Imagenette archives, or a noisy-label table that does not
 * match it. The message shows the expected layout and what was found.
 */
public class ImagenetteLayoutException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The expected layout, as shown in every message of this exception. */
    public static final String EXPECTED_LAYOUT = String.join("\n",
            "Expected the layout of the official archives (imagenette2, imagenette2-320, imagenette2-160):",
            "  ROOT/",
            "    train/<wnid>/*.JPEG      one folder per class, 10 classes",
            "    val/<wnid>/*.JPEG",
            "    noisy_imagenette.csv     (optional; needed for label noise > 0)",
            "  with <wnid> = " + String.join(", ", Imagenette.WNIDS));

    public ImagenetteLayoutException(String problem) {
        super(problem + "\n" + EXPECTED_LAYOUT);
    }

    public ImagenetteLayoutException(String problem, Throwable cause) {
        super(problem + "\n" + EXPECTED_LAYOUT, cause);
    }
}
