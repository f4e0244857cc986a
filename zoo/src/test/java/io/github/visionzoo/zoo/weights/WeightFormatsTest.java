package io.github.visionzoo.zoo.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.visionzoo.zoo.testing.GoldenModels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The readers and writer of each format, the data types, and the refusal of anything but a state dict. */
class WeightFormatsTest {
    @TempDir
    Path dir;

    @Test
    void theSameTensorsFromEachFormat() throws IOException {
        StateDict pth = StateDict.read(GoldenModels.file("resnet_bottleneck.pth"));
        StateDict st = StateDict.read(GoldenModels.file("resnet_bottleneck.safetensors"));
        StateDict npz = StateDict.read(GoldenModels.file("resnet_bottleneck.npz"));
        assertThat(pth.format()).isEqualTo(StateDict.Format.PTH);
        assertThat(st.format()).isEqualTo(StateDict.Format.SAFETENSORS);
        assertThat(npz.format()).isEqualTo(StateDict.Format.NPZ);
        assertThat(st.metadata()).containsEntry("format", "pt");
        assertThat(pth.names()).containsExactlyElementsOf(st.names()).containsExactlyElementsOf(npz.names());
        assertThat(pth.names()).startsWith("conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean",
                "bn1.running_var", "bn1.num_batches_tracked");
        for (String name : pth.names()) {
            assertThat(st.get(name).shape()).as(name).isEqualTo(pth.get(name).shape());
            assertThat(st.get(name).toFloats()).as(name).isEqualTo(pth.get(name).toFloats());
            assertThat(npz.get(name).toFloats()).as(name).isEqualTo(pth.get(name).toFloats());
        }
        assertThat(pth.get("bn1.num_batches_tracked").dtype()).isEqualTo(DType.I64);
        assertThat(pth.get("bn1.num_batches_tracked").shape()).isEmpty();
        assertThat(pth.get("bn1.num_batches_tracked").toFloats()).containsExactly(3f);
    }

    @Test
    void halfBfloatAndDoubleReadAsFloat() throws IOException {
        StateDict f32 = StateDict.read(GoldenModels.file("resnet_basic.pth"));
        StateDict f16 = StateDict.read(GoldenModels.file("resnet_basic_fp16.pth"));
        StateDict bf16 = StateDict.read(GoldenModels.file("resnet_basic_bf16.safetensors"));
        StateDict f64 = StateDict.read(GoldenModels.file("resnet_basic_f64_fortran.npz"));
        assertThat(f16.get("conv1.weight").dtype()).isEqualTo(DType.F16);
        assertThat(bf16.get("conv1.weight").dtype()).isEqualTo(DType.BF16);
        assertThat(f64.get("conv1.weight").dtype()).isEqualTo(DType.F64);
        float[] exact = f32.get("conv1.weight").toFloats();
        float[] half = f16.get("conv1.weight").toFloats();
        float[] bfloat = bf16.get("conv1.weight").toFloats();
        for (int i = 0; i < exact.length; i++) {
            assertThat(half[i]).isCloseTo(exact[i], org.assertj.core.data.Offset.offset(Math.abs(exact[i]) / 1024 + 1e-7f));
            assertThat(bfloat[i]).isCloseTo(exact[i], org.assertj.core.data.Offset.offset(Math.abs(exact[i]) / 128 + 1e-30f));
        }
        // float64 in Fortran order: the same values, read through its strides
        assertThat(f64.get("conv1.weight").toFloats()).isEqualTo(exact);
    }

    @Test
    void halfPrecisionConversionIsExact() {
        assertThat(StoredTensor.halfToFloat((short) 0x3c00)).isEqualTo(1.0f);
        assertThat(StoredTensor.halfToFloat((short) 0xc000)).isEqualTo(-2.0f);
        assertThat(StoredTensor.halfToFloat((short) 0x7bff)).isEqualTo(65504.0f);
        assertThat(StoredTensor.halfToFloat((short) 0x0001)).isEqualTo(0x1p-24f);
        assertThat(StoredTensor.halfToFloat((short) 0x8000)).isEqualTo(-0.0f);
        assertThat(StoredTensor.halfToFloat((short) 0x7c00)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(StoredTensor.halfToFloat((short) 0x7e00)).isNaN();
    }

    @Test
    void stridedViewsOfOneStorage() throws IOException {
        StateDict sd = StateDict.read(GoldenModels.file("strided.pth"));
        assertThat(sd.get("base").toFloats()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
        assertThat(sd.get("transposed").shape()).containsExactly(4, 3);
        assertThat(sd.get("transposed").toFloats()).containsExactly(0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11);
        assertThat(sd.get("row1").toFloats()).containsExactly(4, 5, 6, 7);
        assertThat(sd.get("column2").toFloats()).containsExactly(2, 6, 10);
    }

    @Test
    void theStateDictOfACheckpointDictWithoutDataParallelsPrefix() throws IOException {
        StateDict sd = StateDict.read(GoldenModels.file("checkpoint.pth"));
        assertThat(sd.names()).containsExactly("conv.weight", "conv.bias");
        assertThat(sd.get("conv.weight").shape()).containsExactly(3, 2, 1, 1);
        assertThat(sd.get("conv.weight").toFloats()).containsExactly(0, 1, 2, 3, 4, 5);
        assertThat(sd.get("conv.bias").toFloats()).containsExactly(-1f, 0.5f, 2f);
    }

    @Test
    void safeTensorsRoundTrip() throws IOException {
        Map<String, StoredTensor> tensors = new LinkedHashMap<>();
        tensors.put("a.weight", StoredTensor.ofFloats(new float[] {1, -2, 3.5f, 1e-30f, Float.MAX_VALUE, -0f}, 2, 3));
        tensors.put("a.num_batches_tracked", StoredTensor.ofLong(12345678901L));
        tensors.put("empty", StoredTensor.ofFloats(new float[0], 0, 4));
        Path f = dir.resolve("x.safetensors");
        SafeTensors.write(f, tensors, Map.of("producer", "test"));
        byte[] bytes = Files.readAllBytes(f);
        long headerLength = java.nio.ByteBuffer.wrap(bytes, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat((8 + headerLength) % 8).isZero();
        StateDict back = StateDict.read(f);
        assertThat(back.format()).isEqualTo(StateDict.Format.SAFETENSORS);
        assertThat(back.metadata()).containsEntry("producer", "test");
        assertThat(back.names()).containsExactly("a.weight", "a.num_batches_tracked", "empty");
        assertThat(back.get("a.weight").toFloats()).containsExactly(1, -2, 3.5f, 1e-30f, Float.MAX_VALUE, -0f);
        assertThat(back.get("a.num_batches_tracked").dtype()).isEqualTo(DType.I64);
        assertThat(back.get("a.num_batches_tracked").littleEndianBytes())
                .isEqualTo(tensors.get("a.num_batches_tracked").littleEndianBytes());
        assertThat(back.get("empty").shape()).containsExactly(0, 4);
    }

    /** {@code os.system("touch FILE")} as a pickle, protocol 2 (GLOBAL) or 4 (STACK_GLOBAL). */
    private static byte[] maliciousPickle(Path victim, boolean stackGlobal) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] cmd = ("touch " + victim).getBytes(StandardCharsets.UTF_8);
        if (stackGlobal) {
            b.writeBytes(new byte[] {(byte) 0x80, 4, (byte) 0x8c, 2, 'o', 's', (byte) 0x8c, 6});
            b.writeBytes("system".getBytes(StandardCharsets.US_ASCII));
            b.write(0x93);
        } else {
            b.writeBytes(new byte[] {(byte) 0x80, 2});
            b.writeBytes("cos\nsystem\n".getBytes(StandardCharsets.US_ASCII));
        }
        b.write('X');
        b.writeBytes(java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(cmd.length)
                .array());
        b.writeBytes(cmd);
        b.writeBytes(new byte[] {(byte) 0x85, 'R', '.'});
        return b.toByteArray();
    }

    private Path zipWithPickle(String name, byte[] pickle) throws IOException {
        Path f = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(f); ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("archive/data.pkl"));
            zip.write(pickle);
            zip.closeEntry();
            zip.putNextEntry(new ZipEntry("archive/version"));
            zip.write("3\n".getBytes(StandardCharsets.US_ASCII));
            zip.closeEntry();
        }
        return f;
    }

    @Test
    void aPickleCallingOsSystemIsRefusedAndNothingRuns() throws IOException {
        Path victim = dir.resolve("pwned");
        List<Path> files = List.of(
                zipWithPickle("evil.pth", maliciousPickle(victim, false)),
                zipWithPickle("evil4.pth", maliciousPickle(victim, true)),
                Files.write(dir.resolve("evil_legacy.pth"), maliciousPickle(victim, false)));
        for (Path f : files) {
            assertThatThrownBy(() -> StateDict.read(f)).as(f.toString())
                    .isInstanceOf(WeightFileException.class)
                    .hasMessageContaining(f.toString())
                    .hasMessageContaining("refusing to unpickle")
                    .hasMessageContaining("'os.system'")
                    .hasMessageContaining("nothing in the file was executed");
        }
        assertThat(victim).doesNotExist();
    }

    @Test
    void aWholePickledModelIsRefusedWithTheFix() throws IOException {
        byte[] pickle = "\u0080\u0002ctorchvision.models.resnet\nResNet\n)\u0081.".getBytes(StandardCharsets.ISO_8859_1);
        Path f = zipWithPickle("model.pth", pickle);
        assertThatThrownBy(() -> StateDict.read(f)).isInstanceOf(WeightFileException.class)
                .hasMessageContaining("torchvision.models.resnet.ResNet")
                .hasMessageContaining("model.state_dict()");
    }

    @Test
    void otherOpcodesThatBuildObjectsAreRefused() throws IOException {
        // OrderedDict is allowed as a callable, but NEWOBJ (cls.__new__) is never used by a state dict
        byte[] pickle = "\u0080\u0002ccollections\nOrderedDict\n)\u0081.".getBytes(StandardCharsets.ISO_8859_1);
        Path f = zipWithPickle("newobj.pth", pickle);
        assertThatThrownBy(() -> StateDict.read(f)).isInstanceOf(WeightFileException.class)
                .hasMessageContaining("arbitrary object");
    }

    @Test
    void corruptAndForeignFilesAreClearErrors() throws IOException {
        Path text = Files.writeString(dir.resolve("notes.pth"), "just some text, not weights");
        assertThatThrownBy(() -> StateDict.read(text)).isInstanceOf(WeightFileException.class)
                .hasMessageContaining("not a weight file");
        byte[] st = Files.readAllBytes(GoldenModels.file("resnet_basic.safetensors"));
        Path truncated = Files.write(dir.resolve("cut.safetensors"), java.util.Arrays.copyOf(st, st.length / 2));
        assertThatThrownBy(() -> StateDict.read(truncated)).isInstanceOf(WeightFileException.class)
                .hasMessageContaining("data_offsets");
        byte[] pth = Files.readAllBytes(GoldenModels.file("checkpoint.pth"));
        Path cut = Files.write(dir.resolve("cut.pth"), java.util.Arrays.copyOf(pth, pth.length - 200));
        assertThatThrownBy(() -> StateDict.read(cut)).isInstanceOf(WeightFileException.class);
        assertThatThrownBy(() -> StateDict.read(dir.resolve("absent.pth")))
                .isInstanceOf(java.nio.file.NoSuchFileException.class);
    }

    @Test
    void objectArraysInAnNpzAreRefused() throws IOException {
        Path f = dir.resolve("objects.npz");
        String header = "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }";
        ByteArrayOutputStream npy = new ByteArrayOutputStream();
        npy.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) header.length(), 0});
        npy.writeBytes(header.getBytes(StandardCharsets.US_ASCII));
        try (OutputStream out = Files.newOutputStream(f); ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("w.npy"));
            zip.write(npy.toByteArray());
            zip.closeEntry();
        }
        assertThatThrownBy(() -> StateDict.read(f)).isInstanceOf(WeightFileException.class)
                .hasMessageContaining("'|O'").hasMessageContaining("object array");
    }
}
