package io.github.visionzoo.imagenette.transform;

import java.util.Random;

/**
 * A crop of fixed size at a uniformly random position, as torchvision's {@code RandomCrop} without padding: top in
 * [0, H - h] and left in [0, W - w], both inclusive. This is the AlexNet paper's translation augmentation ("extracting
 * random 224 x 224 patches ... from the 256 x 256 images").
 */
public final class RandomCrop implements Transform {
    private final int size;

    public RandomCrop(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("Crop size must be positive, was " + size);
        }
        this.size = size;
    }

    /** The crop's {top, left} for an image of {@code w x h}; draws top first, then left, as torchvision. */
    public int[] params(int w, int h, Random random) {
        if (w < size || h < size) {
            throw new IllegalArgumentException("RandomCrop(" + size + ") of a smaller " + w + "x" + h + " image");
        }
        if (w == size && h == size) {
            return new int[] {0, 0};
        }
        int top = random.nextInt(h - size + 1);
        int left = random.nextInt(w - size + 1);
        return new int[] {top, left};
    }

    @Override
    public FloatImage apply(FloatImage image, Random random) {
        int[] p = params(image.width(), image.height(), random);
        return Resampler.crop(image, p[0], p[1], size, size);
    }

    @Override
    public String toString() {
        return "RandomCrop(" + size + ")";
    }
}
