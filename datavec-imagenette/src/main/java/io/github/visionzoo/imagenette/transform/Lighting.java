package io.github.visionzoo.imagenette.transform;

import java.util.Random;

/**
 * The AlexNet paper's PCA colour augmentation ("fancy PCA", Krizhevsky et al. 2012, section 4.1): adds
 * {@code sum_j eigvec[:, j] * alpha_j * eigval_j} to every pixel, with {@code alpha_j ~ N(0, alphastd)} drawn once per
 * image, shifting the colour along the principal components of ImageNet's RGB values.
 *
 * <p>Follows fb.resnet.torch's {@code Lighting}, which torchvision's references copy: the ImageNet eigenvalues
 * {@code [0.2175, 0.0188, 0.0045]} and eigenvectors (columns of {@link #IMAGENET_EIGVEC}) computed on RGB in [0, 1],
 * applied after scaling to [0, 1] and before normalization, without clamping. The paper used 0..255 pixels and its own
 * PCA of the training set; the values here are those scaled to [0, 1]. With {@code alphastd = 0.1}, the paper's value.
 */
public final class Lighting implements Transform {

    /** ImageNet RGB eigenvalues, for pixels in [0, 1]. */
    public static final float[] IMAGENET_EIGVAL = {0.2175f, 0.0188f, 0.0045f};

    /** ImageNet RGB eigenvectors; column j is the eigenvector of eigenvalue j, row i the colour channel. */
    public static final float[][] IMAGENET_EIGVEC = {
        {-0.5675f, 0.7192f, 0.4009f},
        {-0.5808f, -0.0045f, -0.8140f},
        {-0.5836f, -0.6948f, 0.4203f},
    };

    private final double alphaStd;

    /** With the paper's standard deviation, 0.1. */
    public Lighting() {
        this(0.1);
    }

    public Lighting(double alphaStd) {
        if (!(alphaStd >= 0)) {
            throw new IllegalArgumentException("alphaStd must be >= 0, was " + alphaStd);
        }
        this.alphaStd = alphaStd;
    }

    /** The RGB offset for draws {@code alpha} (already scaled by alphastd). */
    public static float[] offset(double[] alpha) {
        float[] rgb = new float[3];
        for (int i = 0; i < 3; i++) {
            double s = 0;
            for (int j = 0; j < 3; j++) {
                s += IMAGENET_EIGVEC[i][j] * alpha[j] * IMAGENET_EIGVAL[j];
            }
            rgb[i] = (float) s;
        }
        return rgb;
    }

    @Override
    public FloatImage apply(FloatImage image, Random random) {
        if (alphaStd == 0) {
            return image;
        }
        double[] alpha = new double[3];
        for (int j = 0; j < 3; j++) {
            alpha[j] = random.nextGaussian() * alphaStd;
        }
        float[] rgb = offset(alpha);
        float[] d = image.data();
        int n = image.width() * image.height();
        for (int c = 0; c < 3; c++) {
            float o = rgb[c];
            for (int i = c * n, e = (c + 1) * n; i < e; i++) {
                d[i] += o;
            }
        }
        return image;
    }

    @Override
    public String toString() {
        return "Lighting(alphastd=" + alphaStd + ")";
    }
}
