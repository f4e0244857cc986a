package io.github.visionzoo.zoo.weights;

import java.util.Locale;

/**
 * The element types a weight file may hold, with their names in each format. Floating types are read into float32;
 * integer types (batch norm's {@code num_batches_tracked} is int64) are read but never loaded into a model.
 */
public enum DType {
    F32(4, "F32", "FloatStorage", "f4", true),
    F16(2, "F16", "HalfStorage", "f2", true),
    BF16(2, "BF16", "BFloat16Storage", null, true),
    F64(8, "F64", "DoubleStorage", "f8", true),
    I64(8, "I64", "LongStorage", "i8", false),
    I32(4, "I32", "IntStorage", "i4", false),
    I16(2, "I16", "ShortStorage", "i2", false),
    I8(1, "I8", "CharStorage", "i1", false),
    U8(1, "U8", "ByteStorage", "u1", false),
    BOOL(1, "BOOL", "BoolStorage", "b1", false);

    private final int size;
    private final String safetensorsName;
    private final String torchStorage;
    private final String numpyCode;
    private final boolean floating;

    DType(int size, String safetensorsName, String torchStorage, String numpyCode, boolean floating) {
        this.size = size;
        this.safetensorsName = safetensorsName;
        this.torchStorage = torchStorage;
        this.numpyCode = numpyCode;
        this.floating = floating;
    }

    /** Bytes per element. */
    public int size() {
        return size;
    }

    /** Whether the type is a floating-point one, which a model parameter can be loaded from. */
    public boolean isFloating() {
        return floating;
    }

    /** The name in a safetensors header ({@code F32}, {@code BF16}, ...). */
    public String safetensorsName() {
        return safetensorsName;
    }

    /** The {@code torch.*Storage} class that a PyTorch pickle names for this type. */
    public String torchStorage() {
        return torchStorage;
    }

    /** The type of a safetensors header name, or {@code null} when it is not one of these. */
    public static DType fromSafetensors(String name) {
        for (DType t : values()) {
            if (t.safetensorsName.equals(name)) {
                return t;
            }
        }
        return null;
    }

    /** The type of a {@code torch.XStorage} class name, or {@code null}. */
    public static DType fromTorchStorage(String className) {
        for (DType t : values()) {
            if (t.torchStorage.equals(className)) {
                return t;
            }
        }
        return null;
    }

    /** The type of a NumPy type code without its byte-order character ({@code f4}, {@code i8}), or {@code null}. */
    public static DType fromNumpy(String code) {
        String c = code.toLowerCase(Locale.ROOT);
        if (c.equals("?")) {
            return BOOL;
        }
        for (DType t : values()) {
            if (c.equals(t.numpyCode)) {
                return t;
            }
        }
        return null;
    }
}
