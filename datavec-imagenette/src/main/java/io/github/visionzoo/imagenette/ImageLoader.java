package io.github.visionzoo.imagenette;

import io.github.visionzoo.imagenette.transform.FloatImage;
import io.github.visionzoo.imagenette.transform.Transform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decode + transform of one image, with counts of the images read and skipped, for {@link ImageBatcher}; thread-safe.
 */
final class ImageLoader {
    private static final Logger LOG = LoggerFactory.getLogger(ImageLoader.class);

    private final Transform transform;
    private final int size;
    private final AtomicLong read = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private final ConcurrentHashMap<Path, String> bad = new ConcurrentHashMap<>();

    ImageLoader(Transform transform, int size) {
        this.transform = transform;
        this.size = size;
    }

    int size() {
        return size;
    }

    /**
     * The transformed image, or {@code null} if the file cannot be decoded: then it is counted, and warned about the
     * first time only (a file found bad is not decoded again).
     */
    FloatImage load(Sample s, long seed, int epoch) {
        Path file = s.file();
        if (bad.containsKey(file)) {
            skipped.incrementAndGet();
            return null;
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            return skip(file, "cannot read the file (" + e + ")");
        }
        return load(bytes, file, s.index(), seed, epoch);
    }

    /**
     * The transformed image of in-memory file content, its augmentation seeded from (seed, epoch, {@code index}), or
     * {@code null} if it cannot be decoded (counted, and warned about once per {@code name}).
     *
     * @param name  the file, for messages
     * @param index the image's {@link Sample#index()}
     */
    FloatImage load(byte[] bytes, Path name, int index, long seed, int epoch) {
        if (bad.containsKey(name)) {
            skipped.incrementAndGet();
            return null;
        }
        FloatImage img;
        try {
            img = ImageDecoder.decode(bytes, name);
        } catch (UnreadableImageException e) {
            return skip(name, e.reason());
        }
        FloatImage out = transform.apply(img, new Random(Seeds.image(seed, epoch, index)));
        if (out.width() != size || out.height() != size) {
            throw new IllegalStateException("The transform made a " + out.width() + "x" + out.height() + " image of "
                    + name + ", expected " + size + "x" + size + "; the transform must end at the image size");
        }
        read.incrementAndGet();
        return out;
    }

    private FloatImage skip(Path file, String reason) {
        skipped.incrementAndGet();
        if (bad.putIfAbsent(file, reason) == null) {
            LOG.warn("Skipping unreadable image {}: {}", file, reason);
        }
        return null;
    }

    ReaderStats stats() {
        return new ReaderStats(read.get(), skipped.get(), bad);
    }
}
