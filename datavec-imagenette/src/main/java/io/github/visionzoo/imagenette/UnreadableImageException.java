package io.github.visionzoo.imagenette;

import java.io.IOException;
import java.nio.file.Path;

/** A file that is not a decodable image: empty, truncated, corrupt or of an unknown format. */
public class UnreadableImageException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String reason;

    public UnreadableImageException(Path file, String reason) {
        this(file, reason, null);
    }

    public UnreadableImageException(Path file, String reason, Throwable cause) {
        super((file == null ? "image" : file.toString()) + ": " + reason, cause);
        this.file = file;
        this.reason = reason;
    }

    /** The file, or {@code null} for in-memory data. */
    public Path file() {
        return file;
    }

    /** Why it cannot be read, without the file name. */
    public String reason() {
        return reason;
    }
}
