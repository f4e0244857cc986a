package io.github.visionzoo.zoo.layers;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.layers.convolution.DepthwiseConv2D;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The running {@link ConvPosEnc}: {@code x + proj(x)} with libnd4j's depthwise convolution and its backward op called
 * directly on the channels-last image ({@link FeatureMapRowsImpl}'s rows seen as {@code [b, H, W, C]}), where the
 * SameDiff definition runs the forward pass twice per training step and allocates every intermediate afresh.
 */
final class ConvPosEncImpl extends FeatureMapRowsImpl {
    private static final long serialVersionUID = 1L;
    private static final int K = 3;
    private static final Conv2DConfig NHWC = Conv2DConfig.builder().kH(K).kW(K).sH(1).sW(1).pH(K / 2).pW(K / 2)
            .paddingMode(PaddingMode.VALID).dataFormat(Conv2DConfig.NHWC).build();

    ConvPosEncImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    /** The rows {@code [b*H*W, C]} as the image {@code [b, H, W, C]} they are. */
    private INDArray image(INDArray rows, long b) {
        long[] chw = ((FeatureMapShape) layerConf()).featureMapShape();
        return rows.reshape('c', b, chw[1], chw[2], chw[0]);
    }

    /** {@code proj.weight [C, 1, k, k]} in libnd4j's depthwise layout {@code [k, k, C, 1]}. */
    private INDArray kernel(LayerWorkspaceMgr mgr, ArrayType type) {
        return mgr.dup(type, getParam(ConvPosEnc.WEIGHT).permute(2, 3, 0, 1), 'c');
    }

    @Override
    protected void forwardRows(INDArray x, long b, boolean training, ArrayType keep, INDArray out,
                               LayerWorkspaceMgr mgr) {
        INDArray bias = getParam(ConvPosEnc.BIAS).reshape(-1);
        Nd4j.exec(new DepthwiseConv2D(image(x, b), kernel(mgr, ArrayType.FF_WORKING_MEM), bias, image(out, b), NHWC));
        out.addi(x);
    }

    @Override
    protected void backwardRows(INDArray x, INDArray dOut, long b, INDArray dx, LayerWorkspaceMgr mgr) {
        ArrayType work = ArrayType.BP_WORKING_MEM;
        INDArray kernel = kernel(mgr, work);
        INDArray kernelGrad = mgr.createUninitialized(work, dataType, kernel.shape(), 'c');
        INDArray biasGrad = mgr.createUninitialized(work, dataType, new long[] {kernel.size(2)}, 'c');
        // the backward op takes the forward op's integer arguments (kernel, stride, padding, dilation, NHWC)
        long[] args = new DepthwiseConv2D(image(x, b), kernel, null, null, NHWC).iArgs();
        Nd4j.exec(DynamicCustomOp.builder("depthwise_conv2d_bp")
                .addInputs(image(x, b), kernel, getParam(ConvPosEnc.BIAS).reshape(-1), image(dOut, b))
                .addOutputs(image(dx, b), kernelGrad, biasGrad)
                .addIntegerArguments(java.util.Arrays.stream(args).mapToInt(Math::toIntExact).toArray())
                .build());
        dx.addi(dOut); // the residual
        grad(ConvPosEnc.WEIGHT).assign(kernelGrad.permute(2, 3, 0, 1));
        grad(ConvPosEnc.BIAS).assign(biasGrad.reshape(grad(ConvPosEnc.BIAS).shape()));
    }

    @Override
    protected void forget() {
    }
}
