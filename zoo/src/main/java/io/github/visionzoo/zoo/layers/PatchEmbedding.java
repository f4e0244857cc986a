package io.github.visionzoo.zoo.layers;

import io.github.visionzoo.zoo.init.TorchInit;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The ViT's input stage (Dosovitskiy et al., "An Image is Worth 16x16 Words", ICLR 2021, arXiv:2010.11929, eq. 1),
 * as torchvision's {@code VisionTransformer._process_input} plus the first lines of {@code forward} and
 * {@code Encoder.forward}: {@code [b, C, H, W] -> [b, 1 + N, D]} with {@code N = (H/p)(W/p)} patches.
 *
 * <ol>
 *   <li>{@code conv_proj}: a convolution with kernel = stride = {@code p}, {@code [b, C, H, W] -> [b, D, H/p, W/p]},
 *   flattened row by row to {@code N} tokens. Since the windows do not overlap, it is computed as one matrix product
 *   of the {@code [b*N, C*p*p]} patches with the {@code [D, C*p*p]} kernel, the same sum in the same order;</li>
 *   <li>the learned class token is prepended ({@code class_token}, {@code [1, 1, D]});</li>
 *   <li>the learned position embedding is added ({@code encoder.pos_embedding}, {@code [1, 1 + N, D]});</li>
 *   <li>dropout ({@code encoder.dropout}).</li>
 * </ol>
 *
 * <p>Parameters, PyTorch's shapes, and their state-dict keys: {@code weight [D, C, p, p]} ({@code conv_proj.weight}
 * when the vertex is {@code conv_proj}), {@code bias [D]} ({@code conv_proj.bias}), {@code class-token [1, 1, D]}
 * ({@code class_token}) and {@code pos-embedding [1, 1 + N, D]} ({@code encoder.pos_embedding}); the last two are
 * keyed from the model's root, as torchvision has them. Initialization as torchvision: LeCun normal kernel
 * ({@code trunc_normal_(std=sqrt(1/fan_in))}, whose cut at +-2 lies beyond 50 standard deviations, so a plain normal),
 * zero bias and class token, position embedding normal with std 0.02. Only the kernel is a "weight" parameter for
 * DL4J's regularization; like timm, the embeddings are not weight-decayed.
 *
 * <p>The output is a token sequence in DL4J's recurrent {@code NWC} layout, {@code [b, T, D]}.
 */
public class PatchEmbedding extends ZooSameDiffLayer implements TorchNamed {
    private static final long serialVersionUID = 1L;

    public static final String WEIGHT = "weight";
    public static final String BIAS = "bias";
    public static final String CLASS_TOKEN = "class-token";
    public static final String POS_EMBEDDING = "pos-embedding";
    /** torchvision's state-dict names of the class token and the position embedding, keyed from the model's root. */
    public static final String CLASS_TOKEN_KEY = "class_token";
    public static final String POSITION_EMBEDDING_KEY = "encoder.pos_embedding";

    private int patchSize;
    private int hiddenDim;
    private double dropout;
    private long channels;
    private long height;
    private long width;

    /** For JSON. */
    public PatchEmbedding() {
    }

    /**
     * @param patchSize the side {@code p} of the square patches
     * @param hiddenDim the embedding size {@code D}
     * @param dropout   the probability of dropping an embedding unit after the position embedding, in {@code [0, 1)}
     */
    public PatchEmbedding(int patchSize, int hiddenDim, double dropout) {
        if (patchSize < 1) {
            throw new IllegalArgumentException("PatchEmbedding.patchSize must be >= 1, was " + patchSize);
        }
        if (hiddenDim < 1) {
            throw new IllegalArgumentException("PatchEmbedding.hiddenDim must be >= 1, was " + hiddenDim);
        }
        this.patchSize = patchSize;
        this.hiddenDim = hiddenDim;
        this.dropout = checkRate("PatchEmbedding.dropout", dropout);
    }

    /** Patches along the height. */
    public long gridHeight() {
        return height / patchSize;
    }

    /** Patches along the width. */
    public long gridWidth() {
        return width / patchSize;
    }

    /** Tokens out, {@code 1 + N}. */
    public long seqLength() {
        return 1 + gridHeight() * gridWidth();
    }

    @Override
    public List<DropoutSite> dropoutSites() {
        return dropout > 0 ? List.of(new DropoutSite("dropout", dropout, new long[] {seqLength(), hiddenDim}))
                : List.of();
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> params, SDVariable mask) {
        long gh = gridHeight();
        long gw = gridWidth();
        long p = patchSize;
        long n = gh * gw;
        SDVariable tokens = TransformerOps.patchProjection(sd, input, params.get(WEIGHT), params.get(BIAS), channels,
                gh, gw, p, hiddenDim).reshape(-1, n, hiddenDim);
        // The class token goes in front by padding, not by concat: libnd4j's oneDNN concat copies its output
        // through a buffer it allocates afresh at each call, a whole [b, 1 + N, D] block per step.
        // [b, N, D] -> [b, 1 + N, D], row 0 zero; [1, 1, D] -> [1, 1 + N, D], rows 1.. zero
        SDVariable patchRows = sd.nn.pad(tokens, sd.constant("pad_front", Nd4j.createFromArray(
                new int[][] {{0, 0}, {1, 0}, {0, 0}})), 0.0);
        SDVariable classRow = sd.nn.pad(params.get(CLASS_TOKEN), sd.constant("pad_back", Nd4j.createFromArray(
                new int[][] {{0, 0}, {0, (int) n}, {0, 0}})), 0.0);
        SDVariable sequence = patchRows.add(classRow.add(params.get(POS_EMBEDDING)));
        return dropout(sd, sequence, "dropout", -1, seqLength(), hiddenDim);
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        params.addWeightParam(WEIGHT, hiddenDim, channels, patchSize, patchSize);
        params.addBiasParam(BIAS, hiddenDim);
        params.addBiasParam(CLASS_TOKEN, 1, 1, hiddenDim);
        params.addBiasParam(POS_EMBEDDING, 1, seqLength(), hiddenDim);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        long fanIn = channels * patchSize * patchSize;
        TorchInit.lecunNormal().fill(params.get(WEIGHT), fanIn, (long) hiddenDim * patchSize * patchSize);
        params.get(BIAS).assign(0);
        params.get(CLASS_TOKEN).assign(0);
        TorchInit.normal(0.02).fill(params.get(POS_EMBEDDING), hiddenDim, hiddenDim);
    }

    @Override
    public String torchKey(String vertexName, String paramKey) {
        return switch (paramKey) {
            case CLASS_TOKEN -> CLASS_TOKEN_KEY;
            case POS_EMBEDDING -> POSITION_EMBEDDING_KEY;
            default -> vertexName + "." + TorchNamed.toTorch(paramKey);
        };
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        requireImage(inputType);
        return InputType.recurrent(hiddenDim, seqLength(), RNNFormat.NWC);
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        if (channels == 0 || override) {
            InputType.InputTypeConvolutional c = requireImage(inputType);
            channels = c.getChannels();
            height = c.getHeight();
            width = c.getWidth();
            refreshParameters();
        }
    }

    private InputType.InputTypeConvolutional requireImage(InputType inputType) {
        if (!(inputType instanceof InputType.InputTypeConvolutional c) || c.getFormat() != CNN2DFormat.NCHW) {
            throw new IllegalArgumentException("PatchEmbedding '" + getLayerName()
                    + "' needs NCHW image input [b, c, h, w], got " + inputType);
        }
        if (c.getHeight() % patchSize != 0 || c.getWidth() % patchSize != 0) {
            throw new IllegalArgumentException("PatchEmbedding '" + getLayerName() + "': the image size "
                    + c.getHeight() + "x" + c.getWidth() + " is not divisible by the patch size " + patchSize);
        }
        return c;
    }

    public int getPatchSize() {
        return patchSize;
    }

    public void setPatchSize(int patchSize) {
        this.patchSize = patchSize;
    }

    public int getHiddenDim() {
        return hiddenDim;
    }

    public void setHiddenDim(int hiddenDim) {
        this.hiddenDim = hiddenDim;
    }

    public double getDropout() {
        return dropout;
    }

    public void setDropout(double dropout) {
        this.dropout = dropout;
    }

    public long getChannels() {
        return channels;
    }

    public void setChannels(long channels) {
        this.channels = channels;
    }

    public long getHeight() {
        return height;
    }

    public void setHeight(long height) {
        this.height = height;
    }

    public long getWidth() {
        return width;
    }

    public void setWidth(long width) {
        this.width = width;
    }
}
