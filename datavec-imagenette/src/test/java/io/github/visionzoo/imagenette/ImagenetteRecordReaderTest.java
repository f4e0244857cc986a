package io.github.visionzoo.imagenette;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.datavec.api.records.Record;
import org.datavec.api.split.FileSplit;
import org.datavec.api.writable.IntWritable;
import org.datavec.api.writable.NDArrayWritable;
import org.datavec.api.writable.Writable;
import org.deeplearning4j.datasets.datavec.RecordReaderDataSetIterator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

class ImagenetteRecordReaderTest {

    @TempDir
    static Path shared;

    static Path root;

    @BeforeAll
    static void data() {
        root = TestData.synthetic(shared, 3, 2, 36);
    }

    @Test
    void recordsAreImageAndLabel() {
        ImagenetteRecordReader rr = ImagenetteRecordReader.builder(root).split(Split.VAL).imageSize(20).threads(2)
                .buildRecordReader();
        try (rr) {
            assertThat(rr.getLabels()).isEqualTo(Imagenette.WNIDS);
            int n = 0;
            int lastLabel = -1;
            while (rr.hasNext()) {
                List<Writable> rec = rr.next();
                assertThat(rec).hasSize(2);
                INDArray img = ((NDArrayWritable) rec.get(0)).get();
                assertThat(img.shape()).containsExactly(1, 3, 20, 20);
                int label = ((IntWritable) rec.get(1)).get();
                assertThat(label).isBetween(0, 9).isGreaterThanOrEqualTo(lastLabel);
                lastLabel = label;
                n++;
            }
            assertThat(n).isEqualTo(20);
            assertThat(rr.resetSupported()).isTrue();
            rr.reset();
            assertThat(rr.epoch()).isEqualTo(1);
            assertThat(rr.next(7)).hasSize(7);
        }
    }

    @Test
    void worksWithRecordReaderDataSetIteratorAndMatchesTheIterator() throws Exception {
        ImagenetteIterator.Builder b = ImagenetteRecordReader.builder(root).preset("study").imageSize(20).seed(3)
                .shuffle(true).batchSize(6).threads(2);
        List<float[]> viaReader = new ArrayList<>();
        try (ImagenetteRecordReader rr = b.buildRecordReader()) {
            RecordReaderDataSetIterator it = new RecordReaderDataSetIterator(rr, 6, 1, rr.getLabels().size());
            while (it.hasNext()) {
                DataSet ds = it.next();
                assertThat(ds.getFeatures().shape()).containsExactly(ds.getFeatures().size(0), 3, 20, 20);
                assertThat(ds.getLabels().shape()).containsExactly(ds.getFeatures().size(0), 10);
                viaReader.add(ds.getFeatures().data().asFloat());
                viaReader.add(ds.getLabels().data().asFloat());
            }
            assertThat(rr.epoch()).as("the shape probe's reset does not skip epoch 0").isZero();
            it.reset();
            assertThat(rr.epoch()).isEqualTo(1);
        }
        List<float[]> viaIterator = new ArrayList<>();
        try (ImagenetteIterator it = b.build()) {
            while (it.hasNext()) {
                DataSet ds = it.next();
                viaIterator.add(ds.getFeatures().data().asFloat());
                viaIterator.add(ds.getLabels().data().asFloat());
            }
        }
        assertThat(viaReader).hasSize(10);
        for (int i = 0; i < viaReader.size(); i++) {
            assertThat(Arrays.equals(viaReader.get(i), viaIterator.get(i))).as("array %d", i).isTrue();
        }
    }

    /** Every record of one epoch: image and label. */
    private static List<List<Writable>> epoch(ImagenetteRecordReader rr) {
        List<List<Writable>> out = new ArrayList<>();
        while (rr.hasNext()) {
            out.add(rr.next());
        }
        return out;
    }

    @Test
    void closingMidEpochLosesNoRecordWhenTheReaderGoesOn() {
        ImagenetteIterator.Builder b = ImagenetteRecordReader.builder(root).imageSize(16).seed(3).threads(2)
                .prefetchBatches(2);
        List<List<Writable>> whole;
        try (ImagenetteRecordReader rr = b.buildRecordReader()) {
            whole = epoch(rr);
        }
        List<List<Writable>> resumed = new ArrayList<>();
        try (ImagenetteRecordReader rr = b.buildRecordReader()) {
            resumed.add(rr.next());
            resumed.add(rr.next());
            rr.close(); // the next records were in flight
            resumed.addAll(epoch(rr));
            assertThat(rr.epoch()).isZero();
            assertThat(rr.stats().imagesSkipped()).isZero();
        }
        assertThat(resumed).hasSize(30).isEqualTo(whole);
    }

    @Test
    void initializeDataVecStyleWithAFileSplit() throws Exception {
        ImagenetteRecordReader rr = ImagenetteRecordReader.builder(null).imageSize(16).threads(1).buildRecordReader();
        assertThatThrownBy(rr::hasNext).isInstanceOf(IllegalStateException.class).hasMessageContaining("initialize");
        rr.initialize(new FileSplit(root.resolve("val").toFile()));
        assertThat(rr.dataset().split()).isEqualTo(Split.VAL);
        assertThat(rr.dataset().size()).isEqualTo(20);
        rr.initialize(new FileSplit(root.toFile()));
        assertThat(rr.dataset().split()).isEqualTo(Split.TRAIN);
        Record first = rr.nextRecord();
        assertThat(first.getMetaData().getURI().getPath()).endsWith(".JPEG");
        Record again = rr.loadFromMetaData(first.getMetaData());
        assertThat(again.getRecord()).isEqualTo(first.getRecord());
        Path file = Path.of(first.getMetaData().getURI());
        try (DataInputStream in = new DataInputStream(Files.newInputStream(file))) {
            assertThat(rr.record(file.toUri(), in)).isEqualTo(first.getRecord());
        }
        rr.close();
    }
}
