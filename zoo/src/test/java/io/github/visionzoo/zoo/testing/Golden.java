package io.github.visionzoo.zoo.testing;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Golden files made once by the scripts in {@code src/tools/golden} and committed under {@code golden/} test
 * resources.
 */
public final class Golden {
    private Golden() {
    }

    /** A {@code .npy} file under the test resources' {@code golden/} folder. */
    public static INDArray load(String path) {
        return Nd4j.createFromNpyFile(file(path).toFile());
    }

    /** A file under the test resources' {@code golden/} folder. */
    public static Path file(String path) {
        URL url = Golden.class.getResource("/golden/" + path);
        if (url == null) {
            throw new IllegalArgumentException("no golden file golden/" + path + " in the test resources; "
                    + "run the script in src/tools/golden that makes it");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static double maxAbsDiff(INDArray a, INDArray b) {
        if (!java.util.Arrays.equals(a.shape(), b.shape())) {
            throw new AssertionError("shapes differ: " + java.util.Arrays.toString(a.shape()) + " vs "
                    + java.util.Arrays.toString(b.shape()));
        }
        return a.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE)
                .sub(b.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE)).amaxNumber().doubleValue();
    }
}
