package io.github.visionzoo.zoo.layers;

import io.github.visionzoo.zoo.kernels.AddReluKernel;
import io.github.visionzoo.zoo.kernels.ChannelsLast;
import io.github.visionzoo.zoo.kernels.FloatLoops;
import io.github.visionzoo.zoo.kernels.Kernels;
import java.util.Arrays;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear;
import org.nd4j.linalg.api.ops.impl.transforms.same.Sign;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.AddOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code a + b}, the sum that ends a residual branch, as a vertex that keeps its inputs' layout: DL4J's element-wise
 * add (an {@link ElementWiseVertex}, of which this is a subclass, so JSON and tools treat it as one) copies its first
 * input into a new C-order array and adds the second, element by element wherever an input is channels-last (the
 * DaViT's feature maps are), and its output then costs the next channels-last layer another copy. Here two
 * channels-last inputs give a channels-last sum, one pass over their memory; inputs of one C-order layout take one
 * Java pass ({@link FloatLoops}); anything else libnd4j's op. Backward, each input gets its own copy of the incoming
 * gradient, in its layout. {@link AddRelu} adds the ReLU that ends a ResNet block. The two inputs must have the same
 * shape.
 */
public class ResidualAdd extends ElementWiseVertex {
    private static final long serialVersionUID = 1L;

    public ResidualAdd() {
        super(Op.Add);
    }

    /** Whether the sum goes through a ReLU ({@link AddRelu}). */
    boolean relu() {
        return false;
    }

    @Override
    public ResidualAdd clone() {
        return new ResidualAdd();
    }

    @Override
    public boolean equals(Object o) {
        return o != null && o.getClass() == getClass();
    }

    @Override
    public int hashCode() {
        return getClass().hashCode();
    }

    @Override
    public int minVertexInputs() {
        return 2;
    }

    @Override
    public int maxVertexInputs() {
        return 2;
    }

    @Override
    public org.deeplearning4j.nn.graph.vertex.GraphVertex instantiate(ComputationGraph graph, String name, int idx,
                                                                      INDArray paramsView, boolean initializeParams,
                                                                      DataType networkDatatype) {
        return new Impl(graph, name, idx, networkDatatype, relu());
    }

    /** The running vertex. */
    static final class Impl extends org.deeplearning4j.nn.graph.vertex.impl.ElementWiseVertex {
        private final boolean relu;
        /** The last training forward pass's inputs and output, in workspaces that outlast backprop. */
        private INDArray forwardA;
        private INDArray forwardB;
        private INDArray forwardOutput;
        private final AddReluKernel kernel = Kernels.addRelu();
        /** Whether the last forward pass ran on {@link #kernel}. */
        private boolean kernelPass;

        Impl(ComputationGraph graph, String name, int index, DataType dataType, boolean relu) {
            super(graph, name, index, Op.Add, dataType);
            this.relu = relu;
        }

        private String kind() {
            return relu ? "AddRelu" : "ResidualAdd";
        }

        private void requireSameShapes() {
            if (inputs.length != 2 || !inputs[0].equalShapes(inputs[1])) {
                throw new IllegalStateException(kind() + " '" + getVertexName() + "' needs two inputs of one shape, got "
                        + Arrays.stream(inputs).map(a -> Arrays.toString(a.shape())).toList());
            }
        }

        @Override
        public INDArray doForward(boolean training, LayerWorkspaceMgr workspaceMgr) {
            if (!canDoForward()) {
                throw new IllegalStateException(kind() + " '" + getVertexName() + "': inputs not set");
            }
            requireSameShapes();
            INDArray a = inputs[0];
            INDArray b = inputs[1];
            INDArray out = relu ? kernel.forward(a, b, dataType, workspaceMgr) : null;
            kernelPass = out != null;
            if (kernelPass) {
                return kept(training, out);
            }
            INDArray outMemory; // out, or the NHWC memory behind it
            INDArray aNhwc = ChannelsLast.nhwcOf(a);
            INDArray bNhwc = ChannelsLast.nhwcOf(b);
            if (aNhwc != null && bNhwc != null && dataType == DataType.FLOAT) {
                // channels-last activations (DaViT's maps, inference after Conv2d and BatchNorm) stay channels-last
                out = ChannelsLast.create(workspaceMgr, ArrayType.ACTIVATIONS, dataType, a.size(0), a.size(1),
                        a.size(2), a.size(3));
                outMemory = ChannelsLast.nhwcOf(out);
                a = aNhwc;
                b = bNhwc;
            } else {
                out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, a.shape(), 'c');
                outMemory = out;
            }
            if (FloatLoops.takes(a, b, outMemory)) {
                boolean r = relu;
                FloatLoops.rows(new INDArray[] {a, b}, new INDArray[] {outMemory}, FloatLoops.CHUNK,
                        (worker, row, in, o, length) -> {
                            float[] x = in[0];
                            float[] y = in[1];
                            float[] z = o[0];
                            if (r) {
                                for (int i = 0; i < length; i++) {
                                    z[i] = Math.max(x[i] + y[i], 0f);
                                }
                            } else {
                                for (int i = 0; i < length; i++) {
                                    z[i] = x[i] + y[i];
                                }
                            }
                        });
            } else {
                Nd4j.exec(new AddOp(inputs[0].castTo(dataType), inputs[1].castTo(dataType), out));
                if (relu) {
                    Nd4j.exec(new RectifiedLinear(out, out, 0.0));
                }
            }
            return kept(training, out);
        }

        /** Whether the last forward pass ran on the kernel. */
        boolean ranOnKernel() {
            return kernelPass;
        }

        /** {@code out}, kept with the inputs after a training forward pass, for the backward pass's mask. */
        private INDArray kept(boolean training, INDArray out) {
            forwardA = training && relu ? inputs[0] : null;
            forwardB = training && relu ? inputs[1] : null;
            forwardOutput = training && relu ? out : null;
            return out;
        }

        @Override
        public Pair<Gradient, INDArray[]> doBackward(boolean tbptt, LayerWorkspaceMgr workspaceMgr) {
            if (!canDoBackward()) {
                throw new IllegalStateException(kind() + " '" + getVertexName() + "': gradient not set");
            }
            requireSameShapes();
            if (!relu) {
                return new Pair<>(null, new INDArray[] {copy(epsilon, workspaceMgr), copy(epsilon, workspaceMgr)});
            }
            // one gradient array per input: DL4J may add into an input's gradient in place
            long[] shape = inputs[0].shape();
            INDArray da = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, shape, 'c');
            INDArray db = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, shape, 'c');
            INDArray output = forwardOutput != null && forwardA == inputs[0] && forwardB == inputs[1]
                    ? forwardOutput : null;
            forwardA = null;
            forwardB = null;
            forwardOutput = null;
            if (output != null && FloatLoops.takes(epsilon, output, da, db)) {
                FloatLoops.rows(new INDArray[] {epsilon, output}, new INDArray[] {da, db}, FloatLoops.CHUNK,
                        (worker, row, in, out, length) -> {
                            float[] e = in[0];
                            float[] o = in[1];
                            float[] ga = out[0];
                            for (int i = 0; i < length; i++) {
                                ga[i] = e[i] * FloatLoops.reluMask(o[i]);
                            }
                            System.arraycopy(ga, 0, out[1], 0, length);
                        });
                return new Pair<>(null, new INDArray[] {da, db});
            }
            if (output != null) {
                Nd4j.exec(new Sign(output, da)); // the mask: 1 where relu(a + b) > 0
            } else { // backprop without the training forward pass: a + b again
                Nd4j.exec(new AddOp(inputs[0].castTo(dataType), inputs[1].castTo(dataType), da));
                Nd4j.exec(new RectifiedLinear(da, da, 0.0));
                Nd4j.exec(new Sign(da, da));
            }
            Nd4j.exec(new MulOp(epsilon.castTo(dataType), da, da));
            db.assign(da);
            return new Pair<>(null, new INDArray[] {da, db});
        }

        /** The gradient for one input: its own array, in the incoming gradient's layout (DL4J may add into it). */
        private INDArray copy(INDArray gradient, LayerWorkspaceMgr mgr) {
            INDArray nhwc = ChannelsLast.nhwcOf(gradient);
            if (nhwc != null && dataType == DataType.FLOAT) {
                INDArray g = ChannelsLast.create(mgr, ArrayType.ACTIVATION_GRAD, dataType, gradient.size(0),
                        gradient.size(1), gradient.size(2), gradient.size(3));
                ChannelsLast.nhwcOf(g).assign(nhwc);
                return g;
            }
            return mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, gradient.shape(), 'c')
                    .assign(gradient.castTo(dataType));
        }

        @Override
        public void clear() {
            super.clear();
            forwardA = null;
            forwardB = null;
            forwardOutput = null;
        }
    }
}
