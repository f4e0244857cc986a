package io.github.visionzoo.zoo.init;

import java.util.Objects;
import org.deeplearning4j.nn.weights.IWeightInit;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Weight initializations as PyTorch's {@code torch.nn.init} defines them, with PyTorch's fans.
 *
 * <p>DL4J's own schemes compute a convolution's fan-out divided by the stride product, and its He initialization uses
 * the fan-in only, so none of them reproduces torchvision's {@code kaiming_normal_(mode="fan_out")}. Here the fans
 * come from the parameter's shape: a dense weight {@code [nIn, nOut]} has fan-in {@code nIn} and fan-out
 * {@code nOut}; a convolution weight {@code [out, in, kH, kW]} has fan-in {@code in*kH*kW} and fan-out
 * {@code out*kH*kW}, exactly as {@code torch.nn.init._calculate_fan_in_and_fan_out}.
 *
 * <p>Serializable as DL4J configuration JSON (no-argument constructor, getters and setters).
 */
public final class TorchInit implements IWeightInit {
    private static final long serialVersionUID = 1L;

    /** The schemes. {@code value} is the gain for the Kaiming/Xavier/LeCun kinds and the std for {@link #NORMAL}. */
    public enum Kind {
        /** {@code kaiming_normal_(mode="fan_out")}: N(0, (value / sqrt(fan_out))^2); value = sqrt(2) for ReLU. */
        KAIMING_NORMAL_FAN_OUT,
        /** {@code xavier_uniform_(gain=value)}: U(-a, a), a = value * sqrt(6 / (fan_in + fan_out)). */
        XAVIER_UNIFORM,
        /** {@code normal_(0, value)}. */
        NORMAL,
        /** LeCun normal: N(0, (value / sqrt(fan_in))^2), value 1 (torchvision's ViT patch projection). */
        LECUN_NORMAL,
        /** PyTorch's default for {@code nn.Linear}/{@code nn.Conv2d}: U(-b, b), b = value / sqrt(fan_in), value 1. */
        UNIFORM_FAN_IN,
        /** {@code zeros_}. */
        ZEROS
    }

    private Kind kind = Kind.ZEROS;
    private double value;

    /** For JSON. */
    public TorchInit() {
    }

    public TorchInit(Kind kind, double value) {
        this.kind = Objects.requireNonNull(kind, "kind");
        this.value = value;
    }

    /** torchvision's ResNet/VGG convolution init: Kaiming normal, fan-out, ReLU gain. */
    public static TorchInit kaimingNormalFanOut() {
        return new TorchInit(Kind.KAIMING_NORMAL_FAN_OUT, Math.sqrt(2.0));
    }

    public static TorchInit xavierUniform(double gain) {
        return new TorchInit(Kind.XAVIER_UNIFORM, gain);
    }

    public static TorchInit normal(double std) {
        return new TorchInit(Kind.NORMAL, std);
    }

    public static TorchInit lecunNormal() {
        return new TorchInit(Kind.LECUN_NORMAL, 1.0);
    }

    /** PyTorch's default weight init ({@code kaiming_uniform_(a=sqrt(5))}). */
    public static TorchInit torchDefault() {
        return new TorchInit(Kind.UNIFORM_FAN_IN, 1.0);
    }

    public static TorchInit zeros() {
        return new TorchInit(Kind.ZEROS, 0.0);
    }

    @Override
    public INDArray init(double dl4jFanIn, double dl4jFanOut, long[] shape, char order, INDArray paramView) {
        long[] fans = fans(shape);
        fill(paramView, fans[0], fans[1]);
        return paramView.reshape(order, shape);
    }

    /** Fills {@code target} in place for a parameter with the given PyTorch fans. */
    public void fill(INDArray target, long fanIn, long fanOut) {
        switch (kind) {
            case KAIMING_NORMAL_FAN_OUT -> normalInto(target, value / Math.sqrt(fanOut));
            case LECUN_NORMAL -> normalInto(target, value / Math.sqrt(fanIn));
            case NORMAL -> normalInto(target, value);
            case XAVIER_UNIFORM -> uniformInto(target, value * Math.sqrt(6.0 / (fanIn + fanOut)));
            case UNIFORM_FAN_IN -> uniformInto(target, value / Math.sqrt(fanIn));
            case ZEROS -> target.assign(0);
        }
    }

    private static void uniformInto(INDArray target, double bound) {
        assignAndRelease(target, Nd4j.rand(target.dataType(), target.shape()).muli(2 * bound).subi(bound));
    }

    private static void normalInto(INDArray target, double std) {
        assignAndRelease(target, Nd4j.randn(target.dataType(), target.shape()).muli(std));
    }

    /**
     * Copies {@code values} into {@code target} and frees {@code values}' off-heap buffer now rather than when the
     * garbage collector finds it: the JVM heap barely grows while a model initializes, so such temporaries could stay
     * for the whole training run (VGG-16's classifier draws hundreds of MiB this way). Arrays in a workspace are
     * left to it.
     */
    private static void assignAndRelease(INDArray target, INDArray values) {
        target.assign(values);
        if (values.closeable()) {
            values.close();
        }
    }

    /** PyTorch's {@code (fan_in, fan_out)} for a DL4J dense {@code [nIn, nOut]} or convolution {@code [o, i, kh, kw]}. */
    public static long[] fans(long[] shape) {
        if (shape.length == 2) {
            return new long[] {shape[0], shape[1]};
        }
        if (shape.length == 4) {
            long receptive = shape[2] * shape[3];
            return new long[] {shape[1] * receptive, shape[0] * receptive};
        }
        throw new IllegalArgumentException("TorchInit handles dense [nIn, nOut] and convolution [out, in, kH, kW] "
                + "weights, not shape " + java.util.Arrays.toString(shape));
    }

    public Kind getKind() {
        return kind;
    }

    public void setKind(Kind kind) {
        this.kind = kind;
    }

    public double getValue() {
        return value;
    }

    public void setValue(double value) {
        this.value = value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TorchInit t && t.kind == kind && Double.compare(t.value, value) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, value);
    }

    @Override
    public String toString() {
        return "TorchInit(" + kind + ", " + value + ")";
    }
}
