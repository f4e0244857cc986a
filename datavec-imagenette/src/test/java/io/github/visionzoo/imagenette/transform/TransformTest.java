package io.github.visionzoo.imagenette.transform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.visionzoo.imagenette.TestData;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TransformTest {

    @Test
    void flipMirrorsAGradient() {
        FloatImage g = TestData.gradient(7, 3);
        FloatImage f = new RandomHorizontalFlip(1.0).apply(g.copy(), new Random(1));
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 3; y++) {
                for (int x = 0; x < 7; x++) {
                    assertThat(f.get(c, y, x)).isEqualTo(g.get(c, y, 6 - x));
                }
            }
        }
        assertThat(f.get(0, 0, 0)).isEqualTo(1f);
        assertThat(new RandomHorizontalFlip(0.0).apply(g.copy(), new Random(1))).isEqualTo(g);
    }

    @Test
    void flipHappensAboutHalfTheTime() {
        Random r = new Random(3);
        FloatImage g = TestData.gradient(4, 2);
        int flipped = 0;
        for (int i = 0; i < 2000; i++) {
            if (new RandomHorizontalFlip().apply(g.copy(), r).get(0, 0, 0) == 1f) {
                flipped++;
            }
        }
        assertThat(flipped).isBetween(900, 1100);
    }

    /** Pillow's bilinear resize of [0, 1, 2, 3] to 2 and of [0, 1] to 4, worked by hand from its algorithm. */
    @Test
    void resamplerMatchesPillowsAntialiasedBilinear() {
        FloatImage row = new FloatImage(4, 1, new float[] {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3});
        FloatImage down = Resampler.resize(row, 2, 1);
        assertThat(down.get(0, 0, 0)).isCloseTo(5f / 7f, within(1e-6f));
        assertThat(down.get(2, 0, 1)).isCloseTo(16f / 7f, within(1e-6f));
        FloatImage two = new FloatImage(2, 1, new float[] {0, 1, 0, 1, 0, 1});
        FloatImage up = Resampler.resize(two, 4, 1);
        assertThat(up.data()).startsWith(0f, 0.25f, 0.75f, 1f);
    }

    @Test
    void downscalingAveragesInsteadOfAliasing() {
        // A one-pixel checkerboard: point sampling would give all 0 or all 1; antialiasing gives grey.
        FloatImage cb = new FloatImage(64, 64);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                for (int c = 0; c < 3; c++) {
                    cb.set(c, y, x, (x + y) % 2);
                }
            }
        }
        FloatImage small = Resampler.resize(cb, 16, 16);
        for (float v : small.data()) {
            assertThat(v).isCloseTo(0.5f, within(0.05f));
        }
        FloatImage constant = Resampler.resize(TestData.gradient(1, 1), 37, 23);
        assertThat(constant.width()).isEqualTo(37);
        for (int i = 0; i < 37 * 23; i++) {
            assertThat(constant.data()[2 * 37 * 23 + i]).isCloseTo(0.25f, within(1e-6f));
        }
    }

    @Test
    void cropAndResizeEqualsCropThenResize() {
        FloatImage g = TestData.gradient(50, 40);
        FloatImage oneStep = Resampler.resize(g, 7, 5, 30, 20, 13, 11);
        FloatImage twoSteps = Resampler.resize(Resampler.crop(g, 5, 7, 20, 30), 13, 11);
        assertThat(oneStep).isEqualTo(twoSteps);
    }

    @ParameterizedTest
    @CsvSource({"500,375", "375,500", "160,213", "1000,10", "10,1000", "1,1", "224,224"})
    void randomResizedCropLiesInsideTheSource(int w, int h) {
        RandomResizedCrop rrc = new RandomResizedCrop(224);
        Random r = new Random(w * 31L + h);
        Set<String> distinct = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            int[] p = rrc.params(w, h, r);
            int top = p[0];
            int left = p[1];
            int ch = p[2];
            int cw = p[3];
            assertThat(top).isGreaterThanOrEqualTo(0);
            assertThat(left).isGreaterThanOrEqualTo(0);
            assertThat(ch).isBetween(1, h);
            assertThat(cw).isBetween(1, w);
            assertThat(top + ch).isLessThanOrEqualTo(h);
            assertThat(left + cw).isLessThanOrEqualTo(w);
            distinct.add(top + "," + left + "," + ch + "," + cw);
        }
        if (w >= 100 && h >= 100) {
            assertThat(distinct.size()).isGreaterThan(400);
        }
    }

    @Test
    void randomResizedCropFallsBackToTheCentre() {
        // 1000 x 10: no (area, ratio) draw fits, so torchvision's fallback: full height, ratio clamped to 4/3.
        int[] p = new RandomResizedCrop(32).params(1000, 10, new Random(1));
        assertThat(p).containsExactly(0, (1000 - 13) / 2, 10, 13);
        int[] q = new RandomResizedCrop(32).params(10, 1000, new Random(1));
        assertThat(q).containsExactly((1000 - 13) / 2, 0, 13, 10);
    }

    @Test
    void randomResizedCropAreaAndRatioFollowTheRanges() {
        RandomResizedCrop rrc = new RandomResizedCrop(64);
        Random r = new Random(5);
        double minArea = 1;
        double maxArea = 0;
        for (int i = 0; i < 3000; i++) {
            int[] p = rrc.params(400, 400, r);
            double area = (double) p[2] * p[3] / (400 * 400);
            double ratio = (double) p[3] / p[2];
            minArea = Math.min(minArea, area);
            maxArea = Math.max(maxArea, area);
            assertThat(ratio).isBetween(0.70, 1.42);
        }
        assertThat(minArea).isBetween(0.07, 0.10);
        assertThat(maxArea).isGreaterThan(0.9);
    }

    @Test
    void wholeImageCropIsAPlainResize() {
        FloatImage g = TestData.gradient(30, 30);
        FloatImage a = new RandomResizedCrop(12, 1.0, 1.0, 1.0, 1.0).apply(g, new Random(9));
        assertThat(a).isEqualTo(Resampler.resize(g, 12, 12));
    }

    @Test
    void evalResizesTheShortSideAndCropsTheCentre() {
        assertThat(Resize.shortSide(256).outputSize(300, 200)).containsExactly(384, 256);
        assertThat(Resize.shortSide(256).outputSize(200, 301)).containsExactly(256, 385);
        assertThat(new CenterCrop(224).offsets(384, 256)).containsExactly(16, 80);
        assertThat(Presets.evalResize(224)).isEqualTo(256);
        assertThat(Presets.evalResize(96)).isEqualTo(109);

        // Without normalization: channel 0 is x / (W - 1), channel 1 is y / (H - 1) of the source.
        FloatImage src = TestData.gradient(300, 200);
        Transform eval = Transform.compose(Resize.shortSide(256), new CenterCrop(224));
        FloatImage out = eval.apply(src, new Random(0));
        assertThat(out.width()).isEqualTo(224);
        assertThat(out.height()).isEqualTo(224);
        double sx = 300 / 384.0;
        double sy = 200 / 256.0;
        for (int[] p : new int[][] {{0, 0}, {111, 111}, {223, 223}, {50, 170}}) {
            int oy = p[0];
            int ox = p[1];
            double srcX = (80 + ox + 0.5) * sx - 0.5;
            double srcY = (16 + oy + 0.5) * sy - 0.5;
            assertThat(out.get(0, oy, ox)).isCloseTo((float) (srcX / 299), within(2e-4f));
            assertThat(out.get(1, oy, ox)).isCloseTo((float) (srcY / 199), within(2e-4f));
        }
    }

    @Test
    void centreCropRoundsHalfToEvenAndPads() {
        assertThat(new CenterCrop(2).offsets(5, 5)).containsExactly(2, 2);   // round(1.5) = 2
        assertThat(new CenterCrop(2).offsets(3, 3)).containsExactly(0, 0);   // round(0.5) = 0
        FloatImage small = TestData.gradient(2, 2);
        FloatImage padded = new CenterCrop(4).apply(small, new Random(0));
        assertThat(padded.get(2, 0, 0)).isZero();
        assertThat(padded.get(2, 1, 1)).isEqualTo(0.25f);
        assertThat(padded.get(0, 1, 2)).isEqualTo(1f);
    }

    @Test
    void randomCropLiesInsideAndCoversAllOffsets() {
        RandomCrop rc = new RandomCrop(224);
        Random r = new Random(2);
        Set<Integer> tops = new HashSet<>();
        for (int i = 0; i < 3000; i++) {
            int[] p = rc.params(256, 256, r);
            assertThat(p[0]).isBetween(0, 32);
            assertThat(p[1]).isBetween(0, 32);
            tops.add(p[0]);
        }
        assertThat(tops).hasSize(33);
        FloatImage g = TestData.gradient(256, 256);
        FloatImage c = new RandomCrop(224).apply(g, new Random(4));
        int[] p = new RandomCrop(224).params(256, 256, new Random(4));
        assertThat(c.get(0, 0, 0)).isEqualTo(g.get(0, p[0], p[1]));
        assertThat(c.get(1, 223, 223)).isEqualTo(g.get(1, p[0] + 223, p[1] + 223));
        assertThatThrownBy(() -> rc.params(200, 300, r)).hasMessageContaining("smaller");
    }

    @Test
    void normalizeGivesTheImagenetStatisticsOnAConstantImage() {
        FloatImage mean = new FloatImage(5, 4);
        FloatImage ones = new FloatImage(5, 4);
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < 20; i++) {
                mean.data()[c * 20 + i] = Normalize.IMAGENET_MEAN[c];
                ones.data()[c * 20 + i] = 1f;
            }
        }
        new Normalize().apply(mean, null);
        new Normalize().apply(ones, null);
        for (float v : mean.data()) {
            assertThat(v).isCloseTo(0f, within(1e-6f));
        }
        double[] m = ones.channelMeans();
        assertThat(m[0]).isCloseTo((1 - 0.485) / 0.229, within(1e-5));
        assertThat(m[1]).isCloseTo((1 - 0.456) / 0.224, within(1e-5));
        assertThat(m[2]).isCloseTo((1 - 0.406) / 0.225, within(1e-5));
        assertThat(ones.get(2, 3, 4)).isEqualTo(ones.get(2, 0, 0));
    }

    @Test
    void lightingShiftsEachChannelByTheEigenComponents() {
        float[] o = Lighting.offset(new double[] {1, 0, 0});
        assertThat(o[0]).isCloseTo(-0.5675f * 0.2175f, within(1e-6f));
        assertThat(o[1]).isCloseTo(-0.5808f * 0.2175f, within(1e-6f));
        assertThat(o[2]).isCloseTo(-0.5836f * 0.2175f, within(1e-6f));
        float[] o2 = Lighting.offset(new double[] {0, 0, 2});
        assertThat(o2[1]).isCloseTo(-0.8140f * 0.0045f * 2, within(1e-7f));

        FloatImage g = TestData.gradient(6, 5);
        Random r = new Random(11);
        FloatImage lit = new Lighting(0.1).apply(g.copy(), r);
        Random again = new Random(11);
        double[] alpha = {again.nextGaussian() * 0.1, again.nextGaussian() * 0.1, again.nextGaussian() * 0.1};
        float[] expected = Lighting.offset(alpha);
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < 30; i++) {
                assertThat(lit.data()[c * 30 + i] - g.data()[c * 30 + i]).isCloseTo(expected[c], within(1e-6f));
            }
        }
        assertThat(new Lighting(0).apply(g.copy(), new Random(1))).isEqualTo(g);
    }

    @Test
    void colourJitterAdjustments() {
        FloatImage red = new FloatImage(2, 2);
        for (int i = 0; i < 4; i++) {
            red.data()[i] = 1f;
        }
        FloatImage grey = red.copy();
        ColorJitter.saturation(grey, 0f);
        assertThat(grey.get(0, 0, 0)).isCloseTo(0.299f, within(1e-6f));
        assertThat(grey.get(1, 1, 1)).isCloseTo(0.299f, within(1e-6f));
        FloatImage green = red.copy();
        ColorJitter.hue(green, 1f / 3f);
        assertThat(green.get(0, 0, 0)).isCloseTo(0f, within(1e-5f));
        assertThat(green.get(1, 0, 0)).isCloseTo(1f, within(1e-5f));
        FloatImage bright = red.copy();
        ColorJitter.brightness(bright, 0.5f);
        assertThat(bright.get(0, 1, 0)).isEqualTo(0.5f);
        FloatImage g = TestData.gradient(9, 9);
        ColorJitter j = new ColorJitter(0.4, 0.4, 0.4, 0.1);
        FloatImage a = j.apply(g.copy(), new Random(8));
        assertThat(j.apply(g.copy(), new Random(8))).isEqualTo(a);
        assertThat(a).isNotEqualTo(g);
        for (float v : a.data()) {
            assertThat(v).isBetween(0f, 1f);
        }
    }

    @ParameterizedTest
    @CsvSource({"alexnet-paper,64", "alexnet-paper,224", "alexnet-paper,227", "study,96", "study,224", "eval,64",
        "eval,227", "STUDY,32"})
    void presetsOutputTheRequestedSizeForAnyInput(String name, int size) {
        Transform t = Presets.byName(name, size);
        for (int[] wh : new int[][] {{500, 375}, {375, 500}, {size, size}, {20, 31}, {1, 1}}) {
            FloatImage out = t.apply(TestData.gradient(wh[0], wh[1]), new Random(1));
            assertThat(out.width()).isEqualTo(size);
            assertThat(out.height()).isEqualTo(size);
        }
    }

    @Test
    void unknownPresetListsTheKnownOnes() {
        assertThatThrownBy(() -> Presets.byName("resnet", 224))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'resnet'")
                .hasMessageContaining("alexnet-paper, study, eval");
        assertThatThrownBy(() -> Augmentation.of("eval").withColorJitter(new ColorJitter(0.4, 0, 0, 0)))
                .hasMessageContaining("deterministic");
        assertThat(Presets.names()).containsExactly("alexnet-paper", "study", "eval");
    }

    @Test
    void presetsAreDeterministicUnderASeed() {
        for (String name : Presets.names()) {
            Transform t = Presets.byName(name, 48);
            FloatImage src = TestData.gradient(120, 90);
            FloatImage a = t.apply(src.copy(), new Random(42));
            FloatImage b = t.apply(src.copy(), new Random(42));
            FloatImage c = t.apply(src.copy(), new Random(43));
            assertThat(a).isEqualTo(b);
            if (name.equals(Presets.EVAL)) {
                assertThat(c).isEqualTo(a);
            } else {
                assertThat(c).isNotEqualTo(a);
            }
        }
    }

    @Test
    void alexnetCropsFrom256AndStudyNormalizes() {
        assertThat(Presets.alexnetResize(224)).isEqualTo(256);
        assertThat(Presets.alexnetResize(227)).isEqualTo(256);
        assertThat(Presets.alexnetResize(64)).isEqualTo(73);
        Transform.Compose alex = (Transform.Compose) Presets.byName("alexnet-paper", 227);
        assertThat(alex.steps()).extracting(s -> s.getClass().getSimpleName()).containsExactly("Resize",
                "CenterCrop", "RandomCrop", "RandomHorizontalFlip", "Lighting", "Normalize");
        Transform.Compose study = (Transform.Compose) Augmentation.of("study")
                .withColorJitter(new ColorJitter(0.4, 0.4, 0.4, 0)).transform(224);
        assertThat(study.steps()).extracting(s -> s.getClass().getSimpleName()).containsExactly(
                "RandomResizedCrop", "RandomHorizontalFlip", "ColorJitter", "Normalize");
        // A uniform mid-grey image comes out of eval as (0.5 - mean) / std everywhere.
        FloatImage grey = new FloatImage(40, 30);
        java.util.Arrays.fill(grey.data(), 0.5f);
        FloatImage out = Presets.eval(16).apply(grey, new Random(0));
        assertThat(out.channelMeans()[0]).isCloseTo((0.5 - 0.485) / 0.229, within(1e-5));
        assertThat(out.channelMeans()[2]).isCloseTo((0.5 - 0.406) / 0.225, within(1e-5));
    }
}
