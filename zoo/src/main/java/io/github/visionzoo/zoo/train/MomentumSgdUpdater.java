package io.github.visionzoo.zoo.train;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.learning.GradientUpdater;

/** The state and step of {@link MomentumSgd}: one velocity array, a view of the network's updater state. */
public final class MomentumSgdUpdater implements GradientUpdater<MomentumSgd> {
    /** The key of the velocity in {@link #getState()}. */
    public static final String VELOCITY = "V";

    private final MomentumSgd config;
    private INDArray velocity;

    public MomentumSgdUpdater(MomentumSgd config) {
        this.config = config;
    }

    @Override
    public MomentumSgd getConfig() {
        return config;
    }

    @Override
    public void setState(Map<String, INDArray> stateMap, boolean initialize) {
        if (stateMap.size() != 1 || !stateMap.containsKey(VELOCITY)) {
            throw new IllegalArgumentException("MomentumSgd state must hold exactly [" + VELOCITY + "], was "
                    + stateMap.keySet());
        }
        velocity = stateMap.get(VELOCITY);
        if (initialize) {
            velocity.assign(0);
        }
    }

    @Override
    public Map<String, INDArray> getState() {
        return Map.of(VELOCITY, velocity);
    }

    @Override
    public void setStateViewArray(INDArray viewArray, long[] gradientShape, char gradientOrder, boolean initialize) {
        if (initialize) {
            viewArray.assign(0);
        }
        velocity = Shape.newShapeNoCopy(viewArray, gradientShape, gradientOrder == 'f');
        if (velocity == null) {
            throw new IllegalStateException("cannot view the MomentumSgd state as the gradient's shape "
                    + java.util.Arrays.toString(gradientShape));
        }
    }

    /** Turns the gradient, in place, into the step that DL4J subtracts from the parameters. */
    @Override
    public void applyUpdater(INDArray gradient, int iteration, int epoch) {
        if (velocity == null) {
            throw new IllegalStateException("MomentumSgd updater used before its state was set");
        }
        double lr = config.getLearningRate(iteration, epoch);
        double mu = config.momentum();
        INDArray g = gradient.reshape(velocity.shape());
        velocity.muli(mu).addi(g);
        if (config.nesterov()) {
            g.addi(velocity.mul(mu)).muli(lr);
        } else {
            g.assign(velocity).muli(lr);
        }
    }
}
