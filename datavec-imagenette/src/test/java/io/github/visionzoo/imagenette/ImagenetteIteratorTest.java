package io.github.visionzoo.imagenette;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

class ImagenetteIteratorTest {

    @TempDir
    static Path shared;

    /** 6 train and 2 val images per class, short side 40. */
    static Path root;

    @TempDir
    Path tmp;

    @BeforeAll
    static void data() {
        root = TestData.synthetic(shared, 6, 2, 40);
    }

    private static ImagenetteIterator.Builder train() {
        return ImagenetteIterator.builder(root).imageSize(24).batchSize(16).seed(5);
    }

    /** Every batch of one epoch, features and labels copied. */
    private static List<float[]> epoch(ImagenetteIterator it) {
        List<float[]> out = new ArrayList<>();
        while (it.hasNext()) {
            DataSet ds = it.next();
            out.add(ds.getFeatures().data().asFloat());
            out.add(ds.getLabels().data().asFloat());
        }
        return out;
    }

    private static void assertSameBatches(List<float[]> a, List<float[]> b) {
        assertThat(a).hasSameSizeAs(b);
        for (int i = 0; i < a.size(); i++) {
            assertThat(Arrays.equals(a.get(i), b.get(i))).as("batch array %d bit-identical", i).isTrue();
        }
    }

    @Test
    void batchesAreNchwWithOneHotLabels() {
        try (ImagenetteIterator it = train().build()) {
            assertThat(it.inputColumns()).isEqualTo(3 * 24 * 24);
            assertThat(it.totalOutcomes()).isEqualTo(10);
            assertThat(it.batch()).isEqualTo(16);
            assertThat(it.getLabels()).isEqualTo(Imagenette.WNIDS);
            assertThat(it.numBatches()).isEqualTo(4);
            assertThat(it.resetSupported()).isTrue();
            assertThat(it.asyncSupported()).isFalse();
            int seen = 0;
            int[] perClass = new int[10];
            List<Long> sizes = new ArrayList<>();
            while (it.hasNext()) {
                DataSet ds = it.next();
                INDArray x = ds.getFeatures();
                INDArray y = ds.getLabels();
                assertThat(x.dataType()).isEqualTo(DataType.FLOAT);
                assertThat(x.shape()).containsExactly(x.size(0), 3, 24, 24);
                assertThat(y.shape()).containsExactly(x.size(0), 10);
                assertThat(y.sum(1).toFloatVector()).containsOnly(1f);
                for (int i = 0; i < y.size(0); i++) {
                    perClass[y.getRow(i).argMax().getInt(0)]++;
                }
                // Normalized values: roughly centred, clearly not in [0, 1].
                assertThat(x.minNumber().doubleValue()).isLessThan(-0.5);
                seen += (int) x.size(0);
                sizes.add(x.size(0));
            }
            assertThat(seen).isEqualTo(60);
            assertThat(sizes).containsExactly(16L, 16L, 16L, 12L);
            assertThat(perClass).containsOnly(6);
            assertThat(it.stats().imagesRead()).isEqualTo(60);
            assertThat(it.stats().imagesSkipped()).isZero();
            assertThatThrownBy(it::next).isInstanceOf(java.util.NoSuchElementException.class);
        }
    }

    @Test
    void featuresAreTheTransformedImagesInNchwOrder() throws IOException {
        ImageFolder val = ImageFolder.open(root, Split.VAL);
        try (ImagenetteIterator it = ImagenetteIterator.builder(val).imageSize(20).batchSize(8).threads(2).build()) {
            DataSet ds = it.next();
            for (int i = 0; i < 8; i++) {
                Sample s = val.samples().get(i);
                float[] expected = io.github.visionzoo.imagenette.transform.Presets.eval(20)
                        .apply(ImageDecoder.decode(s.file()), new java.util.Random(0)).data();
                float[] got = ds.getFeatures().get(org.nd4j.linalg.indexing.NDArrayIndex.point(i)).dup().data()
                        .asFloat();
                assertThat(got).as("image %d", i).containsExactly(expected);
                assertThat(ds.getFeatures().getFloat(i, 2, 19, 3)).isEqualTo(expected[2 * 400 + 19 * 20 + 3]);
                assertThat(ds.getLabels().getFloat(i, s.label())).isEqualTo(1f);
            }
        }
    }

    @Test
    void dropLastAndNextNum() {
        try (ImagenetteIterator it = train().dropLast(true).build()) {
            assertThat(it.numBatches()).isEqualTo(3);
            assertThat(it.numExamples()).isEqualTo(48);
            assertThat(epoch(it)).hasSize(6);
            assertThatThrownBy(() -> it.next(8)).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("batchSize(8)");
        }
    }

    @Test
    void sameSeedAndEpochGiveBitIdenticalBatchesWhateverTheThreadCount() {
        List<List<float[]>> runs = new ArrayList<>();
        for (int threads : new int[] {0, 1, 3}) {
            try (ImagenetteIterator it = train().preset("alexnet-paper").threads(threads)
                    .prefetchBatches(threads == 3 ? 1 : 4).build()) {
                List<float[]> both = new ArrayList<>(epoch(it));
                it.reset();
                both.addAll(epoch(it));
                runs.add(both);
            }
        }
        assertSameBatches(runs.get(0), runs.get(1));
        assertSameBatches(runs.get(0), runs.get(2));
        // Epochs 0 and 1 differ (order and augmentation).
        assertThat(Arrays.equals(runs.get(0).get(0), runs.get(0).get(8))).isFalse();
    }

    @Test
    void closingMidEpochLosesNoBatchWhenTheIteratorGoesOn() {
        List<float[]> whole;
        try (ImagenetteIterator it = train().threads(2).prefetchBatches(3).build()) {
            whole = epoch(it);
        }
        List<float[]> resumed = new ArrayList<>();
        try (ImagenetteIterator it = train().threads(2).prefetchBatches(3).build()) {
            DataSet first = it.next();
            resumed.add(first.getFeatures().data().asFloat());
            resumed.add(first.getLabels().data().asFloat());
            it.close(); // batches 1-3 were in flight
            assertThat(it.hasNext()).isTrue();
            resumed.addAll(epoch(it));
            it.close(); // at the epoch's end: nothing in flight, nothing to redo
            assertThat(it.hasNext()).isFalse();
        }
        assertThat(whole).hasSizeGreaterThan(6);
        assertSameBatches(resumed, whole);
    }

    @Test
    void closingMidEpochThenResetStartsTheNextEpochWhole() {
        List<float[]> epoch1;
        try (ImagenetteIterator it = train().threads(2).prefetchBatches(3).build()) {
            it.setEpoch(1);
            epoch1 = epoch(it);
        }
        try (ImagenetteIterator it = train().threads(2).prefetchBatches(3).build()) {
            it.next();
            assertThat(it.hasNext()).isTrue(); // batch 1 taken from the loader, batches 2-3 in flight
            it.close();
            it.reset();
            assertThat(it.epoch()).isEqualTo(1);
            assertThat(it.batchesReturned()).isZero();
            assertSameBatches(epoch(it), epoch1);
            assertThat(it.stats().imagesSkipped()).isZero();
        }
    }

    @Test
    void aBatchThatFailedIsLoadedAgainWhenTheIteratorGoesOn() {
        List<float[]> whole;
        try (ImagenetteIterator it = train().threads(2).build()) {
            whole = epoch(it);
        }
        java.util.concurrent.atomic.AtomicBoolean failed = new java.util.concurrent.atomic.AtomicBoolean();
        io.github.visionzoo.imagenette.transform.Transform study = train().augmentation().transform(24);
        io.github.visionzoo.imagenette.transform.Transform failOnce = (img, rnd) -> {
            if (failed.compareAndSet(false, true)) {
                throw new IllegalStateException("a passing fault");
            }
            return study.apply(img, rnd);
        };
        List<float[]> again = new ArrayList<>();
        try (ImagenetteIterator it = train().transform(failOnce).threads(2).build()) {
            assertThatThrownBy(it::hasNext).hasMessageContaining("a passing fault");
            again.addAll(epoch(it));
        }
        assertSameBatches(again, whole);
    }

    @Test
    void differentSeedsDiffer() {
        try (ImagenetteIterator a = train().seed(1).build(); ImagenetteIterator b = train().seed(2).build()) {
            assertThat(Arrays.equals(a.epochOrder(), b.epochOrder())).isFalse();
            assertThat(a.next().getFeatures()).isNotEqualTo(b.next().getFeatures());
        }
    }

    @Test
    void resetAdvancesOnlyAfterABatchAndSetEpochResumes() {
        List<float[]> epoch1;
        try (ImagenetteIterator it = train().threads(2).build()) {
            assertThat(it.epoch()).isZero();
            it.reset();                      // nothing consumed: still epoch 0
            assertThat(it.epoch()).isZero();
            int[] order0 = it.epochOrder();
            it.next();
            it.reset();                      // consumed: epoch 1
            assertThat(it.epoch()).isEqualTo(1);
            assertThat(it.epochOrder()).isNotEqualTo(order0);
            assertThat(it.orderSeed(1)).isEqualTo(Seeds.order(5, 1));
            epoch1 = epoch(it);
            it.reset();
            assertThat(it.epoch()).isEqualTo(2);
        }
        try (ImagenetteIterator resumed = train().threads(1).build()) {
            resumed.setEpoch(1);
            resumed.reset();                 // a reset right after setEpoch must not skip the epoch
            assertSameBatches(epoch(resumed), epoch1);
        }
        try (ImagenetteIterator started = train().startEpoch(1).threads(0).build()) {
            assertSameBatches(epoch(started), epoch1);
        }
        try (ImagenetteIterator mid = train().build()) {
            mid.setPosition(1, 2);
            assertThat(mid.batchesReturned()).isEqualTo(2);
            List<float[]> rest = epoch(mid);
            assertSameBatches(rest, epoch1.subList(4, 8));
            mid.reset();
            assertThat(mid.epoch()).isEqualTo(2);
        }
    }

    @Test
    void shuffleVisitsEveryImageOnceAndValIsInFileOrder() {
        try (ImagenetteIterator it = train().build()) {
            int[] o = it.epochOrder();
            int[] sorted = o.clone();
            Arrays.sort(sorted);
            assertThat(sorted).isEqualTo(java.util.stream.IntStream.range(0, 60).toArray());
            assertThat(o).isNotEqualTo(sorted);
            assertThat(o).isEqualTo(Seeds.epochOrder(60, 5, 0, true));
        }
        try (ImagenetteIterator val = ImagenetteIterator.builder(root).split(Split.VAL).imageSize(24).batchSize(7)
                .build()) {
            assertThat(val.epochOrder()).isEqualTo(java.util.stream.IntStream.range(0, 20).toArray());
            List<Integer> labels = new ArrayList<>();
            List<float[]> first = new ArrayList<>();
            while (val.hasNext()) {
                DataSet ds = val.next();
                first.add(ds.getFeatures().data().asFloat());
                for (int i = 0; i < ds.numExamples(); i++) {
                    labels.add(ds.getLabels().getRow(i).argMax().getInt(0));
                }
            }
            assertThat(labels).isSorted().hasSize(20);
            val.reset();
            // eval is deterministic: epoch 1 equals epoch 0.
            List<float[]> second = new ArrayList<>();
            while (val.hasNext()) {
                second.add(val.next().getFeatures().data().asFloat());
            }
            assertSameBatches(first, second);
        }
    }

    @Test
    void classSubsetNoiseAndLimit() {
        try (ImagenetteIterator it = train().classes("n03888257", "n01440764").limitPerClass(4).build()) {
            assertThat(it.totalOutcomes()).isEqualTo(2);
            assertThat(it.getLabels()).containsExactly("n01440764", "n03888257");
            DataSet ds = it.next();
            assertThat(ds.numExamples()).isEqualTo(8);
            assertThat(ds.getLabels().shape()).containsExactly(8, 2);
            assertThat(ds.getLabels().sum(0).toFloatVector()).containsExactly(4f, 4f);
        }
        ImageFolder noisy = Imagenette.open(root, Split.TRAIN, LabelNoise.PCT_50);
        try (ImagenetteIterator it = ImagenetteIterator.builder(noisy).imageSize(16).batchSize(60).shuffle(false)
                .build()) {
            INDArray y = it.next().getLabels();
            int wrong = 0;
            for (int i = 0; i < 60; i++) {
                Sample s = noisy.samples().get(i);
                assertThat(y.getRow(i).argMax().getInt(0)).isEqualTo(s.label());
                wrong += s.label() != s.folderLabel() ? 1 : 0;
            }
            assertThat(wrong).isEqualTo(30);
        }
    }

    @Test
    void badFilesAreSkippedCountedAndTheEpochGoesOn() throws IOException {
        Path r = TestData.synthetic(tmp, 2, 1, 32);
        Path cls = r.resolve("train/n02979186");
        Files.write(cls.resolve("n02979186_zero.JPEG"), new byte[0]);
        byte[] jpeg = TestData.noiseJpeg(120, 90, 3);
        Files.write(cls.resolve("n02979186_cut.JPEG"), Arrays.copyOf(jpeg, jpeg.length / 2));
        Files.writeString(cls.resolve("n02979186_text.JPEG"), "not an image", StandardCharsets.UTF_8);
        try (ImagenetteIterator it = ImagenetteIterator.builder(r).imageSize(16).batchSize(5).threads(2).build()) {
            assertThat(it.dataset().size()).isEqualTo(23);
            int n = 0;
            while (it.hasNext()) {
                n += it.next().numExamples();
            }
            assertThat(n).isEqualTo(20);
            ReaderStats s = it.stats();
            assertThat(s.imagesRead()).isEqualTo(20);
            assertThat(s.imagesSkipped()).isEqualTo(3);
            assertThat(s.skippedFiles().keySet()).extracting(p -> p.getFileName().toString())
                    .containsExactlyInAnyOrder("n02979186_zero.JPEG", "n02979186_cut.JPEG", "n02979186_text.JPEG");
            assertThat(s.skippedFiles().values()).anyMatch(v -> v.contains("empty file"))
                    .anyMatch(v -> v.contains("truncated")).anyMatch(v -> v.contains("not an image"));
            it.reset();
            n = 0;
            while (it.hasNext()) {
                n += it.next().numExamples();
            }
            assertThat(n).isEqualTo(20);
            assertThat(it.stats().imagesSkipped()).isEqualTo(6);
            assertThat(it.stats().skippedFiles()).hasSize(3);
        }
    }

    @Test
    void noReadableImageIsAnError() throws IOException {
        Path r = TestData.emptyLayout(tmp.resolve("bad"));
        Files.writeString(r.resolve("train/n01440764/a.JPEG"), "text");
        Files.write(r.resolve("train/n03888257/b.JPEG"), new byte[0]);
        try (ImagenetteIterator it = ImagenetteIterator.builder(r).imageSize(16).batchSize(1).build()) {
            assertThatThrownBy(it::hasNext)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("No readable image")
                    .hasMessageContaining("all 2 images");
        }
    }

    @Test
    void aTransformOfTheWrongSizeIsReported() {
        try (ImagenetteIterator it = train().transform((img, rnd) -> img).build()) {
            assertThatThrownBy(it::next).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("expected 24x24");
        }
    }

    @Test
    void preProcessorIsApplied() {
        try (ImagenetteIterator it = train().build()) {
            it.setPreProcessor(ds -> ds.getFeatures().assign(7));
            assertThat(it.getPreProcessor()).isNotNull();
            assertThat(it.next().getFeatures().maxNumber().floatValue()).isEqualTo(7f);
        }
    }
}
