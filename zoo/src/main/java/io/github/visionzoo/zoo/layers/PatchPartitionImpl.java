package io.github.visionzoo.zoo.layers;

import io.github.visionzoo.zoo.kernels.Kernels;
import io.github.visionzoo.zoo.kernels.MatrixSums;
import java.util.Arrays;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The running {@link PatchPartition}: the non-overlapping patches copied once into rows {@code [b*N, C_in*p*p]}, one
 * matrix product with the bias, and the token layer norm ({@link LayerNormPass}), forward and backward written out,
 * where the SameDiff definition runs the forward pass twice per training step and differentiates the norm through
 * broadcast reductions. The parameters are the SameDiff layer's views.
 */
final class PatchPartitionImpl extends WrittenOutLayer {
    private static final long serialVersionUID = 1L;

    /** What the training forward pass keeps for the backward pass. */
    private record Saved(INDArray patches, LayerNormPass.Norm norm) {
    }

    private final MatrixSums sums = Kernels.matrixSums();
    private final LayerNormPass norms;
    private Saved saved;

    PatchPartitionImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
        norms = new LayerNormPass(sums, dataType);
    }

    private PatchPartition config() {
        return (PatchPartition) layerConf();
    }

    @Override
    protected void forget() {
        saved = null;
    }

    /** The convolution's kernel {@code [D, C_in, p, p]} as the matrix {@code [D, C_in*p*p]}. */
    private static INDArray matrix(INDArray kernel) {
        return kernel.reshape('c', kernel.size(0), kernel.length() / kernel.size(0));
    }

    /** An image {@code [b, C_in, H, W]} seen as {@code [b, gh, gw, C_in, p, p]}, the patches' order. */
    private INDArray patchView(INDArray image) {
        PatchPartition c = config();
        long p = c.getPatchSize();
        return image.reshape('c', image.size(0), c.getChannels(), c.getHeight() / p, p, c.getWidth() / p, p)
                .permute(0, 2, 4, 1, 3, 5);
    }

    @Override
    protected INDArray forward(boolean training, LayerWorkspaceMgr mgr) {
        PatchPartition c = config();
        long[] expected = {input.size(0), c.getChannels(), c.getHeight(), c.getWidth()};
        if (input.rank() != 4 || !Arrays.equals(input.shape(), expected)) {
            throw new IllegalArgumentException("PatchPartition '" + c.getLayerName() + "' expects [b, "
                    + c.getChannels() + ", " + c.getHeight() + ", " + c.getWidth() + "], got "
                    + Arrays.toString(input.shape()));
        }
        long b = input.size(0);
        long p = c.getPatchSize();
        long tokens = (c.getHeight() / p) * (c.getWidth() / p);
        long n = b * tokens;
        long d = c.getEmbedDim();
        ArrayType keep = training ? ArrayType.ACTIVATIONS : ArrayType.FF_WORKING_MEM;
        INDArray x = RuntimeLayers.contiguous(input, dataType, ArrayType.FF_WORKING_MEM, mgr);
        // [b, C_in, H, W] -> [b, gh, gw, C_in, p, p] = [b*N, C_in*p*p]
        INDArray patches = mgr.createUninitialized(keep, dataType, new long[] {b, c.getHeight() / p,
                c.getWidth() / p, c.getChannels(), p, p}, 'c');
        patches.assign(patchView(x));
        patches = patches.reshape('c', n, c.getChannels() * p * p);
        // [b*N, C_in*p*p] -> [b*N, D]
        INDArray projected = mgr.createUninitialized(ArrayType.FF_WORKING_MEM, dataType, n, d);
        sums.mmul(patches, matrix(getParam(PatchPartition.CONV_WEIGHT)), projected, false, true);
        projected.addiRowVector(getParam(PatchPartition.CONV_BIAS));
        INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, new long[] {b, tokens, d}, 'c');
        LayerNormPass.Norm norm = norms.forward(projected, getParam(PatchPartition.NORM_WEIGHT),
                getParam(PatchPartition.NORM_BIAS), c.getEps(), training, keep, out.reshape('c', n, d), mgr);
        saved = training ? new Saved(patches, norm) : null;
        return out;
    }

    @Override
    protected INDArray backward(INDArray epsilon, LayerWorkspaceMgr mgr) {
        PatchPartition c = config();
        long n = saved.patches().size(0);
        long d = c.getEmbedDim();
        ArrayType work = ArrayType.BP_WORKING_MEM;
        INDArray dOut = RuntimeLayers.contiguous(epsilon, dataType, work, mgr).reshape('c', n, d);
        INDArray ones = mgr.createUninitialized(work, dataType, 1, n).assign(1);
        // the norm's backward pass adds the projection's gradient to what dProjected holds
        INDArray dProjected = mgr.create(work, dataType, n, d);
        norms.backward(dOut, saved.norm(), getParam(PatchPartition.NORM_WEIGHT),
                gradTable.get(PatchPartition.NORM_WEIGHT), gradTable.get(PatchPartition.NORM_BIAS), ones, dProjected,
                mgr);
        INDArray kernelGrad = gradTable.get(PatchPartition.CONV_WEIGHT);
        INDArray kernelGradMatrix = mgr.createUninitialized(work, dataType, d, saved.patches().size(1));
        sums.mmul(dProjected, saved.patches(), kernelGradMatrix, true, false);
        kernelGrad.assign(kernelGradMatrix.reshape('c', kernelGrad.shape()));
        sums.columnSums(dProjected, ones, gradTable.get(PatchPartition.CONV_BIAS));
        // the patches' gradient put back in place: [b*N, C_in*p*p] -> [b, C_in, H, W]
        INDArray dPatches = mgr.createUninitialized(work, dataType, n, saved.patches().size(1));
        sums.mmul(dProjected, matrix(getParam(PatchPartition.CONV_WEIGHT)), dPatches, false, false);
        INDArray dx = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, input.shape(), 'c');
        INDArray view = patchView(dx);
        view.assign(dPatches.reshape('c', view.shape()));
        return dx;
    }
}
