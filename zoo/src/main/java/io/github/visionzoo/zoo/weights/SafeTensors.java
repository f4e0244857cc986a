package io.github.visionzoo.zoo.weights;

import io.github.visionzoo.zoo.AtomicFiles;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header
 * {@code {"NAME": {"dtype": "F32", "shape": [..], "data_offsets": [BEGIN, END]}, "__metadata__": {..}}}, then the
 * tensors' raw little-endian bytes, offsets counted from the end of the header. Reading maps each tensor's bytes from
 * the file when it is asked for.
 */
public final class SafeTensors {
    /** Larger headers are refused as corrupt (the format's own reader uses the same limit). */
    private static final long MAX_HEADER = 100L * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafeTensors() {
    }

    static boolean looksLikeSafeTensors(byte[] head, int n) {
        if (n < 9) {
            return false;
        }
        long len = ByteBuffer.wrap(head, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return len > 1 && len <= MAX_HEADER && head[8] == '{';
    }

    /** Reads a safetensors file (use {@link StateDict#read}, which tells the format itself). */
    public static StateDict read(Path file) throws IOException {
        String source = file.toString();
        long fileSize = Files.size(file);
        JsonNode header;
        long dataStart;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long len = lenBuf.getLong(0);
            if (len < 2 || len > MAX_HEADER || 8 + len > fileSize) {
                throw new WeightFileException(source + ": not a safetensors file (header length " + len + ")");
            }
            ByteBuffer h = ByteBuffer.allocate((int) len);
            readFully(ch, h, 8);
            try {
                header = JSON.readTree(new String(h.array(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new WeightFileException(source + ": the safetensors header is not JSON: " + e.getMessage(), e);
            }
            dataStart = 8 + len;
        }
        if (header == null || !header.isObject()) {
            throw new WeightFileException(source + ": the safetensors header is not a JSON object");
        }
        Map<String, StoredTensor> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals("__metadata__")) {
                v.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            String dtypeName = v.path("dtype").asText();
            DType dtype = DType.fromSafetensors(dtypeName);
            if (dtype == null) {
                throw new WeightFileException(source + ": tensor '" + name + "' has data type '" + dtypeName
                        + "'; supported are F32, F16, BF16, F64 and the integer types");
            }
            JsonNode shapeNode = v.path("shape");
            JsonNode offsets = v.path("data_offsets");
            if (!shapeNode.isArray() || !offsets.isArray() || offsets.size() != 2) {
                throw new WeightFileException(source + ": tensor '" + name + "' lacks a shape or data_offsets");
            }
            long[] shape = new long[shapeNode.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeNode.get(i).asLong(-1);
            }
            long begin = offsets.get(0).asLong(-1);
            long end = offsets.get(1).asLong(-1);
            StoredTensor probe = new StoredTensor(dtype, shape, null, 0, ByteOrder.LITTLE_ENDIAN, null);
            if (begin < 0 || end < begin || dataStart + end > fileSize
                    || end - begin != probe.numel() * dtype.size()) {
                throw new WeightFileException(source + ": tensor '" + name + "' (" + dtype + " "
                        + java.util.Arrays.toString(shape) + ") has data_offsets [" + begin + ", " + end
                        + "] that do not fit its size or the file");
            }
            long at = dataStart + begin;
            long length = end - begin;
            StoredTensor.Storage storage = () -> {
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                    return ch.map(FileChannel.MapMode.READ_ONLY, at, length);
                }
            };
            tensors.put(name, new StoredTensor(dtype, shape, null, 0, ByteOrder.LITTLE_ENDIAN, storage));
        }
        return new StateDict(tensors, StateDict.Format.SAFETENSORS, source, metadata);
    }

    /**
     * Writes tensors as a safetensors file, each in its own type, in the map's order, with {@code metadata} as the
     * header's {@code __metadata__}. The file is written next to {@code file} and moved into place when complete.
     */
    public static void write(Path file, Map<String, StoredTensor> tensors, Map<String, String> metadata)
            throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, StoredTensor> e : tensors.entrySet()) {
            StoredTensor t = e.getValue();
            long bytes = t.numel() * t.dtype().size();
            ObjectNode n = header.putObject(e.getKey());
            n.put("dtype", t.dtype().safetensorsName());
            var shape = n.putArray("shape");
            for (long s : t.shape()) {
                shape.add(s);
            }
            n.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        AtomicFiles.write(file, raw -> {
            OutputStream out = new BufferedOutputStream(raw, 1 << 20);
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, padded);
            out.write(len.array());
            out.write(json);
            for (int i = json.length; i < padded; i++) {
                out.write(' ');
            }
            for (StoredTensor t : tensors.values()) {
                out.write(t.littleEndianBytes());
            }
            out.flush();
        });
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        long p = position;
        while (b.hasRemaining()) {
            int n = ch.read(b, p);
            if (n < 0) {
                throw new WeightFileException("unexpected end of a safetensors file");
            }
            p += n;
        }
        b.flip();
    }
}
