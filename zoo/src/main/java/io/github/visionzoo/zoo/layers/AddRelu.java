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
 * {@code relu(a + b)}, the end of a residual block (torchvision's {@code out += identity; out = relu(out)}), as one
 * vertex: DL4J's element-wise add (an {@link ElementWiseVertex}, of which this is a subclass, so JSON and tools treat
 * it as one) followed by an activation layer keeps one more activation array and copies the gradients twice more
 * backward. The backward pass takes its mask from the kept output (a reference into the activations workspace, not
 * a copy) instead of recomputing {@code a + b}. Forward runs on the vertex's kernel where it takes the inputs
 * ({@link Kernels#addRelu}: one oneDNN primitive for float inputs of one layout, NCHW or channels-last); otherwise,
 * and backward, float arrays take one Java pass ({@link FloatLoops}): the sum and its ReLU forward, both inputs'
 * gradients backward; other types take libnd4j's ops (two forward, three backward). The two inputs must have the same
 * shape.
 */
public class AddRelu extends ElementWiseVertex {
    private static final long serialVersionUID = 1L;

    public AddRelu() {
        super(Op.Add);
    }

    @Override
    public AddRelu clone() {
        return new AddRelu();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AddRelu;
    }

    @Override
    public int hashCode() {
        return AddRelu.class.hashCode();
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
        return new Impl(graph, name, idx, networkDatatype);
    }

    /** The running vertex. */
    static final class Impl extends org.deeplearning4j.nn.graph.vertex.impl.ElementWiseVertex {
        /** The last training forward pass's inputs and output, in workspaces that outlast backprop. */
        private INDArray forwardA;
        private INDArray forwardB;
        private INDArray forwardOutput;
        private final AddReluKernel kernel = Kernels.addRelu();
        /** Whether the last forward pass ran on {@link #kernel}. */
        private boolean kernelPass;

        Impl(ComputationGraph graph, String name, int index, DataType dataType) {
            super(graph, name, index, Op.Add, dataType);
        }

        private void requireSameShapes() {
            if (inputs.length != 2 || !inputs[0].equalShapes(inputs[1])) {
                throw new IllegalStateException("AddRelu '" + getVertexName() + "' needs two inputs of one shape, got "
                        + Arrays.stream(inputs).map(a -> Arrays.toString(a.shape())).toList());
            }
        }

        @Override
        public INDArray doForward(boolean training, LayerWorkspaceMgr workspaceMgr) {
            if (!canDoForward()) {
                throw new IllegalStateException("AddRelu '" + getVertexName() + "': inputs not set");
            }
            requireSameShapes();
            INDArray a = inputs[0];
            INDArray b = inputs[1];
            INDArray out = kernel.forward(a, b, dataType, workspaceMgr);
            kernelPass = out != null;
            if (kernelPass) {
                return kept(training, out);
            }
            INDArray outMemory; // out, or the NHWC memory behind it
            INDArray aNhwc = ChannelsLast.nhwcOf(a);
            INDArray bNhwc = ChannelsLast.nhwcOf(b);
            if (aNhwc != null && bNhwc != null && dataType == DataType.FLOAT) {
                // channels-last activations (inference after Conv2d and BatchNorm) stay channels-last
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
                FloatLoops.rows(new INDArray[] {a, b}, new INDArray[] {outMemory}, FloatLoops.CHUNK,
                        (worker, row, in, o, length) -> {
                            float[] x = in[0];
                            float[] y = in[1];
                            float[] z = o[0];
                            for (int i = 0; i < length; i++) {
                                z[i] = Math.max(x[i] + y[i], 0f);
                            }
                        });
            } else {
                Nd4j.exec(new AddOp(inputs[0].castTo(dataType), inputs[1].castTo(dataType), out));
                Nd4j.exec(new RectifiedLinear(out, out, 0.0));
            }
            return kept(training, out);
        }

        /** Whether the last forward pass ran on the kernel. */
        boolean ranOnKernel() {
            return kernelPass;
        }

        /** {@code out}, kept with the inputs after a training forward pass, for the backward pass's mask. */
        private INDArray kept(boolean training, INDArray out) {
            forwardA = training ? inputs[0] : null;
            forwardB = training ? inputs[1] : null;
            forwardOutput = training ? out : null;
            return out;
        }

        @Override
        public Pair<Gradient, INDArray[]> doBackward(boolean tbptt, LayerWorkspaceMgr workspaceMgr) {
            if (!canDoBackward()) {
                throw new IllegalStateException("AddRelu '" + getVertexName() + "': gradient not set");
            }
            requireSameShapes();
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

        @Override
        public void clear() {
            super.clear();
            forwardA = null;
            forwardB = null;
            forwardOutput = null;
        }
    }
}
