package io.github.visionzoo.zoo.layers;

import io.github.visionzoo.zoo.init.TorchInit;
import java.util.Collection;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;

/**
 * DaViT's convolutional position encoding (Ding et al. 2022, arXiv:2204.03645; Chu et al.'s CPE), timm's
 * {@code ConvPosEnc(dim, k=3, act=False)}: {@code x + proj(x)} on an image {@code [b, C, H, W] -> [b, C, H, W]}, with
 * {@code proj} a depthwise 3x3 convolution ({@code groups = C}), stride 1, padding 1, with a bias.
 *
 * <p>Parameters in PyTorch's layout and names: {@code proj.weight [C, 1, 3, 3]} and {@code proj.bias [C]}, PyTorch's
 * default {@code nn.Conv2d} initialization (uniform in {@code +-1/sqrt(9)} for both, fan-in 9).
 */
public class ConvPosEnc extends FeatureMapLayer {
    private static final long serialVersionUID = 1L;

    public static final String WEIGHT = "proj.weight";
    public static final String BIAS = "proj.bias";
    private static final int KERNEL = 3;

    /** For JSON and the builders. */
    public ConvPosEnc() {
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> params, SDVariable mask) {
        // [C, 1, k, k] -> SameDiff's depthwise layout [k, k, C, 1]
        SDVariable kernel = params.get(WEIGHT).permute(2, 3, 0, 1);
        Conv2DConfig conf = Conv2DConfig.builder().kH(KERNEL).kW(KERNEL).sH(1).sW(1).pH(KERNEL / 2).pW(KERNEL / 2)
                .paddingMode(PaddingMode.VALID).dataFormat(Conv2DConfig.NCHW).build();
        return input.add(sd.cnn.depthWiseConv2d(input, kernel, params.get(BIAS), conf));
    }

    /** Runs written out ({@link ConvPosEncImpl}); {@link #defineLayer} is its reference. */
    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams,
                             DataType networkDataType) {
        return RuntimeLayers.wire(new ConvPosEncImpl(conf, networkDataType), conf, trainingListeners, layerIndex,
                layerParamsView, initializeParams);
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        params.addWeightParam(WEIGHT, getChannels(), 1, KERNEL, KERNEL);
        params.addBiasParam(BIAS, getChannels());
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        long fanIn = KERNEL * KERNEL;
        TorchInit.torchDefault().fill(params.get(WEIGHT), fanIn, getChannels() * fanIn);
        TorchInit.torchDefault().fill(params.get(BIAS), fanIn, getChannels() * fanIn);
    }
}
