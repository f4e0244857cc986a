package io.github.visionzoo.imagenette;

/**
 * A data set folder that is not laid out as an image folder (the official Imagenette archives are one), or a
 * noisy-label table that does not match it. The message shows the expected layout and what was found.
 */
public class ImagenetteLayoutException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The expected layout, as shown in every message of this exception. */
    public static final String EXPECTED_LAYOUT = String.join("\n",
            "Expected an image folder as torchvision's ImageFolder reads it (the Imagenette archives are one):",
            "  ROOT/",
            "    train/<class>/*.jpg      one folder per class, at least 2, any names (labels in sorted order);",
            "                             .jpeg, .png, .bmp, .ppm, .pgm, .tif, .tiff, .webp too",
            "    val/<class>/*.jpg        the same class folders",
            "    noisy_imagenette.csv     (Imagenette only, optional; needed for label noise > 0)",
            "  Imagenette's <class> folders are its 10 WordNet ids, " + String.join(", ", Imagenette.WNIDS));

    public ImagenetteLayoutException(String problem) {
        super(problem + "\n" + EXPECTED_LAYOUT);
    }

    public ImagenetteLayoutException(String problem, Throwable cause) {
        super(problem + "\n" + EXPECTED_LAYOUT, cause);
    }
}
