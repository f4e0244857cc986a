package io.github.visionzoo.zoo.models;

import io.github.visionzoo.zoo.ModelSpec;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;

/**
 * A VGG ({@link Vgg}): 3x3 convolutions per stage and their widths (each stage ends in a 2x2 max pool), the
 * classifier's hidden width and dropout, and the input size.
 *
 * @param convsPerStage 3x3 convolutions in each stage, e.g. configuration D (VGG16): {@code [2, 2, 3, 3, 3]}
 * @param widths        output channels of each stage, {@code [64, 128, 256, 512, 512]} in the paper
 * @param batchNorm     batch norm after every convolution (torchvision's {@code vgg16_bn}); the paper has none
 * @param hidden        units of the two hidden classifier layers, 4096 in the paper
 * @param dropout       drop probability before the second and third classifier layers, 0.5 in the paper
 * @param imageSize     input height and width; the adaptive 7x7 pool accepts any size from 32 up
 */
public record VggSpec(List<Integer> convsPerStage, List<Integer> widths, boolean batchNorm, int hidden,
                      double dropout, int imageSize) implements ModelSpec {

    private static final List<Integer> PAPER_WIDTHS = List.of(64, 128, 256, 512, 512);

    public VggSpec {
        if (convsPerStage == null || convsPerStage.isEmpty()
                || convsPerStage.stream().anyMatch(n -> n == null || n < 1)) {
            throw new IllegalArgumentException("VggSpec.convsPerStage must list >= 1 convolutions per stage, "
                    + "e.g. [2, 2, 3, 3, 3]; was " + convsPerStage);
        }
        if (widths == null || widths.size() != convsPerStage.size() || widths.stream().anyMatch(w -> w == null || w < 1)) {
            throw new IllegalArgumentException("VggSpec.widths must give one width >= 1 per stage ("
                    + convsPerStage.size() + " stages), e.g. " + PAPER_WIDTHS + "; was " + widths);
        }
        if (hidden < 1) {
            throw new IllegalArgumentException("VggSpec.hidden must be >= 1 (4096 in the paper), was " + hidden);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("VggSpec.dropout must be in [0, 1), was " + dropout);
        }
        int minSize = 1 << convsPerStage.size();
        if (imageSize < minSize) {
            throw new IllegalArgumentException("VggSpec.imageSize must be >= " + minSize + " for "
                    + convsPerStage.size() + " pooling stages, was " + imageSize);
        }
        convsPerStage = List.copyOf(convsPerStage);
        widths = List.copyOf(widths);
    }

    /** Configuration A. */
    public static VggSpec vgg11() {
        return paper(List.of(1, 1, 2, 2, 2));
    }

    /** Configuration B. */
    public static VggSpec vgg13() {
        return paper(List.of(2, 2, 2, 2, 2));
    }

    /** Configuration D. */
    public static VggSpec vgg16() {
        return paper(List.of(2, 2, 3, 3, 3));
    }

    /** Configuration E. */
    public static VggSpec vgg19() {
        return paper(List.of(2, 2, 4, 4, 4));
    }

    private static VggSpec paper(List<Integer> convsPerStage) {
        return new VggSpec(convsPerStage, PAPER_WIDTHS, false, 4096, 0.5, 224);
    }

    @Override
    public String headName() {
        return Vgg.HEAD;
    }

    @Override
    public ComputationGraphConfiguration configuration(int numClasses, long seed) {
        return Vgg.configuration(this, numClasses, seed);
    }

    @Override
    public VggSpec withImageSize(int imageSize) {
        return new VggSpec(convsPerStage, widths, batchNorm, hidden, dropout, imageSize);
    }
}
