package io.github.visionzoo.zoo.weights;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One tensor of a weight file as it is stored: element type, shape, and where its elements lie in a storage (offset
 * and strides in elements, as PyTorch keeps them, so views of a shared storage read correctly). The bytes are read
 * only when the values are asked for, one tensor at a time, so importing a 500 MB file does not hold it all twice.
 */
public final class StoredTensor {
    /** Where a tensor's storage bytes come from; called each time the values are read. */
    @FunctionalInterface
    interface Storage {
        ByteBuffer bytes() throws IOException;
    }

    private final DType dtype;
    private final long[] shape;
    private final long[] strides;
    private final long offset;
    private final ByteOrder order;
    private final Storage storage;

    StoredTensor(DType dtype, long[] shape, long[] strides, long offset, ByteOrder order, Storage storage) {
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        this.shape = shape.clone();
        this.strides = strides == null ? contiguousStrides(shape) : strides.clone();
        this.offset = offset;
        this.order = order;
        this.storage = storage;
        if (this.strides.length != shape.length) {
            throw new WeightFileException("a tensor of shape " + Arrays.toString(shape) + " has strides "
                    + Arrays.toString(strides));
        }
        for (long s : shape) {
            if (s < 0) {
                throw new WeightFileException("a tensor has a negative dimension: " + Arrays.toString(shape));
            }
        }
    }

    /** A float32 tensor holding {@code data} in row-major order. */
    public static StoredTensor ofFloats(float[] data, long... shape) {
        if (numel(shape) != data.length) {
            throw new IllegalArgumentException(data.length + " values do not fill shape " + Arrays.toString(shape));
        }
        ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(data);
        return new StoredTensor(DType.F32, shape, null, 0, ByteOrder.LITTLE_ENDIAN, () -> b.duplicate()
                .order(ByteOrder.LITTLE_ENDIAN));
    }

    /** A float32 tensor with the values and shape of {@code array} (row-major). */
    public static StoredTensor of(INDArray array) {
        INDArray c = array.castTo(DataType.FLOAT).dup('c');
        return ofFloats(c.data().asFloat(), c.shape());
    }

    /** A scalar int64 tensor (batch norm's {@code num_batches_tracked}). */
    public static StoredTensor ofLong(long value) {
        return ofLongs(new long[] {value});
    }

    /** An int64 tensor holding {@code data} in row-major order (the Swin's {@code relative_position_index}). */
    public static StoredTensor ofLongs(long[] data, long... shape) {
        if (numel(shape) != data.length) {
            throw new IllegalArgumentException(data.length + " values do not fill shape " + Arrays.toString(shape));
        }
        ByteBuffer b = ByteBuffer.allocate(data.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(data);
        return new StoredTensor(DType.I64, shape, null, 0, ByteOrder.LITTLE_ENDIAN, () -> b.duplicate()
                .order(ByteOrder.LITTLE_ENDIAN));
    }

    public DType dtype() {
        return dtype;
    }

    /** The shape, PyTorch's {@code size()}; empty for a scalar. */
    public long[] shape() {
        return shape.clone();
    }

    /** Number of elements: the product of the shape (1 for a scalar). */
    public long numel() {
        return numel(shape);
    }

    static long numel(long[] shape) {
        long n = 1;
        for (long s : shape) {
            n = Math.multiplyExact(n, s);
        }
        return n;
    }

    static long[] contiguousStrides(long[] shape) {
        long[] st = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            st[i] = s;
            s *= Math.max(shape[i], 1);
        }
        return st;
    }

    /** The values in row-major order as float32, converted from float16, bfloat16 or float64 where stored so. */
    public float[] toFloats() {
        long n = numel();
        if (n > Integer.MAX_VALUE - 8) {
            throw new WeightFileException("a tensor of shape " + Arrays.toString(shape) + " is too large for one "
                    + "Java array");
        }
        ByteBuffer b = read();
        float[] out = new float[(int) n];
        if (n == 0) {
            return out;
        }
        if (Arrays.equals(strides, contiguousStrides(shape))) {
            if (dtype == DType.F32) {
                FloatBuffer fb = b.position((int) (offset * 4)).slice().order(order).asFloatBuffer();
                fb.get(out);
            } else {
                for (int i = 0; i < out.length; i++) {
                    out[i] = (float) element(b, offset + i);
                }
            }
            return out;
        }
        long[] index = new long[shape.length];
        for (int i = 0; i < out.length; i++) {
            long at = offset;
            for (int d = 0; d < shape.length; d++) {
                at += index[d] * strides[d];
            }
            out[i] = (float) element(b, at);
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++index[d] < shape[d]) {
                    break;
                }
                index[d] = 0;
            }
        }
        return out;
    }

    /** The elements' bytes in row-major order, little-endian, in this tensor's own type (for writing files). */
    byte[] littleEndianBytes() {
        long n = numel();
        long total = n * dtype.size();
        if (total > Integer.MAX_VALUE - 8) {
            throw new WeightFileException("a tensor of shape " + Arrays.toString(shape) + " is too large to write "
                    + "in one piece");
        }
        ByteBuffer b = read();
        int size = dtype.size();
        if (order == ByteOrder.LITTLE_ENDIAN && Arrays.equals(strides, contiguousStrides(shape))) {
            byte[] out = new byte[(int) total];
            b.get(Math.toIntExact(offset * size), out);
            return out;
        }
        ByteBuffer out = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        long[] index = new long[shape.length];
        byte[] element = new byte[size];
        for (long i = 0; i < n; i++) {
            long at = offset;
            for (int d = 0; d < shape.length; d++) {
                at += index[d] * strides[d];
            }
            b.get(Math.toIntExact(at * size), element);
            if (order == ByteOrder.BIG_ENDIAN) {
                for (int k = 0; k < size / 2; k++) {
                    byte t = element[k];
                    element[k] = element[size - 1 - k];
                    element[size - 1 - k] = t;
                }
            }
            out.put(element);
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++index[d] < shape[d]) {
                    break;
                }
                index[d] = 0;
            }
        }
        return out.array();
    }

    /** A float32 {@code INDArray} of this tensor's shape (a scalar becomes shape {@code []}). */
    public INDArray toINDArray() {
        return Nd4j.create(toFloats(), shape, 'c');
    }

    /** The storage bytes, checked to hold every element this tensor reaches. */
    private ByteBuffer read() {
        ByteBuffer b;
        try {
            b = storage.bytes().slice().order(order);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tensor data: " + e.getMessage(), e);
        }
        long last = offset;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 0) {
                return b;
            }
            last += (shape[d] - 1) * strides[d];
        }
        if (offset < 0 || (last + 1) * dtype.size() > b.remaining()) {
            throw new WeightFileException("a " + dtype + " tensor of shape " + Arrays.toString(shape) + " reaches "
                    + "element " + last + " but its storage holds " + b.remaining() / dtype.size() + " elements");
        }
        return b;
    }

    private double element(ByteBuffer b, long index) {
        int at = Math.toIntExact(index * dtype.size());
        return switch (dtype) {
            case F32 -> b.getFloat(at);
            case F64 -> b.getDouble(at);
            case F16 -> halfToFloat(b.getShort(at));
            case BF16 -> Float.intBitsToFloat((b.getShort(at) & 0xffff) << 16);
            case I64 -> b.getLong(at);
            case I32 -> b.getInt(at);
            case I16 -> b.getShort(at);
            case I8 -> b.get(at);
            case U8 -> b.get(at) & 0xff;
            case BOOL -> b.get(at) != 0 ? 1 : 0;
        };
    }

    /** IEEE 754 binary16 to float, exact (every half is a float). */
    static float halfToFloat(short half) {
        int bits = half & 0xffff;
        int sign = (bits >>> 15) << 31;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0) {
            float v = mantissa * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        if (exponent == 31) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    @Override
    public String toString() {
        return dtype + Arrays.toString(shape);
    }
}
