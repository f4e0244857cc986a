package io.github.visionzoo.zoo;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;

/**
 * An architecture as a small immutable value: a record per family with named variants (such as
 * {@code ResNetSpec.resnet34()}), validated where it is built, that turns into a DL4J
 * {@link ComputationGraphConfiguration} through its family's builder ({@link #family()}). Specs round-trip through
 * JSON ({@link Json}), tagged by the family:
 *
 * <pre>{"family":"resnet","block":"basic","layers":[3,4,6,3],"width":64,"convBias":false,"imageSize":224}</pre>
 *
 * <p>The tags are not listed here: {@link Json} takes them from the families {@link Zoo} registers, so this interface
 * knows no family and a family is added without touching it.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "family")
public interface ModelSpec {
    /** The seed {@link Zoo} initializes with unless told otherwise. */
    long DEFAULT_SEED = 42;

    /** The family's registration: its builder, head, state-dict names and variants. */
    ModelFamily<?> family();

    /** Height and width of the square RGB input. */
    int imageSize();

    /** The same architecture at another input size; families whose input size is fixed reject other sizes. */
    ModelSpec withImageSize(int imageSize);

    /** The name of the classifier vertex, the one fine-tuning replaces ({@code fc}, {@code classifier.6}, ...). */
    default String headName() {
        return family().head();
    }

    /** The DL4J configuration of this architecture with {@code numClasses} outputs. */
    default ComputationGraphConfiguration configuration(int numClasses, long seed) {
        return family().configuration(this, numClasses, seed);
    }

    default ComputationGraphConfiguration configuration(int numClasses) {
        return configuration(numClasses, DEFAULT_SEED);
    }
}
