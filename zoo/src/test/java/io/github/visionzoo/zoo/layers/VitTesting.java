package io.github.visionzoo.zoo.layers;

import java.io.File;
import java.net.URISyntaxException;
import java.net.URL;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Helpers shared by the ViT tests. */
public final class VitTesting {
    private VitTesting() {
    }

    /** A file under {@code src/test/resources/golden/vit/}. */
    public static File golden(String path) {
        URL url = VitTesting.class.getResource("/golden/vit/" + path);
        if (url == null) {
            throw new IllegalStateException("missing golden file " + path + "; run src/tools/golden_vit.py");
        }
        try {
            return new File(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static INDArray npy(String path) {
        return Nd4j.createFromNpyFile(golden(path));
    }

    public static double maxAbsDiff(INDArray a, INDArray b) {
        return a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
    }
}
