package io.github.visionzoo.zoo.layers;

import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.samediff.DL4JSameDiffMemoryMgr;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.autodiff.samediff.internal.SessionMemMgr;
import org.nd4j.autodiff.util.SameDiffUtils;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.ExternalErrorsFunction;
import org.nd4j.linalg.factory.Nd4j;

/**
 * visionzoo's base for SameDiff layers: DL4J's {@link SameDiffLayer} with two defects of DL4J 1.0.0-M2.1 repaired.
 *
 * <p><b>Doubled gradients.</b> In M2.1 a SameDiff layer's backward pass counts the incoming gradient twice: the
 * external-errors function that feeds DL4J's epsilon into SameDiff both registers its placeholder as the output's
 * gradient and returns it from {@code doDiff}, and SameDiff adds the two ({@code add(out-grad, out-grad)} in the
 * gradient function). Every parameter gradient and the gradient passed to the layers below come out twice too large,
 * and twice more for each further SameDiff layer on the way. Here the layer measures the factor once per JVM
 * ({@link #externalErrorsFactor()}, 2 in M2.1, 1 once fixed) and divides the incoming gradient by it, so DL4J's
 * numerical gradient checks pass.
 *
 * <p><b>Dropout.</b> A SameDiff layer runs one fixed graph for training and inference (the {@code training} flag
 * never reaches it), DL4J's layer-level {@code dropOut} is silently ignored for SameDiff layers, and SameDiff's own
 * dropout op is always on and would draw a second, different mask when the backward pass recomputes the forward pass.
 * Here every dropout site is a placeholder mask that the layer's runtime feeds from Java: in training a fresh
 * inverted-dropout mask ({@code 0} with probability {@code rate}, else {@code 1/(1-rate)}, PyTorch's {@code Dropout})
 * drawn from ND4J's random generator and kept until the backward pass, so that the gradient is the gradient of the
 * very function that produced the output; in inference a broadcast {@code 1}. Sites whose rate is 0 are not in the
 * graph at all. Subclasses list their sites in {@link #dropoutSites()} and wrap each place with
 * {@link #dropout(SameDiff, SDVariable, String, long...)} in {@code defineLayer}.
 *
 * <p>The runtime layer's forward and backward passes are otherwise DL4J's own (M2.1) code.
 */
public abstract class ZooSameDiffLayer extends SameDiffLayer {
    private static final long serialVersionUID = 1L;

    /** What SameDiff prints to {@code System.out} for each op it differentiates. */
    static final String GRADIENT_LOG_PREFIX = "Added differentiated op ";

    /** Prefix of the placeholder names of dropout masks. */
    public static final String MASK_PREFIX = "dropout-mask-";

    /**
     * One place where the layer drops units while training.
     *
     * @param name  the site's name, unique in the layer (torchvision's module name where it has one, e.g. {@code mlp.2})
     * @param rate  the probability of dropping a unit, in {@code (0, 1)}
     * @param shape the shape of the dropped tensor for one example (without the batch dimension)
     */
    public record DropoutSite(String name, double rate, long[] shape) {
        public DropoutSite {
            if (!(rate > 0 && rate < 1)) {
                throw new IllegalArgumentException("dropout site '" + name + "' needs a rate in (0, 1), was " + rate);
            }
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    private static volatile double externalErrorsFactor;

    protected ZooSameDiffLayer() {
    }

    /**
     * How many times SameDiff counts the gradient that DL4J feeds into a SameDiff layer: 2 in DL4J 1.0.0-M2.1 (see the
     * class comment), 1 where that is fixed. Measured once, on a one-op graph {@code y = x}.
     */
    public static double externalErrorsFactor() {
        double f = externalErrorsFactor;
        if (f == 0) {
            synchronized (ZooSameDiffLayer.class) {
                if (externalErrorsFactor == 0) {
                    externalErrorsFactor = probeExternalErrorsFactor();
                }
                f = externalErrorsFactor;
            }
        }
        return f;
    }

    @SuppressWarnings("try")
    static double probeExternalErrorsFactor() {
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            SameDiff sd = SameDiff.create();
            SDVariable x = sd.placeHolder("x", DataType.DOUBLE, -1, 1);
            SDVariable y = x.mul(1.0);
            ExternalErrorsFunction fn = SameDiffUtils.externalErrors(sd, null, y);
            createGradFunctionQuietly(sd, "x");
            Map<String, INDArray> ph = new HashMap<>();
            ph.put("x", Nd4j.ones(DataType.DOUBLE, 1, 1));
            ph.put(fn.getGradPlaceholderName(), Nd4j.ones(DataType.DOUBLE, 1, 1));
            double factor = sd.calculateGradients(ph, "x").get("x").getDouble(0);
            if (!(factor >= 0.5)) {
                throw new IllegalStateException("SameDiff's gradient of y = x came out as " + factor);
            }
            return factor;
        }
    }

    /**
     * {@code createGradFunction(variable)}, without the line per op that SameDiff 1.0.0-M2.1 prints to
     * {@code System.out} ("Added differentiated op ..."; a Swin-T's first training step would print about a thousand).
     * Other output passes through while the filter is in place.
     */
    static void createGradFunctionQuietly(SameDiff sd, String variable) {
        synchronized (ZooSameDiffLayer.class) {
            java.io.PrintStream out = System.out;
            System.setOut(new java.io.PrintStream(out, true) {
                @Override
                public void println(String line) {
                    if (line == null || !line.startsWith(GRADIENT_LOG_PREFIX)) {
                        super.println(line);
                    }
                }
            });
            try {
                sd.createGradFunction(variable);
            } finally {
                System.setOut(out);
            }
        }
    }

    /**
     * The sites with a rate above 0, each with its shape; derived from the layer's fields (no JSON property). None
     * unless a subclass says otherwise.
     */
    public List<DropoutSite> dropoutSites() {
        return List.of();
    }

    /** Checks a dropout probability, naming the field. */
    protected static double checkRate(String field, double rate) {
        if (!(rate >= 0 && rate < 1)) {
            throw new IllegalArgumentException(field + " must be in [0, 1), was " + rate);
        }
        return rate;
    }

    /**
     * Applies the dropout of {@code site} to {@code x} when the site is listed in {@link #dropoutSites()}; else returns
     * {@code x}. {@code shapeOfX} is x's shape with {@code -1} for its batch-dependent first dimension (for instance
     * {@code [-1, D]} for a {@code [b*T, D]} view); the mask has the site's shape plus the batch dimension. A site of
     * x's rank whose shape has 1 where x's differs broadcasts along those axes (stochastic depth's one draw per
     * example, {@code [b, 1, 1]}).
     */
    protected final SDVariable dropout(SameDiff sd, SDVariable x, String site, long... shapeOfX) {
        DropoutSite s = dropoutSites().stream().filter(d -> d.name().equals(site)).findFirst().orElse(null);
        if (s == null) {
            return x;
        }
        long[] natural = new long[s.shape().length + 1];
        natural[0] = -1;
        System.arraycopy(s.shape(), 0, natural, 1, s.shape().length);
        long[] any = new long[natural.length];
        Arrays.fill(any, -1);
        SDVariable mask = sd.placeHolder(MASK_PREFIX + site, x.dataType(), any);
        boolean reshape = !broadcasts(natural, shapeOfX);
        SDVariable dropped = (reshape ? x.reshape(natural) : x).mul(mask);
        return reshape ? dropped.reshape(shapeOfX) : dropped;
    }

    private static boolean broadcasts(long[] mask, long[] x) {
        if (mask.length != x.length) {
            return false;
        }
        for (int i = 0; i < mask.length; i++) {
            if (mask[i] != x[i] && mask[i] != 1) {
                return false;
            }
        }
        return true;
    }

    /**
     * The token sequence {@code [b, T, D]} that the ViT layers exchange: DL4J's recurrent type in
     * {@link RNNFormat#NWC} layout (PyTorch's {@code batch_first=True}), with a known length; else an exception naming
     * this layer.
     */
    protected final InputType.InputTypeRecurrent requireTokens(InputType inputType) {
        return requireTokens(this, inputType);
    }

    /** The output type of a layer that keeps its input's tokens and width: the input's, as {@code [b, T, D]}. */
    protected final InputType sameTokens(InputType inputType) {
        InputType.InputTypeRecurrent r = requireTokens(inputType);
        return InputType.recurrent(r.getSize(), r.getTimeSeriesLength(), RNNFormat.NWC);
    }

    /** {@link #requireTokens(InputType)} for any layer (the ViT layers that are not SameDiff layers). */
    static InputType.InputTypeRecurrent requireTokens(org.deeplearning4j.nn.conf.layers.Layer layer,
                                                      InputType inputType) {
        if (!(inputType instanceof InputType.InputTypeRecurrent r) || r.getFormat() != RNNFormat.NWC
                || r.getTimeSeriesLength() <= 0) {
            throw new IllegalArgumentException(layer.getClass().getSimpleName() + " '" + layer.getLayerName()
                    + "' needs a token sequence [b, T, D] (recurrent input, NWC format, known length), got "
                    + inputType);
        }
        return r;
    }

    /** An image batch {@code [b, c, h, w]} (DL4J's convolutional type, NCHW); else an exception naming this layer. */
    protected final InputType.InputTypeConvolutional requireNchw(InputType inputType) {
        if (!(inputType instanceof InputType.InputTypeConvolutional c)
                || c.getFormat() != org.deeplearning4j.nn.conf.CNN2DFormat.NCHW) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " '" + getLayerName()
                    + "' needs NCHW convolutional input [b, c, h, w], got " + inputType);
        }
        return c;
    }

    /** Re-derives the parameter shapes after the input size changed (they may have been cached before). */
    protected final void refreshParameters() {
        SDLayerParams p = getLayerParams();
        p.clear();
        defineParameters(p);
    }

    /**
     * Parameters with their updater state, the output as working memory in inference, and in training the input and
     * output again per example for the forward-pass arrays SameDiff keeps for backprop (an estimate). DL4J's
     * SameDiff layers report nothing, which breaks the memory report of any network that holds one.
     */
    @Override
    public LayerMemoryReport getMemoryReport(InputType inputType) {
        InputType outputType = getOutputType(-1, inputType);
        long params = initializer().numParams(this);
        long updaterState = getUpdater() == null ? 0 : getUpdater().stateSize(params);
        long in = inputType.arrayElementsPerExample();
        long out = outputType.arrayElementsPerExample();
        return new LayerMemoryReport.Builder(getLayerName(), getClass(), inputType, outputType)
                .standardMemory(params, updaterState)
                .workingMemory(0, out, 0, in + out)
                .cacheMemory(MemoryReport.CACHE_MODE_ALL_ZEROS, MemoryReport.CACHE_MODE_ALL_ZEROS)
                .build();
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams,
                             DataType networkDataType) {
        return RuntimeLayers.wire(new Impl(conf, networkDataType), conf, trainingListeners, layerIndex,
                layerParamsView, initializeParams);
    }

    /**
     * The runtime layer: DL4J's {@code SameDiffLayer} with the dropout masks fed as placeholders. Its forward and
     * backward passes are DL4J's own (1.0.0-M2.1), with the masks added to the placeholder map.
     */
    static final class Impl extends org.deeplearning4j.nn.layers.samediff.SameDiffLayer {
        private static final long serialVersionUID = 1L;

        /** The masks of the last forward pass, used again by the backward pass. */
        private Map<String, INDArray> masks = Map.of();
        /** Each site's placeholder (its name carries the SameDiff name scope it was created in). */
        private Map<String, String> maskNames;

        Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        private List<DropoutSite> sites() {
            return ((ZooSameDiffLayer) layerConf()).dropoutSites();
        }

        @Override
        @SuppressWarnings("try")
        public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(false);
            try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                if (sameDiff == null) {
                    doInit();
                }
                masks = newMasks(training);
            }
            SameDiffLayer bl = (SameDiffLayer) layerConf();
            bl.validateInput(input);
            Map<String, INDArray> phMap = placeholders();

            String wsNameWorking = workspaceMgr.getWorkspaceName(ArrayType.FF_WORKING_MEM);
            String wsNameOutput = workspaceMgr.getWorkspaceName(ArrayType.ACTIVATIONS);
            WorkspaceConfiguration confWorking = workspaceMgr.getConfiguration(ArrayType.FF_WORKING_MEM);
            WorkspaceConfiguration confOutput = workspaceMgr.getConfiguration(ArrayType.ACTIVATIONS);
            boolean actScopedOut = workspaceMgr.isScopedOut(ArrayType.ACTIVATIONS);
            if (!actScopedOut && wsNameOutput == null) {
                throw new IllegalStateException("Activations must have a workspace or must be scoped out");
            }
            SessionMemMgr mmgr = new DL4JSameDiffMemoryMgr(wsNameWorking, wsNameOutput, confWorking, confOutput);
            InferenceSession is = sameDiff.getSessions().get(Thread.currentThread().getId());
            if (is == null) {
                is = SameDiff.getInferenceFactory().create(sameDiff);
                sameDiff.getSessions().put(Thread.currentThread().getId(), is);
            }
            is.setMmgr(mmgr);

            INDArray result = sameDiff.output(phMap, outputKey).get(outputKey);
            if (!actScopedOut && !result.data().getParentWorkspace().getId().equals(wsNameOutput)) {
                result = workspaceMgr.dup(ArrayType.ACTIVATIONS, result);
            } else if (actScopedOut && result.isAttached()) {
                result = result.detach();
            }
            sameDiff.clearPlaceholders(true);
            sameDiff.clearOpInputs();
            return result;
        }

        @Override
        @SuppressWarnings("try")
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(true);
            Gradient g = new DefaultGradient();
            try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                if (sameDiff == null) {
                    doInit();
                }
                if (!sameDiff.hasGradientFunction()) {
                    createGradFunctionQuietly(sameDiff, INPUT_KEY);
                }
                if (masks.size() != sites().size()) {
                    masks = newMasks(true);
                }
            }
            Map<Long, InferenceSession> sessionMap = sameDiff.getFunction("grad").getSessions();
            if (!sessionMap.containsKey(Thread.currentThread().getId())) {
                sessionMap.put(Thread.currentThread().getId(),
                        SameDiff.getInferenceFactory().create(sameDiff.getFunction("grad")));
            }
            String wsNameWorking = workspaceMgr.getWorkspaceName(ArrayType.BP_WORKING_MEM);
            String wsNameActGrad = workspaceMgr.getWorkspaceName(ArrayType.ACTIVATION_GRAD);
            WorkspaceConfiguration confWorking = workspaceMgr.getConfiguration(ArrayType.BP_WORKING_MEM);
            WorkspaceConfiguration confOutput = workspaceMgr.getConfiguration(ArrayType.ACTIVATION_GRAD);
            boolean actGradScopedOut = workspaceMgr.isScopedOut(ArrayType.ACTIVATION_GRAD);
            if (!actGradScopedOut && wsNameActGrad == null) {
                throw new IllegalStateException("Activation gradients must have a workspace or be scoped out");
            }
            SessionMemMgr mmgr = new DL4JSameDiffMemoryMgr(wsNameWorking, wsNameActGrad, confWorking, confOutput);
            sessionMap.get(Thread.currentThread().getId()).setMmgr(mmgr);

            SameDiffLayer bl = (SameDiffLayer) layerConf();
            bl.validateInput(input);
            Map<String, INDArray> phMap = placeholders();
            double factor = externalErrorsFactor();
            phMap.put(fn.getGradPlaceholderName(), factor == 1.0 ? epsilon : epsilon.div(factor));

            List<String> requiredGrads = new java.util.ArrayList<>(paramTable.size() + 1);
            requiredGrads.add(INPUT_KEY);
            requiredGrads.addAll(paramTable.keySet());
            Map<String, INDArray> m = sameDiff.calculateGradients(phMap, requiredGrads);
            for (String s : paramTable.keySet()) {
                INDArray dl4jGrad = gradTable.get(s);
                dl4jGrad.assign(m.get(s));
                g.gradientForVariable().put(s, dl4jGrad);
            }
            INDArray dLdIn = m.get(INPUT_KEY);
            sameDiff.clearPlaceholders(true);
            sameDiff.clearOpInputs();
            return new Pair<>(g, workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, dLdIn));
        }

        private Map<String, INDArray> placeholders() {
            Map<String, INDArray> phMap = new HashMap<>();
            phMap.put(INPUT_KEY, input);
            phMap.put(MASK_KEY, maskArray != null ? maskArray : layerConf().onesMaskForInput(input));
            if (!masks.isEmpty() && maskNames == null) {
                maskNames = new HashMap<>();
                for (String placeholder : sameDiff.inputs()) {
                    for (DropoutSite s : sites()) {
                        String plain = MASK_PREFIX + s.name();
                        if (placeholder.equals(plain) || placeholder.endsWith("/" + plain)) {
                            maskNames.put(s.name(), placeholder);
                        }
                    }
                }
            }
            for (Map.Entry<String, INDArray> e : masks.entrySet()) {
                String name = maskNames.get(e.getKey());
                if (name == null) {
                    throw new IllegalStateException("no placeholder for dropout site '" + e.getKey() + "' in layer '"
                            + layerConf().getLayerName() + "': defineLayer must call dropout(...) for every site");
                }
                phMap.put(name, e.getValue());
            }
            return phMap;
        }

        /** Fresh inverted-dropout masks in training, broadcast ones otherwise; outside any workspace. */
        private Map<String, INDArray> newMasks(boolean training) {
            Map<String, INDArray> out = new LinkedHashMap<>();
            long batch = input.size(0);
            for (DropoutSite s : sites()) {
                long[] shape = new long[s.shape().length + 1];
                if (training) {
                    shape[0] = batch;
                    System.arraycopy(s.shape(), 0, shape, 1, s.shape().length);
                    double keep = 1.0 - s.rate();
                    INDArray u = Nd4j.rand(dataType, shape);
                    out.put(s.name(), u.lt(keep).castTo(dataType).divi(keep));
                } else {
                    Arrays.fill(shape, 1);
                    out.put(s.name(), Nd4j.ones(dataType, shape));
                }
            }
            return out;
        }
    }
}
