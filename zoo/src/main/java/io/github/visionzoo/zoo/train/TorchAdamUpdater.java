package io.github.visionzoo.zoo.train;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.api.ops.impl.updaters.AdamUpdater;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.GradientUpdater;

/** The state and step of {@link TorchAdam}: the first and second moments, halves of the network's updater state. */
public final class TorchAdamUpdater implements GradientUpdater<TorchAdam> {
    /** The keys of the moments in {@link #getState()}, as DL4J's Adam names them. */
    public static final String M = "M";
    public static final String V = "V";

    private final TorchAdam config;
    private INDArray m;
    private INDArray v;

    public TorchAdamUpdater(TorchAdam config) {
        this.config = config;
    }

    @Override
    public TorchAdam getConfig() {
        return config;
    }

    @Override
    public void setState(Map<String, INDArray> stateMap, boolean initialize) {
        if (stateMap.size() != 2 || !stateMap.containsKey(M) || !stateMap.containsKey(V)) {
            throw new IllegalArgumentException("TorchAdam state must hold exactly [" + M + ", " + V + "], was "
                    + stateMap.keySet());
        }
        m = stateMap.get(M);
        v = stateMap.get(V);
        if (initialize) {
            m.assign(0);
            v.assign(0);
        }
    }

    @Override
    public Map<String, INDArray> getState() {
        return Map.of(M, m, V, v);
    }

    @Override
    public void setStateViewArray(INDArray viewArray, long[] gradientShape, char gradientOrder, boolean initialize) {
        if (initialize) {
            viewArray.assign(0);
        }
        INDArray flat = viewArray.reshape(viewArray.length());
        long half = flat.length() / 2;
        m = flat.get(NDArrayIndex.interval(0, half));
        v = flat.get(NDArrayIndex.interval(half, flat.length()));
    }

    /** Turns the gradient, in place, into the step that DL4J subtracts from the parameters. */
    @Override
    public void applyUpdater(INDArray gradient, int iteration, int epoch) {
        if (m == null) {
            throw new IllegalStateException("TorchAdam updater used before its state was set");
        }
        double lr = config.getLearningRate(iteration, epoch);
        // the kernel computes lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps); this eps makes it PyTorch's
        double eps = config.epsilon() * Math.sqrt(1 - Math.pow(config.beta2(), iteration + 1));
        Nd4j.exec(new AdamUpdater(vector(gradient), vector(v), vector(m), lr, config.beta1(), config.beta2(), eps,
                iteration));
    }

    /**
     * {@code a} as a C-order vector, a view (or {@code a} itself where no view can be). Why: libnd4j's
     * {@code adam_updater} runs its vectorized loop only where all its arrays report the same order, and ND4J reports
     * an interval of a vector, such as each moment's half of the state, as F order; else it walks them element by
     * element by index, several times slower (the larger part of AlexNet's step outside its layers).
     */
    static INDArray vector(INDArray a) {
        if (a.rank() == 1 && a.ordering() == 'c') {
            return a;
        }
        INDArray view = Shape.newShapeNoCopy(a, new long[] {a.length()}, false);
        return view != null ? view : a; // a copy would lose the step: then the slow loop, on a itself
    }
}
