package io.github.visionzoo.zoo;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.github.visionzoo.zoo.models.AlexNetSpec;
import io.github.visionzoo.zoo.models.ResNetSpec;
import io.github.visionzoo.zoo.models.VggSpec;
import io.github.visionzoo.zoo.models.VitSpec;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;

/**
 * An architecture as a small immutable value: a record per family with named variants (such as
 * {@link ResNetSpec#resnet34()}), validated where it is built, that turns into a DL4J
 * {@link ComputationGraphConfiguration}. Specs round-trip through JSON ({@link Json}), tagged by {@code family}:
 *
 * <pre>{"family":"resnet","block":"basic","layers":[3,4,6,3],"width":64,"convBias":false,"imageSize":224}</pre>
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "family")
@JsonSubTypes({
        @JsonSubTypes.Type(value = AlexNetSpec.class, name = "alexnet"),
        @JsonSubTypes.Type(value = VggSpec.class, name = "vgg"),
        @JsonSubTypes.Type(value = ResNetSpec.class, name = "resnet"),
        @JsonSubTypes.Type(value = VitSpec.class, name = "vit")
})
public interface ModelSpec {
    /** The seed {@link Zoo} initializes with unless told otherwise. */
    long DEFAULT_SEED = 42;

    /** Height and width of the square RGB input. */
    int imageSize();

    /** The name of the classifier vertex, the one fine-tuning replaces ({@code fc}, {@code classifier.6}, ...). */
    String headName();

    /** The DL4J configuration of this architecture with {@code numClasses} outputs. */
    ComputationGraphConfiguration configuration(int numClasses, long seed);

    default ComputationGraphConfiguration configuration(int numClasses) {
        return configuration(numClasses, DEFAULT_SEED);
    }

    /** The same architecture at another input size; families whose input size is fixed reject other sizes. */
    ModelSpec withImageSize(int imageSize);
}
