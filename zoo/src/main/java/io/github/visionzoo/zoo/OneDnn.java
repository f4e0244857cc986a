package io.github.visionzoo.zoo;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.LayerHelper;
import org.deeplearning4j.nn.api.Layer;

/**
 * Switches on DL4J's oneDNN (CPU) and cuDNN (CUDA) layer helpers, which DL4J 1.0.0-M2.1 leaves off.
 *
 * <p>Two things keep them off in M2.1: the system property {@value #DISABLE_PROPERTY} defaults to {@code "true"}, and
 * on the CPU the oneDNN check reflects on a class that ND4J renamed (see {@link org.nd4j.nativeblas.Nd4jCpu}).
 * {@link #enable()} sets the property; the shim class fixes the lookup. Helpers are chosen when a layer is
 * instantiated, so call {@code enable()} before the first network is built: {@link Zoo} does it for you. Set
 * {@code -Dvisionzoo.onednn=false} to keep DL4J's built-in Java implementations (for comparisons).
 *
 * <p>visionzoo's own layers also call oneDNN directly, through JavaCPP's {@code dnnl} presets, where those natives
 * load on the CPU backend; each layer chooses its kernels when it is instantiated, as DL4J's layers choose their
 * helpers, and {@code -D}{@value #DIRECT_PROPERTY}{@code =false} keeps them on DL4J's code and libnd4j's ops.
 */
public final class OneDnn {
    /** DL4J's switch: helpers are created only when it is {@code "false"}. */
    public static final String DISABLE_PROPERTY = "org.eclipse.deeplearning4j.helpers.disable";
    /** visionzoo's opt-out. */
    public static final String OPT_OUT_PROPERTY = "visionzoo.onednn";
    /**
     * visionzoo's opt-out of its own oneDNN calls (the convolutions, batch norm, residual sums, max pooling's training
     * passes, attention products), read when a layer is instantiated.
     */
    public static final String DIRECT_PROPERTY = "visionzoo.onednn.direct";

    private OneDnn() {
    }

    /**
     * Lets DL4J create its native layer helpers, unless {@code -Dvisionzoo.onednn=false}, and fixes glibc's mmap
     * threshold ({@link CpuThreads#mapLargeBlocks()}). Idempotent. Checks both
     * speed switches ({@link #switchedOn}), so that a typo stops the program before a network is built rather than at
     * its first pass.
     */
    public static void enable() {
        CpuThreads.mapLargeBlocks();
        switchedOn(DIRECT_PROPERTY);
        if (switchedOn(OPT_OUT_PROPERTY)) {
            System.setProperty(DISABLE_PROPERTY, "false");
        }
    }

    /**
     * A visionzoo speed switch: the system property {@code property}, {@code true} when unset; anything but
     * {@code true} or {@code false} (any case) is refused, so that a typo does not quietly run the slow path.
     */
    public static boolean switchedOn(String property) {
        String value = System.getProperty(property);
        if (value == null || value.equalsIgnoreCase("true")) {
            return true;
        }
        if (value.equalsIgnoreCase("false")) {
            return false;
        }
        throw new IllegalArgumentException("-D" + property + " must be true or false, was '" + value + "'");
    }

    /** Whether the loaded natives have oneDNN switched on (the CPU backend with a oneDNN build). */
    public static boolean nativesHaveOneDnn() {
        return org.nd4j.nativeblas.Nd4jCpu.Environment.getInstance().isUseMKLDNN();
    }

    /** The helper that a layer of an initialized graph runs with, or {@code null} when it runs DL4J's Java code. */
    public static LayerHelper helperOf(ComputationGraph graph, String layerName) {
        Layer layer = graph.getLayer(layerName);
        if (layer == null) {
            throw new IllegalArgumentException("no layer named '" + layerName + "' in this graph");
        }
        return layer.getHelper();
    }
}
