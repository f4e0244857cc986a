package io.github.visionzoo.zoo.train;

import org.deeplearning4j.core.storage.StatsStorage;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.ui.api.UIServer;
import org.deeplearning4j.ui.model.stats.StatsListener;
import org.deeplearning4j.ui.model.storage.InMemoryStatsStorage;

/**
 * DL4J's training UI (http://localhost:9000 by default): the only class that refers to the optional dependency
 * {@code org.deeplearning4j:deeplearning4j-ui}, so that the trainer runs without it; {@link Trainer} checks that the
 * dependency is there before it touches this class.
 */
final class TrainingUi {
    /** A class of the optional dependency, for the presence check. */
    static final String PROBE_CLASS = "org.deeplearning4j.ui.api.UIServer";

    private TrainingUi() {
    }

    /** Starts (or reuses) the UI server and returns a listener that reports to it. */
    static TrainingListener listener() {
        StatsStorage storage = new InMemoryStatsStorage();
        UIServer.getInstance().attach(storage);
        return new StatsListener(storage);
    }
}
