package io.github.visionzoo.zoo.weights;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The part of Python's pickle protocol (0 to 4, as PyTorch writes protocol 2) that a state dict needs, read without
 * executing anything: values become Java objects, and the few callables a state dict uses are Java functions here.
 *
 * <p>Allowed globals: {@code collections.OrderedDict}, {@code torch._utils._rebuild_tensor_v2} (and the older
 * {@code _rebuild_tensor}), {@code torch._utils._rebuild_parameter} (and {@code _with_state}), and the
 * {@code torch.*Storage} types as values inside persistent ids. Any other global (a {@code GLOBAL} or
 * {@code STACK_GLOBAL} naming, say, {@code os.system} or a model class) stops the read with a
 * {@link WeightFileException} naming it, before anything could call it; so do the object-building opcodes
 * ({@code INST}, {@code OBJ}, {@code NEWOBJ}, extension codes) that no state dict uses.
 *
 * <p>Python values map to: {@code None} {@link #NONE}, bool {@code Boolean}, int {@code Long} or {@code BigInteger},
 * float {@code Double}, str {@code String}, bytes {@code byte[]}, tuple {@link Tuple}, list {@code ArrayList}, dict
 * and OrderedDict {@code LinkedHashMap}, a tensor {@link StoredTensor}.
 */
final class SafePickle {
    /** Python's {@code None}. */
    static final Object NONE = new Object() {
        @Override
        public String toString() {
            return "None";
        }
    };
    private static final Object MARK = new Object();

    /** A Python tuple. */
    record Tuple(List<Object> items) {
        Tuple {
            items = Collections.unmodifiableList(new ArrayList<>(items));
        }

        Object get(int i) {
            return items.get(i);
        }

        int size() {
            return items.size();
        }
    }

    /** An allowed global, {@code module.name}. */
    record Global(String module, String name) {
        String qualified() {
            return module + "." + name;
        }

        @Override
        public String toString() {
            return qualified();
        }
    }

    /** A storage that a persistent id resolved to: its element type and bytes. */
    record StorageRef(DType dtype, ByteOrder order, StoredTensor.Storage storage) {
    }

    /** Resolves a persistent id (PyTorch's {@code ('storage', type, key, location, numel, ...)}) to a storage. */
    @FunctionalInterface
    interface PersistentLoader {
        StorageRef load(Object pid);
    }

    private static final Set<String> CALLABLES = Set.of(
            "collections.OrderedDict",
            "torch._utils._rebuild_tensor_v2",
            "torch._utils._rebuild_tensor",
            "torch._utils._rebuild_parameter",
            "torch._utils._rebuild_parameter_with_state");

    private final ByteBuffer in;
    private final String source;
    private final PersistentLoader loader;
    private final List<Object> stack = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();

    /**
     * @param in     the pickle, read from its position on; left just after the {@code STOP} opcode
     * @param source the file, for error messages
     * @param loader resolves persistent ids; {@code null} refuses them
     */
    SafePickle(ByteBuffer in, String source, PersistentLoader loader) {
        this.in = in.order(ByteOrder.LITTLE_ENDIAN);
        this.source = source;
        this.loader = loader;
    }

    /** Reads one pickle up to its {@code STOP} and returns its value. */
    Object load() {
        try {
            while (true) {
                int at = in.position();
                int op = in.get() & 0xff;
                switch (op) {
                    case 0x80 -> { // PROTO
                        int version = in.get() & 0xff;
                        if (version > 5) {
                            throw error("pickle protocol " + version + " is not supported (PyTorch writes 2)");
                        }
                    }
                    case 0x95 -> in.getLong(); // FRAME: a length hint
                    case '.' -> { // STOP
                        Object value = pop();
                        if (!stack.isEmpty()) {
                            throw error("the pickle ends with " + stack.size() + " values left on its stack");
                        }
                        return value;
                    }
                    case '(' -> push(MARK);
                    case '0' -> pop();
                    case '1' -> popMark();
                    case '2' -> push(peek());
                    case 'N' -> push(NONE);
                    case 0x88 -> push(Boolean.TRUE);
                    case 0x89 -> push(Boolean.FALSE);
                    case 'J' -> push((long) in.getInt());
                    case 'K' -> push((long) (in.get() & 0xff));
                    case 'M' -> push((long) (in.getShort() & 0xffff));
                    case 0x8a -> push(littleEndianInt(bytes(in.get() & 0xff)));
                    case 0x8b -> push(littleEndianInt(bytes(length(in.getInt()))));
                    case 'I' -> push(textInt(line()));
                    case 'L' -> push(textLong(line()));
                    case 'G' -> push(ByteBuffer.wrap(bytes(8)).order(ByteOrder.BIG_ENDIAN).getDouble());
                    case 'F' -> push(Double.parseDouble(line()));
                    case 'X' -> push(utf8(bytes(length(in.getInt()))));
                    case 0x8c -> push(utf8(bytes(in.get() & 0xff)));
                    case 0x8d -> push(utf8(bytes(length(in.getLong()))));
                    case 'T' -> push(latin1(bytes(length(in.getInt()))));
                    case 'U' -> push(latin1(bytes(in.get() & 0xff)));
                    case 'B' -> push(bytes(length(in.getInt())));
                    case 'C' -> push(bytes(in.get() & 0xff));
                    case 0x8e -> push(bytes(length(in.getLong())));
                    case ')' -> push(new Tuple(List.of()));
                    case 't' -> push(new Tuple(popMark()));
                    case 0x85 -> push(new Tuple(List.of(pop())));
                    case 0x86 -> {
                        Object b = pop();
                        Object a = pop();
                        push(new Tuple(List.of(a, b)));
                    }
                    case 0x87 -> {
                        Object c = pop();
                        Object b = pop();
                        Object a = pop();
                        push(new Tuple(List.of(a, b, c)));
                    }
                    case ']' -> push(new ArrayList<>());
                    case 'l' -> push(new ArrayList<>(popMark()));
                    case 'a' -> {
                        Object v = pop();
                        list(peek()).add(v);
                    }
                    case 'e' -> {
                        List<Object> items = popMark();
                        list(peek()).addAll(items);
                    }
                    case '}' -> push(new LinkedHashMap<>());
                    case 'd' -> {
                        Map<Object, Object> d = new LinkedHashMap<>();
                        putAll(d, popMark());
                        push(d);
                    }
                    case 's' -> {
                        Object v = pop();
                        Object k = pop();
                        dict(peek()).put(k, v);
                    }
                    case 'u' -> {
                        List<Object> items = popMark();
                        putAll(dict(peek()), items);
                    }
                    case 'q' -> memo.put((long) (in.get() & 0xff), peek());
                    case 'r' -> memo.put(in.getInt() & 0xffffffffL, peek());
                    case 0x94 -> memo.put((long) memo.size(), peek());
                    case 'p' -> memo.put(Long.parseLong(line().trim()), peek());
                    case 'h' -> push(memoGet(in.get() & 0xff));
                    case 'j' -> push(memoGet(in.getInt() & 0xffffffffL));
                    case 'g' -> push(memoGet(Long.parseLong(line().trim())));
                    case 'c' -> {
                        String module = line();
                        String name = line();
                        push(global(module, name));
                    }
                    case 0x93 -> {
                        Object name = pop();
                        Object module = pop();
                        if (!(module instanceof String m) || !(name instanceof String n)) {
                            throw error("STACK_GLOBAL needs two strings, got " + module + " and " + name);
                        }
                        push(global(m, n));
                    }
                    case 'R' -> {
                        Object args = pop();
                        Object callable = pop();
                        push(call(callable, args));
                    }
                    case 'b' -> {
                        pop(); // the state: OrderedDict's attributes, such as a state dict's _metadata
                        Object target = peek();
                        if (!(target instanceof Map)) {
                            throw error("BUILD on " + describe(target) + ": only a dict's attributes are accepted");
                        }
                    }
                    case 'Q' -> {
                        Object pid = pop();
                        if (loader == null) {
                            throw error("a persistent id " + pid + " where none is expected");
                        }
                        push(loader.load(pid));
                    }
                    case 'i', 'o', 0x81, 0x92 -> throw error("the pickle builds an arbitrary object (opcode "
                            + opName(op) + "); a state dict never does, so it is refused and nothing is executed");
                    default -> throw error("unsupported pickle opcode " + opName(op) + " at byte " + at);
                }
            }
        } catch (java.nio.BufferUnderflowException | IndexOutOfBoundsException e) {
            throw error("the pickle is truncated or corrupt (" + e + ")");
        }
    }

    private Object global(String module, String name) {
        String q = module + "." + name;
        if (CALLABLES.contains(q)) {
            return new Global(module, name);
        }
        if (module.equals("torch") && name.endsWith("Storage") && DType.fromTorchStorage(name) != null) {
            return new Global(module, name);
        }
        throw new WeightFileException(source + ": refusing to unpickle: it names the global '" + q + "', which a "
                + "PyTorch state dict never needs, so nothing in the file was executed. Only "
                + "collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter and "
                + "torch.*Storage types are allowed. If the file holds a whole pickled model, save its "
                + "model.state_dict() instead.");
    }

    private Object call(Object callable, Object args) {
        if (!(callable instanceof Global g) || !CALLABLES.contains(g.qualified())) {
            throw error("refusing to call " + describe(callable) + ": it is not one of the allowed functions");
        }
        if (!(args instanceof Tuple t)) {
            throw error(g + " is called with " + describe(args) + " instead of a tuple of arguments");
        }
        switch (g.qualified()) {
            case "collections.OrderedDict" -> {
                Map<Object, Object> d = new LinkedHashMap<>();
                if (t.size() == 1 && t.get(0) instanceof List<?> pairs) {
                    for (Object p : pairs) {
                        if (!(p instanceof Tuple kv) || kv.size() != 2) {
                            throw error("OrderedDict is given " + describe(p) + " instead of a (key, value) pair");
                        }
                        d.put(kv.get(0), kv.get(1));
                    }
                } else if (t.size() != 0) {
                    throw error("OrderedDict is called with " + t.size() + " arguments");
                }
                return d;
            }
            case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor" -> {
                if (t.size() < 4) {
                    throw error(g + " is called with " + t.size() + " arguments, needs at least 4");
                }
                if (!(t.get(0) instanceof StorageRef ref)) {
                    throw error(g + " is given " + describe(t.get(0)) + " instead of a storage");
                }
                long offset = asLong(t.get(1), "storage offset");
                long[] size = longs(t.get(2), "size");
                long[] stride = longs(t.get(3), "stride");
                if (size.length != stride.length) {
                    throw error("a tensor has size " + t.get(2) + " but stride " + t.get(3));
                }
                return new StoredTensor(ref.dtype(), size, stride, offset, ref.order(), ref.storage());
            }
            default -> { // _rebuild_parameter(data, requires_grad, backward_hooks[, state])
                if (t.size() < 1 || !(t.get(0) instanceof StoredTensor tensor)) {
                    throw error(g + " is not given a tensor");
                }
                return tensor;
            }
        }
    }

    private long[] longs(Object o, String what) {
        if (!(o instanceof Tuple t)) {
            throw error("a tensor's " + what + " is " + describe(o) + " instead of a tuple of ints");
        }
        long[] out = new long[t.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = asLong(t.get(i), what);
        }
        return out;
    }

    private long asLong(Object o, String what) {
        if (o instanceof Long l) {
            return l;
        }
        throw error("a tensor's " + what + " is " + describe(o) + " instead of an int");
    }

    private void putAll(Map<Object, Object> d, List<Object> items) {
        if (items.size() % 2 != 0) {
            throw error("a dict is given an odd number of keys and values");
        }
        for (int i = 0; i < items.size(); i += 2) {
            d.put(items.get(i), items.get(i + 1));
        }
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o) {
        if (o instanceof List<?> l && !(o instanceof Tuple)) {
            return (List<Object>) l;
        }
        throw error("APPEND to " + describe(o) + ", not a list");
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(Object o) {
        if (o instanceof Map<?, ?> m) {
            return (Map<Object, Object>) m;
        }
        throw error("SETITEM on " + describe(o) + ", not a dict");
    }

    private Object memoGet(long key) {
        Object v = memo.get(key);
        if (v == null) {
            throw error("the pickle refers to memo entry " + key + ", which it never stored");
        }
        return v;
    }

    private void push(Object o) {
        stack.add(o);
    }

    private Object pop() {
        if (stack.isEmpty()) {
            throw error("the pickle pops from an empty stack");
        }
        Object o = stack.remove(stack.size() - 1);
        if (o == MARK) {
            throw error("the pickle pops a MARK as a value");
        }
        return o;
    }

    private Object peek() {
        if (stack.isEmpty() || stack.get(stack.size() - 1) == MARK) {
            throw error("the pickle reads a value from an empty stack");
        }
        return stack.get(stack.size() - 1);
    }

    private List<Object> popMark() {
        int i = stack.size() - 1;
        while (i >= 0 && stack.get(i) != MARK) {
            i--;
        }
        if (i < 0) {
            throw error("the pickle has no MARK where one is needed");
        }
        List<Object> items = new ArrayList<>(stack.subList(i + 1, stack.size()));
        stack.subList(i, stack.size()).clear();
        return items;
    }

    private int length(long n) {
        if (n < 0 || n > in.remaining()) {
            throw error("a length of " + n + " bytes runs past the end of the pickle");
        }
        return (int) n;
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[length(n)];
        in.get(b);
        return b;
    }

    private String line() {
        StringBuilder sb = new StringBuilder();
        while (true) {
            byte b = in.get();
            if (b == '\n') {
                return sb.toString();
            }
            if (sb.length() > 1000) {
                throw error("a text line in the pickle is longer than 1000 bytes");
            }
            sb.append((char) (b & 0xff));
        }
    }

    private static Object littleEndianInt(byte[] b) {
        if (b.length == 0) {
            return 0L;
        }
        byte[] big = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            big[i] = b[b.length - 1 - i];
        }
        BigInteger v = new BigInteger(big);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private Object textInt(String s) {
        if (s.equals("01")) {
            return Boolean.TRUE;
        }
        if (s.equals("00")) {
            return Boolean.FALSE;
        }
        return textLong(s);
    }

    private Object textLong(String s) {
        String t = s.endsWith("L") ? s.substring(0, s.length() - 1) : s;
        try {
            BigInteger v = new BigInteger(t.trim());
            return v.bitLength() < 64 ? (Object) v.longValue() : v;
        } catch (NumberFormatException e) {
            throw error("'" + s + "' is not an integer");
        }
    }

    private static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static String latin1(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    private static String opName(int op) {
        return op >= 0x20 && op < 0x7f ? String.format("'%c' (0x%02x)", (char) op, op) : String.format("0x%02x", op);
    }

    static String describe(Object o) {
        if (o == null) {
            return "nothing";
        }
        if (o instanceof String s) {
            return "the string '" + s + "'";
        }
        String text = o.getClass().getSimpleName() + " " + o;
        return text.length() > 100 ? text.substring(0, 100) + "..." : text;
    }

    private WeightFileException error(String message) {
        return new WeightFileException(source + ": " + message);
    }
}
