package io.github.visionzoo.zoo.weights;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The tensors of a weight file by name, in file order, as PyTorch's {@code state_dict()} holds them. Values are read
 * lazily ({@link StoredTensor}); nothing stays open between reads.
 *
 * <pre>{@code
 * StateDict sd = StateDict.read(Path.of("resnet50-11ad3fa6.pth"));   // .pth, .safetensors or .npz
 * float[] w = sd.get("conv1.weight").toFloats();
 * }</pre>
 */
public final class StateDict {
    /** The file formats. */
    public enum Format {
        /** PyTorch's zip format ({@code torch.save} since 1.6): {@code data.pkl} plus one entry per storage. */
        PTH,
        /** PyTorch's older format ({@code _use_new_zipfile_serialization=False}): pickles then raw storages. */
        PTH_LEGACY,
        /** Hugging Face's safetensors, timm's format. */
        SAFETENSORS,
        /** NumPy's {@code savez}. */
        NPZ,
        /** Made in memory. */
        MEMORY
    }

    private final Map<String, StoredTensor> tensors;
    private final Format format;
    private final String source;
    private final Map<String, String> metadata;

    StateDict(Map<String, StoredTensor> tensors, Format format, String source, Map<String, String> metadata) {
        this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        this.format = format;
        this.source = source;
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /** A state dict of in-memory tensors, in the map's order. */
    public static StateDict of(Map<String, StoredTensor> tensors) {
        return new StateDict(tensors, Format.MEMORY, "memory", Map.of());
    }

    /**
     * Reads a weight file, telling the format from its first bytes: a {@code .pth}/{@code .pt} of
     * {@code torch.save(model.state_dict())} in either of PyTorch's formats, a {@code .safetensors} or an
     * {@code .npz}. A {@code .pth} holding a training checkpoint dict yields the state dict under its
     * {@code state_dict}, {@code model} or {@code model_state_dict} key, and DataParallel's {@code module.} prefix is
     * removed.
     *
     * @throws WeightFileException     when the file is none of these, is corrupt, or its pickle asks for anything
     *                                 beyond a state dict (refused, never executed)
     * @throws NoSuchFileException     when there is no such file
     */
    public static StateDict read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such weight file");
        }
        byte[] head = new byte[512];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        }
        if (n >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
            return readZip(file);
        }
        if (SafeTensors.looksLikeSafeTensors(head, n)) {
            return SafeTensors.read(file);
        }
        if (n >= 2 && (head[0] & 0xff) == 0x80) {
            return TorchFormat.readLegacy(file);
        }
        if (n >= 262 && new String(head, 257, 5, StandardCharsets.ISO_8859_1).equals("ustar")) {
            throw new WeightFileException(file + ": a tar archive, PyTorch's format before version 0.4, which is "
                    + "not supported; load it in PyTorch and save it again with torch.save(model.state_dict(), path)");
        }
        throw new WeightFileException(file + ": not a weight file visionzoo reads; expected a PyTorch .pth "
                + "(torch.save of a state dict), a .safetensors or a NumPy .npz");
    }

    private static StateDict readZip(Path file) throws IOException {
        try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(file.toFile())) {
            boolean npy = false;
            for (var entries = zip.entries(); entries.hasMoreElements(); ) {
                String name = entries.nextElement().getName();
                if (name.equals("data.pkl") || name.endsWith("/data.pkl")) {
                    return TorchFormat.readZip(file, zip);
                }
                npy |= name.endsWith(".npy");
            }
            if (npy) {
                return Npz.read(file, zip);
            }
        } catch (java.util.zip.ZipException e) {
            throw new WeightFileException(file + ": a corrupt zip file: " + e.getMessage(), e);
        }
        throw new WeightFileException(file + ": a zip file with neither data.pkl (PyTorch) nor .npy entries (NumPy)");
    }

    /** The tensor names, in file order. */
    public Set<String> names() {
        return tensors.keySet();
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** The named tensor, or {@code null}. */
    public StoredTensor get(String name) {
        return tensors.get(name);
    }

    public Map<String, StoredTensor> tensors() {
        return tensors;
    }

    public int size() {
        return tensors.size();
    }

    public Format format() {
        return format;
    }

    /** The file it was read from, for messages. */
    public String source() {
        return source;
    }

    /** A safetensors file's {@code __metadata__}; empty for the other formats. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The same tensors under new names ({@code rename} returns the new name; names must stay distinct). */
    public StateDict renamed(UnaryOperator<String> rename) {
        Map<String, StoredTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, StoredTensor> e : tensors.entrySet()) {
            String name = rename.apply(e.getKey());
            if (out.put(name, e.getValue()) != null) {
                throw new WeightFileException(source + ": two tensors are both named '" + name + "' after renaming");
            }
        }
        return new StateDict(out, format, source, metadata);
    }

    @Override
    public String toString() {
        return "StateDict(" + format + ", " + tensors.size() + " tensors, " + source + ")";
    }
}
