package io.github.visionzoo.zoo.weights;

import io.github.visionzoo.zoo.models.VitSpec;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** How a PyTorch tensor and the DL4J parameter it fills differ. */
public enum Layout {
    /** The same shape and element order in both: convolution weights {@code [out, in, kH, kW]}, ViT parameters. */
    SAME,
    /** A linear layer's weight: PyTorch {@code [out, in]}, DL4J {@code [in, out]}. */
    TRANSPOSE,
    /** A vector: PyTorch {@code [n]}, DL4J usually {@code [1, n]} (biases, batch norm's gamma, beta and mean). */
    VECTOR,
    /**
     * Batch norm's {@code running_var} {@code [n]}, which DL4J keeps as {@code log10(sqrt(var))} {@code [1, n]}
     * (its default {@code useLogStd}); both add {@code eps} to the variance at inference, so the conversion is exact
     * up to float rounding. Variances are clamped at {@code 1e-30} so that the logarithm stays finite.
     */
    LOG10_STD,
    /**
     * A ViT's position embedding {@code [1, 1 + g*g, D]}, the same in both; a file made for another image size (another
     * patch grid g) is accepted and resized bilinearly to the model's grid, keeping the class token's row, as timm does.
     */
    POSITION_EMBEDDING;

    /** Whether a file tensor of {@code fileShape} can fill a parameter whose PyTorch shape is {@code expected}. */
    public boolean accepts(long[] fileShape, long[] expected) {
        if (this != POSITION_EMBEDDING || Arrays.equals(fileShape, expected)) {
            return Arrays.equals(fileShape, expected);
        }
        return fileShape.length == 3 && fileShape[0] == 1 && fileShape[2] == expected[2] && isSquare(fileShape[1] - 1);
    }

    private static boolean isSquare(long n) {
        long root = Math.round(Math.sqrt(n));
        return n > 0 && root * root == n;
    }
    /** The PyTorch shape of a DL4J parameter of shape {@code dl4jShape}. */
    public long[] torchShape(long[] dl4jShape) {
        return switch (this) {
            case SAME, POSITION_EMBEDDING -> dl4jShape.clone();
            case TRANSPOSE -> {
                if (dl4jShape.length != 2) {
                    throw new IllegalArgumentException("TRANSPOSE needs a 2-d parameter, not "
                            + Arrays.toString(dl4jShape));
                }
                yield new long[] {dl4jShape[1], dl4jShape[0]};
            }
            case VECTOR, LOG10_STD -> new long[] {StoredTensor.numel(dl4jShape)};
        };
    }

    /** A PyTorch value (float32, of {@link #torchShape}) as the DL4J parameter of shape {@code dl4jShape}. */
    public INDArray toDl4j(INDArray torch, long[] dl4jShape) {
        return switch (this) {
            case SAME -> torch.reshape('c', dl4jShape);
            case POSITION_EMBEDDING -> torch.size(1) == dl4jShape[1] ? torch.reshape('c', dl4jShape)
                    : VitSpec.resizePositionEmbedding(torch, (int) Math.round(Math.sqrt(dl4jShape[1] - 1)))
                            .reshape('c', dl4jShape);
            case TRANSPOSE -> torch.transpose().dup('c');
            case VECTOR -> torch.reshape('c', dl4jShape);
            case LOG10_STD -> {
                double[] v = torch.castTo(DataType.DOUBLE).data().asDouble();
                double[] out = new double[v.length];
                for (int i = 0; i < v.length; i++) {
                    out[i] = 0.5 * Math.log10(Math.max(v[i], 1e-30));
                }
                yield Nd4j.create(out, dl4jShape, 'c').castTo(torch.dataType());
            }
        };
    }

    /** A DL4J parameter's value in PyTorch's layout, float32. */
    public INDArray toTorch(INDArray dl4j) {
        INDArray p = dl4j.castTo(DataType.FLOAT);
        return switch (this) {
            case SAME, POSITION_EMBEDDING -> p.dup('c');
            case TRANSPOSE -> p.transpose().dup('c');
            case VECTOR -> p.dup('c').reshape('c', new long[] {p.length()});
            case LOG10_STD -> {
                double[] l = dl4j.castTo(DataType.DOUBLE).dup('c').data().asDouble();
                float[] out = new float[l.length];
                for (int i = 0; i < l.length; i++) {
                    out[i] = (float) Math.pow(10.0, 2.0 * l[i]);
                }
                yield Nd4j.create(out, new long[] {out.length}, 'c');
            }
        };
    }
}
