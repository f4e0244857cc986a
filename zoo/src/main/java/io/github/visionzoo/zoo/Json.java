package io.github.visionzoo.zoo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.jsontype.NamedType;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * JSON for visionzoo's own values (model specs, training recipes): strict, so a misspelt field is an error that names
 * it instead of a silently ignored default. A {@link ModelSpec}'s {@code "family"} is the tag of a family that
 * {@link Zoo} registers, so specs go through this mapper.
 */
public final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

    static {
        Zoo.families().forEach(f -> MAPPER.registerSubtypes(new NamedType(f.specType(), f.tag())));
    }

    private static final Pattern NON_STANDARD = Pattern.compile("Non-standard token '([^']*)'");

    private Json() {
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value + " as JSON", e);
        }
    }

    /**
     * Reads {@code json} as a {@code type}; {@code source} names where it came from in the error message.
     *
     * @throws IllegalArgumentException naming the source, the field and what would fix it
     */
    public static <T> T read(String json, Class<T> type, String source) {
        try {
            return MAPPER.readValue(json, type);
        } catch (UnrecognizedPropertyException e) {
            throw new IllegalArgumentException(source + ": unknown field '" + e.getPropertyName() + "'; known fields: "
                    + e.getKnownPropertyIds(), e);
        } catch (InvalidTypeIdException e) {
            throw new IllegalArgumentException(source + ": " + firstLine(e.getOriginalMessage()), e);
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IllegalArgumentException(source + ": " + cause.getMessage(), e);
        } catch (JsonProcessingException e) {
            String at = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")";
            throw new IllegalArgumentException(source + ": " + describe(e) + at, e);
        }
    }

    /** Jackson's message, with the field it concerns where Jackson knows it. */
    private static String describe(JsonProcessingException e) {
        String message = firstLine(e.getOriginalMessage());
        Matcher nonStandard = NON_STANDARD.matcher(message);
        if (nonStandard.lookingAt()) {
            // Jackson advises enabling a parser feature; it is the file that needs fixing
            return "a bare " + nonStandard.group(1) + " is not valid JSON (JSON has no NaN or Infinity); write a"
                    + " number";
        }
        if (!(e instanceof JsonMappingException m) || m.getPath().isEmpty()) {
            return message;
        }
        String field = m.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining("."));
        // a record's primitive field that the JSON leaves out arrives as null
        return message.startsWith("Cannot map `null`") ? "field '" + field + "' is missing or null"
                : "field '" + field + "': " + message;
    }

    public static <T> T read(Path file, Class<T> type) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return read(text, type, file.toString());
    }

    private static String firstLine(String message) {
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
