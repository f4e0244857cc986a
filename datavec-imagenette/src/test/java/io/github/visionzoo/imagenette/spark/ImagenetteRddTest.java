package io.github.visionzoo.imagenette.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.visionzoo.imagenette.ImageFolder;
import io.github.visionzoo.imagenette.Imagenette;
import io.github.visionzoo.imagenette.ImagenetteIterator;
import io.github.visionzoo.imagenette.ImagenetteLayoutException;
import io.github.visionzoo.imagenette.Split;
import io.github.visionzoo.imagenette.TestData;
import io.github.visionzoo.imagenette.transform.Augmentation;
import io.github.visionzoo.imagenette.transform.ColorJitter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

/** The Spark data source in {@code local[2]}: the iterator's batches, decoded on the executors. */
@Tag("spark")
class ImagenetteRddTest {
    private static JavaSparkContext sc;

    @TempDir
    static Path dir;
    private static Path root;

    @BeforeAll
    static void start() {
        root = TestData.synthetic(dir, 3, 1, 40);
        sc = new JavaSparkContext(new SparkConf().setMaster("local[2]").setAppName("imagenette-rdd-test")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1"));
    }

    @AfterAll
    static void stop() {
        if (sc != null) {
            sc.stop();
        }
    }

    /** With an augmentation's parameters, which travel to the executors. */
    @Test
    void anEpochHoldsTheIteratorsBatches() {
        Augmentation tuned = Augmentation.of("study").withScale(0.35, 1)
                .withColorJitter(new ColorJitter(0.4, 0.4, 0.4, 0.1)).withLighting(0.1);
        ImagenetteRdd rdd = ImagenetteRdd.builder(sc, root.toString()).split(Split.TRAIN).augmentation(tuned)
                .imageSize(32).batchSize(8).seed(11).partitions(2).build();
        assertThat(rdd.numExamples()).isEqualTo(30);
        assertThat(rdd.batchesPerEpoch()).isEqualTo(4);
        assertThat(rdd.epoch(1).getNumPartitions()).isEqualTo(2);
        List<DataSet> fromSpark = rdd.epoch(1).collect();

        ImagenetteIterator it = ImagenetteIterator.builder(root).split(Split.TRAIN).augmentation(tuned)
                .imageSize(32).batchSize(8).seed(11).threads(0).build();
        it.setEpoch(1);
        List<DataSet> local = new ArrayList<>();
        while (it.hasNext()) {
            local.add(it.next());
        }
        assertThat(fromSpark).hasSize(local.size());
        for (int b = 0; b < local.size(); b++) {
            assertThat(fromSpark.get(b).getFeatures()).as("batch %d's pixels", b).isEqualTo(local.get(b).getFeatures());
            assertThat(fromSpark.get(b).getLabels()).isEqualTo(local.get(b).getLabels());
        }
        assertThat(fromSpark.get(3).numExamples()).as("the last batch keeps the remainder").isEqualTo(6);
        assertThat(rdd.epoch(2).first().getFeatures()).as("another epoch, another order and augmentation")
                .isNotEqualTo(fromSpark.get(0).getFeatures());
    }

    @Test
    void validationDefaultsToTheEvalPresetInFileOrder() {
        ImagenetteRdd val = ImagenetteRdd.builder(sc, root.toUri().toString()).split(Split.VAL).imageSize(32)
                .batchSize(4).build();
        List<DataSet> batches = val.epoch(0).collect();
        ImagenetteIterator it = ImagenetteIterator.builder(root).split(Split.VAL).imageSize(32).batchSize(4)
                .threads(0).build();
        assertThat(batches.get(0).getFeatures()).isEqualTo(it.next().getFeatures());
        assertThat(batches.get(0).getLabels().getRow(0).argMax().getInt(0)).as("class folders in order").isZero();
        assertThat(val.classNames()).isEqualTo(Imagenette.WNIDS);
    }

    @Test
    void hadoopListingFollowsTheLocalListingAndReadsTheFiles() {
        List<ImageFolder.Entry> local = ImagenetteRdd.localEntries(root, Split.TRAIN).entries();
        List<ImageFolder.Entry> hadoop = ImagenetteRdd.hadoopEntries(root.toUri(), Split.TRAIN,
                new Configuration()).entries();
        assertThat(hadoop).hasSameSizeAs(local);
        for (int i = 0; i < local.size(); i++) {
            assertThat(hadoop.get(i).index()).isEqualTo(local.get(i).index());
            assertThat(hadoop.get(i).label()).isEqualTo(local.get(i).label());
            assertThat(hadoop.get(i).relativePath()).isEqualTo(local.get(i).relativePath());
            assertThat(Path.of(URI.create(hadoop.get(i).location()))).isEqualTo(Path.of(local.get(i).location()));
        }
        Augmentation eval = Augmentation.of("eval");
        Iterator<DataSet> viaHadoop = new ImagenetteRdd.DecodeBatches(eval, 32, Imagenette.WNIDS, 3, true).call(
                List.of(new ImagenetteRdd.Batch(0, hadoop.subList(0, 2))).iterator());
        Iterator<DataSet> viaFiles = new ImagenetteRdd.DecodeBatches(eval, 32, Imagenette.WNIDS, 3, false).call(
                List.of(new ImagenetteRdd.Batch(0, local.subList(0, 2))).iterator());
        assertThat(viaHadoop.next().getFeatures()).isEqualTo(viaFiles.next().getFeatures());
        assertThat(viaHadoop.hasNext()).isFalse();
    }

    @Test
    void aFolderOfOtherClassesIsListedAsLocallyWithItsClassNames() throws Exception {
        Path own = dir.resolve("own");
        byte[] jpeg = TestData.encode(TestData.solid(6, 6, 0x884422), "jpeg");
        for (String file : List.of("train/dog/b.jpg", "train/dog/a.png", "train/dog/nested/0.jpeg", "train/Zebra/z.JPG",
                "train/cat/.hidden.jpg", "train/cat/c.jpg", "train/cat/notes.txt", "val/cat/v.jpg")) {
            Files.createDirectories(own.resolve(file).getParent());
            Files.write(own.resolve(file), jpeg);
        }
        ImageFolder.Listing local = ImagenetteRdd.localEntries(own, Split.TRAIN);
        ImageFolder.Listing hadoop = ImagenetteRdd.hadoopEntries(own.toUri(), Split.TRAIN, new Configuration());
        assertThat(local.classes()).as("Python's sorted(): capitals first").containsExactly("Zebra", "cat", "dog");
        assertThat(hadoop.classes()).isEqualTo(local.classes());
        assertThat(hadoop.entries()).extracting(e -> own.relativize(Path.of(URI.create(e.location()))).toString())
                .containsExactly("train/Zebra/z.JPG", "train/cat/c.jpg", "train/dog/a.png", "train/dog/b.jpg",
                        "train/dog/nested/0.jpeg");
        assertThat(hadoop.entries()).extracting(ImageFolder.Entry::label).containsExactly(0, 1, 2, 2, 2);
        assertThat(ImagenetteRdd.builder(sc, own.toString()).build().classNames()).containsExactly("Zebra", "cat",
                "dog");
        assertThatThrownBy(() -> ImagenetteRdd.hadoopEntries(own.toUri(), Split.VAL, new Configuration()))
                .isInstanceOf(ImagenetteLayoutException.class).hasMessageContaining("one class folder only");
    }

    @Test
    void unreadableImagesAreSkippedAndBadInputIsNamed() throws Exception {
        List<ImageFolder.Entry> local = ImagenetteRdd.localEntries(root, Split.TRAIN).entries();
        Path broken = dir.resolve("broken.JPEG");
        Files.write(broken, new byte[] {1, 2, 3});
        List<ImageFolder.Entry> batch = List.of(local.get(0),
                new ImageFolder.Entry(99, "broken.JPEG", broken.toString(), 1),
                new ImageFolder.Entry(98, "gone.JPEG", dir.resolve("gone.JPEG").toString(), 1));
        DataSet ds = new ImagenetteRdd.DecodeBatches(Augmentation.of("eval"), 32, Imagenette.WNIDS, 3, false)
                .call(List.of(new ImagenetteRdd.Batch(0, batch)).iterator()).next();
        assertThat(ds.numExamples()).as("the corrupt and the missing file are left out").isEqualTo(1);

        assertThatThrownBy(() -> ImagenetteRdd.builder(sc, dir.resolve("nowhere").toString()).build())
                .isInstanceOf(ImagenetteLayoutException.class).hasMessageContaining("nowhere");
        assertThatThrownBy(() -> ImagenetteRdd.hadoopEntries(dir.resolve("nowhere").toUri(), Split.TRAIN,
                new Configuration())).isInstanceOf(ImagenetteLayoutException.class).hasMessageContaining("nowhere");
        assertThatThrownBy(() -> ImagenetteRdd.hadoopEntries(dir.toUri(), Split.TRAIN, new Configuration()))
                .hasMessageContaining("no 'train' split folder").hasMessageContaining("Found in the root: [")
                .hasMessageContaining("Did you mean the root ").hasMessageContaining("imagenette-synthetic");
        assertThatThrownBy(() -> ImagenetteRdd.builder(sc, root.toString()).preset("imagenet-paper"))
                .hasMessageContaining("imagenet-paper").hasMessageContaining("study");
        assertThatThrownBy(() -> ImagenetteRdd.builder(sc, " ")).hasMessageContaining("hdfs://");
    }
}
