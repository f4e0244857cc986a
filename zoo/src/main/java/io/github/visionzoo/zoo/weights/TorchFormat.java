package io.github.visionzoo.zoo.weights;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * PyTorch's {@code torch.save} files, read through {@link SafePickle}.
 *
 * <p>The zip format (the default since PyTorch 1.6): {@code PREFIX/data.pkl} is the pickled state dict, whose
 * tensors reference storages by persistent id {@code ('storage', torch.FloatStorage, KEY, LOCATION, NUMEL)}; the
 * storage's raw bytes are the entry {@code PREFIX/data/KEY}, in the byte order of {@code PREFIX/byteorder} (little
 * when absent). The legacy format is five pickles in a row (magic number, protocol version, system info, the state
 * dict, the list of storage keys) followed by each storage as an int64 element count and its raw bytes.
 */
final class TorchFormat {
    private static final BigInteger LEGACY_MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
    private static final List<String> CHECKPOINT_KEYS = List.of("state_dict", "model_state_dict", "model", "module");

    private TorchFormat() {
    }

    static StateDict readZip(Path file, ZipFile zip) throws IOException {
        String source = file.toString();
        String prefix = null;
        for (var entries = zip.entries(); entries.hasMoreElements(); ) {
            String name = entries.nextElement().getName();
            if (name.equals("data.pkl") || name.endsWith("/data.pkl")) {
                prefix = name.substring(0, name.length() - "data.pkl".length());
                break;
            }
        }
        ByteOrder order = ByteOrder.LITTLE_ENDIAN;
        ZipEntry byteorder = zip.getEntry(prefix + "byteorder");
        if (byteorder != null) {
            String text = new String(readEntry(zip, byteorder, source), StandardCharsets.US_ASCII).trim();
            if (text.equals("big")) {
                order = ByteOrder.BIG_ENDIAN;
            } else if (!text.equals("little")) {
                throw new WeightFileException(source + ": unknown byte order '" + text + "'");
            }
        }
        byte[] pickle = readEntry(zip, zip.getEntry(prefix + "data.pkl"), source);
        final String dataPrefix = prefix + "data/";
        final ByteOrder byteOrder = order;
        SafePickle.PersistentLoader loader = pid -> {
            SafePickle.Tuple t = storagePid(pid, 5, source);
            String entryName = dataPrefix + t.get(2);
            ZipEntry entry = zip.getEntry(entryName);
            if (entry == null) {
                throw new WeightFileException(source + ": the state dict refers to storage " + t.get(2)
                        + ", which the file lacks (" + entryName + ")");
            }
            StoredTensor.Storage storage = () -> {
                try (ZipFile z = new ZipFile(file.toFile())) {
                    return ByteBuffer.wrap(readEntry(z, z.getEntry(entryName), source));
                }
            };
            return new SafePickle.StorageRef(storageType(t.get(1), source), byteOrder, storage);
        };
        Object root = new SafePickle(ByteBuffer.wrap(pickle), source, loader).load();
        return new StateDict(tensorsOf(root, source), StateDict.Format.PTH, source, Map.of());
    }

    static StateDict readLegacy(Path file) throws IOException {
        String source = file.toString();
        ByteBuffer in;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() > Integer.MAX_VALUE) {
                throw new WeightFileException(source + ": a legacy-format PyTorch file over 2 GB is not supported; "
                        + "save it again with torch.save (the zip format) or as safetensors");
            }
            in = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
        }
        Object magic = new SafePickle(in, source, null).load();
        if (!LEGACY_MAGIC.equals(magic instanceof Long l ? BigInteger.valueOf(l) : magic)) {
            throw new WeightFileException(source + ": a pickle, but not a PyTorch file (no PyTorch magic number)");
        }
        Object protocol = new SafePickle(in, source, null).load();
        if (!Long.valueOf(1001).equals(protocol)) {
            throw new WeightFileException(source + ": PyTorch legacy protocol " + protocol + " is not supported");
        }
        Object sysInfo = new SafePickle(in, source, null).load();
        ByteOrder order = sysInfo instanceof Map<?, ?> m && Boolean.FALSE.equals(m.get("little_endian"))
                ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;

        Map<String, DType> types = new HashMap<>();
        Map<String, ByteBuffer> storages = new HashMap<>();
        SafePickle.PersistentLoader loader = pid -> {
            SafePickle.Tuple t = storagePid(pid, 6, source);
            DType dtype = storageType(t.get(1), source);
            String key = String.valueOf(t.get(2));
            types.put(key, dtype);
            long viewOffset = 0;
            if (t.get(5) instanceof SafePickle.Tuple view && view.size() == 3 && view.get(1) instanceof Long off) {
                viewOffset = off;
            }
            long offsetBytes = viewOffset * dtype.size();
            StoredTensor.Storage storage = () -> {
                ByteBuffer b = storages.get(key);
                if (b == null) {
                    throw new WeightFileException(source + ": the state dict refers to storage " + key
                            + ", which the file lacks");
                }
                return b.duplicate().position(Math.toIntExact(offsetBytes)).slice();
            };
            return new SafePickle.StorageRef(dtype, order, storage);
        };
        Object root = new SafePickle(in, source, loader).load();
        Object keys = new SafePickle(in, source, null).load();
        if (!(keys instanceof List<?> keyList)) {
            throw new WeightFileException(source + ": the storage key list is missing");
        }
        for (Object k : keyList) {
            String key = String.valueOf(k);
            DType dtype = types.get(key);
            if (dtype == null) {
                throw new WeightFileException(source + ": storage " + key + " is stored but never used");
            }
            long numel = in.order(order).getLong();
            long bytes = numel * dtype.size();
            if (numel < 0 || bytes > in.remaining()) {
                throw new WeightFileException(source + ": storage " + key + " of " + numel + " elements runs past "
                        + "the end of the file");
            }
            storages.put(key, in.slice().limit((int) bytes));
            in.position(in.position() + (int) bytes);
        }
        return new StateDict(tensorsOf(root, source), StateDict.Format.PTH_LEGACY, source, Map.of());
    }

    private static SafePickle.Tuple storagePid(Object pid, int minSize, String source) {
        if (pid instanceof SafePickle.Tuple t && t.size() >= minSize && "storage".equals(t.get(0))) {
            return t;
        }
        throw new WeightFileException(source + ": unknown persistent id " + SafePickle.describe(pid)
                + "; PyTorch writes ('storage', type, key, location, numel)");
    }

    private static DType storageType(Object type, String source) {
        if (type instanceof SafePickle.Global g) {
            DType d = DType.fromTorchStorage(g.name());
            if (d != null) {
                return d;
            }
        }
        throw new WeightFileException(source + ": unsupported storage type " + SafePickle.describe(type));
    }

    private static byte[] readEntry(ZipFile zip, ZipEntry entry, String source) throws IOException {
        if (entry.getSize() > Integer.MAX_VALUE - 8) {
            throw new WeightFileException(source + ": entry " + entry.getName() + " is over 2 GB");
        }
        try (InputStream in = zip.getInputStream(entry)) {
            return in.readAllBytes();
        }
    }

    /** The tensors of an unpickled {@code torch.save} value: a state dict, or a checkpoint dict holding one. */
    static Map<String, StoredTensor> tensorsOf(Object root, String source) {
        if (!(root instanceof Map<?, ?> map)) {
            throw new WeightFileException(source + ": holds " + SafePickle.describe(root) + ", not a state dict; "
                    + "save model.state_dict()");
        }
        boolean hasTensors = map.values().stream().anyMatch(v -> v instanceof StoredTensor);
        if (!hasTensors) {
            for (String key : CHECKPOINT_KEYS) {
                if (map.get(key) instanceof Map<?, ?> inner
                        && inner.values().stream().anyMatch(v -> v instanceof StoredTensor)) {
                    return tensorsOf(inner, source);
                }
            }
            List<String> keys = new ArrayList<>();
            map.keySet().forEach(k -> keys.add(String.valueOf(k)));
            throw new WeightFileException(source + ": holds a dict without tensors (keys " + keys + "), not a state "
                    + "dict");
        }
        Map<String, StoredTensor> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (e.getKey() instanceof String name && e.getValue() instanceof StoredTensor t) {
                out.put(name, t);
            }
        }
        if (out.keySet().stream().allMatch(k -> k.startsWith("module."))) {
            Map<String, StoredTensor> stripped = new LinkedHashMap<>();
            out.forEach((k, v) -> stripped.put(k.substring("module.".length()), v));
            return stripped;
        }
        return out;
    }
}
