package org.nd4j.nativeblas;

import java.lang.reflect.Method;

/**
 * Compatibility shim that lets DL4J 1.0.0-M2.1 find ND4J's oneDNN switch.
 *
 * <p>{@code org.deeplearning4j.nn.layers.mkldnn.BaseMKLDNNHelper.mklDnnEnabled()} reflects on
 * {@code org.nd4j.nativeblas.Nd4jCpu$Environment#isUseMKLDNN()}, a class that ND4J renamed to
 * {@code org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment#isUseONEDNN()} before M2.1 shipped. The lookup
 * fails, and DL4J then never creates its oneDNN convolution, pooling, batch-norm and LRN helpers. This class restores
 * the old name and delegates to the new one by reflection, so it also loads (and answers {@code false}) when the CPU
 * backend is absent. It is used together with {@link io.github.visionzoo.zoo.OneDnn#enable()}.
 */
public final class Nd4jCpu {
    private Nd4jCpu() {
    }

    /** The old {@code Nd4jCpu.Environment}: only what {@code BaseMKLDNNHelper} calls. */
    public static final class Environment {
        private static final Environment INSTANCE = new Environment();
        private static final String CURRENT = "org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment";

        private Environment() {
        }

        public static Environment getInstance() {
            return INSTANCE;
        }

        /** Whether the loaded ND4J natives were built with oneDNN and have it switched on. */
        public boolean isUseMKLDNN() {
            try {
                Class<?> c = Class.forName(CURRENT);
                Object env = c.getMethod("getInstance").invoke(null);
                Method m = c.getMethod("isUseONEDNN");
                return (Boolean) m.invoke(env);
            } catch (ReflectiveOperationException | LinkageError e) {
                return false;
            }
        }
    }
}
