package io.github.visionzoo.imagenette;

import java.util.Random;

/**
 * How the loaders derive their random generators, so that any trainer can reproduce them: the epoch's image order
 * from (seed, epoch), each image's augmentation from (seed, epoch, image index). Mixing is SplitMix64's finalizer;
 * the generators are {@link Random}, whose algorithm the JDK specifies, so the same seed gives the same batches on
 * every JVM, platform and thread count.
 */
public final class Seeds {
    private static final long ORDER_SALT = 0x6f72646572L;  // "order"
    private static final long IMAGE_SALT = 0x696d616765L;  // "image"

    private Seeds() {
    }

    /** SplitMix64's finalizer, a bijective 64-bit mix. */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** Seed of the shuffle of {@code epoch}. */
    public static long order(long seed, int epoch) {
        return mix(mix(mix(seed) ^ ORDER_SALT) + epoch);
    }

    /** Seed of the augmentation of image {@code index} (see {@link Sample#index()}) in {@code epoch}. */
    public static long image(long seed, int epoch, int index) {
        return mix(mix(mix(mix(seed) ^ IMAGE_SALT) + epoch) + index);
    }

    /**
     * The visiting order of {@code n} images in {@code epoch}: a Fisher-Yates shuffle of 0..n-1 driven by
     * {@code new Random(order(seed, epoch))}, or 0..n-1 when not shuffling.
     */
    public static int[] epochOrder(int n, long seed, int epoch, boolean shuffle) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        if (shuffle) {
            Random r = new Random(order(seed, epoch));
            for (int i = n - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        return order;
    }
}
