package io.github.visionzoo.zoo.models;

/** Checks shared by the family builders. */
final class Models {
    private Models() {
    }

    static void requireClasses(int numClasses) {
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be >= 1, was " + numClasses);
        }
    }

    /** PyTorch's output size of a convolution or pooling window. */
    static int outSize(int in, int kernel, int stride, int padding) {
        return Math.floorDiv(in + 2 * padding - kernel, stride) + 1;
    }
}
