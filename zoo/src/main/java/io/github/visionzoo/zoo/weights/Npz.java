package io.github.visionzoo.zoo.weights;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * NumPy's {@code .npz} ({@code numpy.savez}, compressed or not): a zip of {@code NAME.npy} files, each a magic
 * string, a version, a Python-literal header {@code {'descr': '<f4', 'fortran_order': False, 'shape': (64, 3)}} and
 * the raw data. Object arrays (which NumPy pickles) and structured types are refused.
 */
final class Npz {
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npz() {
    }

    static StateDict read(Path file, ZipFile zip) throws IOException {
        String source = file.toString();
        Map<String, StoredTensor> tensors = new LinkedHashMap<>();
        for (var entries = zip.entries(); entries.hasMoreElements(); ) {
            ZipEntry entry = entries.nextElement();
            if (entry.isDirectory() || !entry.getName().endsWith(".npy")) {
                continue;
            }
            String entryName = entry.getName();
            String name = entryName.substring(0, entryName.length() - ".npy".length());
            Header h;
            try (InputStream in = zip.getInputStream(entry)) {
                h = header(in.readNBytes(65536 + 12), source + "!" + entryName);
            }
            int dataStart = h.dataStart;
            StoredTensor.Storage storage = () -> {
                try (ZipFile z = new ZipFile(file.toFile()); InputStream in = z.getInputStream(z.getEntry(entryName))) {
                    byte[] all = in.readAllBytes();
                    return ByteBuffer.wrap(all, dataStart, all.length - dataStart).slice();
                }
            };
            tensors.put(name, new StoredTensor(h.dtype, h.shape, h.strides, 0, h.order, storage));
        }
        return new StateDict(tensors, StateDict.Format.NPZ, source, Map.of());
    }

    /** A parsed {@code .npy} header. */
    record Header(DType dtype, ByteOrder order, long[] shape, long[] strides, int dataStart) {
    }

    static Header header(byte[] b, String source) {
        if (b.length < 10 || (b[0] & 0xff) != 0x93 || !new String(b, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
            throw new WeightFileException(source + ": not a .npy array");
        }
        int major = b[6];
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int len;
        int start;
        if (major == 1) {
            len = bb.getShort(8) & 0xffff;
            start = 10;
        } else if (major == 2 || major == 3) {
            len = bb.getInt(8);
            start = 12;
        } else {
            throw new WeightFileException(source + ": .npy version " + major + " is not supported");
        }
        if (len < 0 || start + len > b.length) {
            throw new WeightFileException(source + ": the .npy header is truncated or over 64 KB");
        }
        String text = new String(b, start, len, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(text);
        Matcher f = FORTRAN.matcher(text);
        Matcher s = SHAPE.matcher(text);
        if (!d.find() || !f.find() || !s.find()) {
            throw new WeightFileException(source + ": a .npy header NumPy's simple types do not explain: " + text.trim()
                    + " (object and structured arrays are not supported)");
        }
        String descr = d.group(1);
        char byteOrder = descr.isEmpty() ? '?' : descr.charAt(0);
        DType dtype = descr.length() > 1 ? DType.fromNumpy(descr.substring(1)) : null;
        if (dtype == null || "<>|=".indexOf(byteOrder) < 0) {
            throw new WeightFileException(source + ": data type '" + descr + "' is not supported"
                    + (descr.contains("O") ? " (an object array, which NumPy pickles)" : ""));
        }
        ByteOrder order = byteOrder == '>' ? ByteOrder.BIG_ENDIAN
                : byteOrder == '=' ? ByteOrder.nativeOrder() : ByteOrder.LITTLE_ENDIAN;
        String dims = s.group(1).trim();
        String[] parts = dims.isEmpty() ? new String[0] : dims.split(",");
        int rank = 0;
        long[] shape = new long[parts.length];
        for (String p : parts) {
            if (!p.isBlank()) {
                shape[rank++] = Long.parseLong(p.trim().replace("L", ""));
            }
        }
        shape = java.util.Arrays.copyOf(shape, rank);
        long[] strides = StoredTensor.contiguousStrides(shape);
        if (f.group(1).equals("True")) {
            long st = 1;
            for (int i = 0; i < rank; i++) {
                strides[i] = st;
                st *= Math.max(shape[i], 1);
            }
        }
        return new Header(dtype, order, shape, strides, start + len);
    }
}
