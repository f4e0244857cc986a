package io.github.visionzoo.imagenette.transform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.visionzoo.imagenette.ImageDecoder;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * visionzoo's decoder and transforms against Pillow's and torchvision's, on the photo-like images and goldens of
 * {@code golden/transforms} ({@code src/tools/golden/golden_transforms.py}): the same crop boxes and flips give the
 * same tensors, and {@link RandomResizedCrop} draws its boxes from torchvision's distribution. Tolerances, in [0, 1]
 * pixel units:
 *
 * <ul>
 *   <li>against torchvision on float tensors ({@code antialias=True}): {@value #TENSOR_TOL}. The same filter, support
 *   and weights, summed in float32 in another order (torch computes its weights in float32, visionzoo in double);
 *   seen: 1e-6;</li>
 *   <li>against torchvision on PIL images, what {@code ImageFolder} training does: one 8-bit level, 1/255, and 1e-3
 *   of one for Pillow's 22-bit fixed-point weights. Pillow rounds to 8 bits after each of its two passes (half a level
 *   each, and the second pass averages the first's errors), visionzoo keeps floats; seen: 0.99999994 levels. Crops,
 *   flips and padding copy pixels and are exact. Bicubic: {@value #PIL_BICUBIC_TOL}; the first pass's rounding of half a
 *   level is multiplied by the second pass's sum of absolute weights, at most 1.25 for the cubic filter (weights
 *   0.5625 and -0.0625 twice), plus the last rounding's half a level: 1.125 levels;</li>
 *   <li>normalized values: {@value #NORM_TOL} ({@code x * (1 / std)} against torchvision's {@code x / std}), plus the
 *   above divided by the smallest standard deviation, 0.224;</li>
 *   <li>decoding: exact, for baseline and progressive, 4:2:0 and 4:4:4, grayscale, CMYK and YCCK JPEGs and PNGs.</li>
 * </ul>
 */
class TorchvisionGoldenTest {
    static final double TENSOR_TOL = 2e-6;
    static final double PIL_TOL = 1.001 / 255;
    static final double PIL_BICUBIC_TOL = 1.126 / 255;
    static final double NORM_TOL = 1e-6;
    private static final double MIN_STD = 0.224;
    /** Draws of {@link RandomResizedCrop#params} per configuration. */
    private static final int DRAWS = 20_000;
    /** Chance that a correct sampler fails one of the distribution comparisons (DKW bound, per sample). */
    private static final double ALPHA = 1e-6;

    private static final JsonNode INDEX = json("index.json");

    static Stream<String> images() {
        List<String> names = new ArrayList<>();
        INDEX.get("images").forEach(i -> names.add(i.get("file").asText()));
        return names.stream();
    }

    @ParameterizedTest
    @MethodSource("images")
    void decodesLikePillow(String file) throws Exception {
        FloatImage mine = ImageDecoder.decode(resource(file));
        FloatImage pil = ofBytes(golden(file).get("decoded"));
        assertThat(maxDiff(mine, pil)).as(file + ": largest difference to Pillow's pixels").isZero();
    }

    @ParameterizedTest
    @MethodSource("images")
    void resamplingMatchesTorchvisionOnTensors(String file) throws Exception {
        Map<String, INDArray> g = golden(file);
        FloatImage decoded = ofBytes(g.get("decoded"));
        int compared = 0;
        for (JsonNode c : image(file).get("cases")) {
            String name = c.get("name").asText();
            if (g.containsKey("tensor_" + name)) {
                FloatImage mine = run(c, decoded.copy(), false);
                assertThat(maxDiff(mine, ofFloats(g.get("tensor_" + name)))).as(file + " " + c)
                        .isLessThanOrEqualTo(TENSOR_TOL);
                compared++;
            }
        }
        assertThat(compared).isGreaterThanOrEqualTo(4);
    }

    @ParameterizedTest
    @MethodSource("images")
    void transformsMatchTorchvisionOnPilImages(String file) throws Exception {
        Map<String, INDArray> g = golden(file);
        FloatImage decoded = ofBytes(g.get("decoded"));
        for (JsonNode c : image(file).get("cases")) {
            String name = c.get("name").asText();
            boolean copies = c.get("op").asText().equals("center_crop");
            FloatImage mine = run(c, decoded.copy(), false);
            assertThat(maxDiff(mine, ofBytes(g.get("pil_" + name)))).as(file + " " + c)
                    .isLessThanOrEqualTo(copies ? 0 : c.has("interpolation") ? PIL_BICUBIC_TOL : PIL_TOL);
        }
    }

    @ParameterizedTest
    @MethodSource("images")
    void normalizeMatchesTorchvision(String file) throws Exception {
        Map<String, INDArray> g = golden(file);
        FloatImage crop = ofBytes(g.get("pil_crop0"));
        assertThat(maxDiff(new Normalize().apply(crop, null), ofFloats(g.get("pil_crop0_norm"))))
                .isLessThanOrEqualTo(NORM_TOL);
    }

    /** The whole evaluation pipeline, from the file: decode, resize 18, centre crop 16, normalize. */
    @ParameterizedTest
    @MethodSource("images")
    void evaluationTransformOfTheFileMatchesTorchvision(String file) throws Exception {
        JsonNode eval = null;
        for (JsonNode c : image(file).get("cases")) {
            eval = c.get("op").asText().equals("eval") ? c : eval;
        }
        FloatImage mine = run(eval, ImageDecoder.decode(resource(file)), true);
        assertThat(maxDiff(mine, ofFloats(golden(file).get("pil_eval_norm"))))
                .isLessThanOrEqualTo(PIL_TOL / MIN_STD + NORM_TOL);
    }

    /**
     * {@link RandomResizedCrop#params} against torchvision's {@code get_params}: the CDFs of the area fraction and of
     * the aspect ratio of {@value #DRAWS} boxes, at torchvision's own quantiles (from 200,000 draws), agree within the
     * Dvoretzky-Kiefer-Wolfowitz bound of both samples, {@code sqrt(ln(2 / alpha) / (2 n))} each with alpha 1e-6:
     * 0.019 + 0.006. A ratio drawn uniformly instead of log-uniformly is 0.07 off at ratio 1, sides rounded down instead of to nearest
     * 0.1 off on the 7 x 5 image.
     */
    @Test
    void randomResizedCropBoxesFollowTorchvisionsDistribution() {
        for (JsonNode cfg : json("rrc_params.json").get("configs")) {
            int width = cfg.get("width").asInt();
            int height = cfg.get("height").asInt();
            RandomResizedCrop rrc = new RandomResizedCrop(16, cfg.get("scale").get(0).asDouble(),
                    cfg.get("scale").get(1).asDouble(), cfg.get("ratio").get(0).asDouble(),
                    cfg.get("ratio").get(1).asDouble());
            double[] area = new double[DRAWS];
            double[] aspect = new double[DRAWS];
            Random random = new Random(42);
            for (int n = 0; n < DRAWS; n++) {
                int[] p = rrc.params(width, height, random);
                area[n] = (double) (p[2] * p[3]) / (height * width);
                aspect[n] = (double) p[3] / p[2];
            }
            double tol = dkw(DRAWS) + dkw(cfg.get("draws").asInt());
            assertCdfMatches(area, cfg.get("area"), tol, cfg + " area");
            assertCdfMatches(aspect, cfg.get("aspect"), tol, cfg + " aspect");
        }
    }

    private static double dkw(int n) {
        return Math.sqrt(Math.log(2 / ALPHA) / (2.0 * n));
    }

    private static void assertCdfMatches(double[] sample, JsonNode torch, double tol, String what) {
        JsonNode at = torch.get("at");
        for (int k = 0; k < at.size(); k++) {
            double x = at.get(k).asDouble();
            long below = Arrays.stream(sample).filter(v -> v <= x).count();
            assertThat((double) below / sample.length).as(what + " CDF at " + x)
                    .isCloseTo(torch.get("cdf").get(k).asDouble(), within(tol));
        }
    }

    /** The case's transform, visionzoo's; {@code normalize}: eval ends with {@link Normalize}, as the preset. */
    private static FloatImage run(JsonNode c, FloatImage in, boolean normalize) {
        switch (c.get("op").asText()) {
            case "resize": {
                JsonNode s = c.get("size");
                if (c.has("interpolation")) {
                    Interpolation filter = Interpolation.valueOf(c.get("interpolation").asText().toUpperCase());
                    return s.size() == 1 ? Resize.shortSide(s.get(0).asInt(), filter).apply(in, null)
                            : Resampler.resize(in, s.get(1).asInt(), s.get(0).asInt(), filter);
                }
                Resize r = s.size() == 1 ? Resize.shortSide(s.get(0).asInt())
                        : Resize.to(s.get(1).asInt(), s.get(0).asInt());
                return r.apply(in, null);
            }
            case "resized_crop": {
                int[] box = new int[4];
                for (int k = 0; k < 4; k++) {
                    box[k] = c.get("box").get(k).asInt();
                }
                FloatImage out = new RandomResizedCrop(c.get("size").asInt()).crop(in, box);
                return c.path("flip").asBoolean() ? RandomHorizontalFlip.flip(out) : out;
            }
            case "center_crop":
                return new CenterCrop(c.get("size").get(1).asInt(), c.get("size").get(0).asInt()).apply(in, null);
            case "eval": {
                int crop = c.get("crop").asInt();
                assertThat(Presets.evalResize(crop)).isEqualTo(c.get("resize").asInt());
                if (!normalize) {
                    return new CenterCrop(crop).apply(Resize.shortSide(Presets.evalResize(crop)).apply(in, null), null);
                }
                return Presets.eval(crop).apply(in, null);
            }
            default:
                throw new IllegalArgumentException(c.toString());
        }
    }

    // ---------------------------------------------------------------------------------------------------------------

    private static JsonNode image(String file) {
        for (JsonNode i : INDEX.get("images")) {
            if (i.get("file").asText().equals(file)) {
                return i;
            }
        }
        throw new IllegalArgumentException(file);
    }

    static Map<String, INDArray> golden(String file) throws Exception {
        return Nd4j.createFromNpzFile(resource(file.substring(0, file.lastIndexOf('.')) + ".npz").toFile());
    }

    static JsonNode json(String name) {
        try {
            return new ObjectMapper().readTree(resource(name).toFile());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path resource(String name) {
        URL url = TorchvisionGoldenTest.class.getResource("/golden/transforms/" + name);
        if (url == null) {
            throw new IllegalArgumentException("no golden file golden/transforms/" + name + " in the test resources;"
                    + " run src/tools/golden/golden_transforms.py");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A uint8 [3, H, W] array as an image in [0, 1], as torchvision's {@code ToTensor}. */
    static FloatImage ofBytes(INDArray a) {
        long[] s = a.shape();
        float[] d = a.castTo(DataType.FLOAT).reshape(-1).toFloatVector();
        for (int i = 0; i < d.length; i++) {
            d[i] = d[i] / 255f;
        }
        return new FloatImage((int) s[2], (int) s[1], d);
    }

    static FloatImage ofFloats(INDArray a) {
        long[] s = a.shape();
        return new FloatImage((int) s[2], (int) s[1], a.castTo(DataType.FLOAT).reshape(-1).toFloatVector());
    }

    static double maxDiff(FloatImage a, FloatImage b) {
        assertThat(new int[] {a.width(), a.height()}).containsExactly(b.width(), b.height());
        float[] x = a.data();
        float[] y = b.data();
        double m = 0;
        for (int i = 0; i < x.length; i++) {
            m = Math.max(m, Math.abs(x[i] - y[i]));
        }
        return m;
    }
}
