package io.github.visionzoo.imagenette.transform;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * One step of an image pipeline, in the spirit of DataVec's {@code ImageTransform} and torchvision's transforms, over a
 * {@link FloatImage} (RGB, [3, H, W]).
 *
 * <p>All randomness comes from the {@link Random} passed in, so a transform is deterministic given the generator's
 * state: the loaders seed one generator per image from (seed, epoch, image index), which makes the output independent
 * of thread count and batch position. Implementations are stateless and thread-safe. A transform may modify its
 * input and return it, or return a new image; callers must use the returned image.
 */
@FunctionalInterface
public interface Transform {

    /** Transforms {@code image}, drawing any randomness from {@code random}. */
    FloatImage apply(FloatImage image, Random random);

    /** This transform, then {@code next}. */
    default Transform andThen(Transform next) {
        return compose(this, next);
    }

    /** Applies the transforms in order. */
    static Transform compose(Transform... transforms) {
        return new Compose(Arrays.asList(transforms));
    }

    /** Applies the transforms in order. */
    static Transform compose(List<? extends Transform> transforms) {
        return new Compose(transforms);
    }

    /** The transform that returns its input. */
    static Transform identity() {
        return (image, random) -> image;
    }

    /** A sequence of transforms, like torchvision's {@code Compose}. */
    final class Compose implements Transform {
        private final List<Transform> steps;

        Compose(List<? extends Transform> steps) {
            List<Transform> flat = new ArrayList<>();
            for (Transform t : steps) {
                if (t instanceof Compose) {
                    flat.addAll(((Compose) t).steps);
                } else {
                    flat.add(java.util.Objects.requireNonNull(t, "null transform"));
                }
            }
            this.steps = List.copyOf(flat);
        }

        /** The steps, flattened. */
        public List<Transform> steps() {
            return steps;
        }

        @Override
        public FloatImage apply(FloatImage image, Random random) {
            FloatImage x = image;
            for (Transform t : steps) {
                x = t.apply(x, random);
            }
            return x;
        }

        @Override
        public String toString() {
            return "Compose" + steps;
        }
    }
}
