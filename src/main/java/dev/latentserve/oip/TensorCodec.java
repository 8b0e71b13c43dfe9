package dev.latentserve.oip;

import dev.latentserve.api.JsonProblems;
import dev.latentserve.oip.InferRequest.RequestedOutput;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.UnexpectedEndOfInputException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads inference requests and writes responses in the protocol's JSON form and its binary tensor data extension: a
 * JSON header of {@code Inference-Header-Content-Length} bytes followed by each binary tensor's raw little-endian,
 * row-major, unpadded bytes in the order of the tensors that declare {@code parameters.binary_data_size}. Every way a
 * body can be wrong (not JSON, a missing field, a datatype not taken, data that does not fill the shape, a value out of
 * its type's range, a non-finite float, binary sizes that disagree with the shape or with the body) is an
 * {@link InvalidTensorException} naming the tensor and what to send.
 */
final class TensorCodec {

    /** Request and response header, the byte length of the JSON part of a body with binary tensors. */
    static final String HEADER_LENGTH = "Inference-Header-Content-Length";
    static final String BINARY_DATA_SIZE = "binary_data_size";
    static final String BINARY_DATA = "binary_data";
    /** Elements in one tensor at most: keeps shape products (and their byte sizes) far from overflowing. */
    static final int MAX_ELEMENTS = Integer.MAX_VALUE / 16;

    private final JsonMapper json;

    TensorCodec(JsonMapper json) {
        this.json = json;
    }

    /**
     * A request body read.
     *
     * @param headerLength the {@value #HEADER_LENGTH} header as sent, null when absent (the whole body is JSON)
     * @throws InvalidTensorException for anything wrong with the body
     */
    InferRequest read(byte[] body, @Nullable String headerLength) {
        int jsonLength = jsonLength(body, headerLength);
        if (jsonLength == 0) {
            throw new InvalidTensorException("the request has no JSON: send an object with \"inputs\": [...]");
        }
        JsonNode root;
        try {
            root = json.readTree(new String(body, 0, jsonLength, StandardCharsets.UTF_8));
        } catch (UnexpectedEndOfInputException e) {
            throw new InvalidTensorException(headerLength == null ? JsonProblems.describe(e) : "the JSON header ends early, at "
                    + jsonLength + " bytes, the length " + HEADER_LENGTH + " gives: send the JSON header's full length in bytes");
        } catch (JacksonException e) {
            throw new InvalidTensorException((headerLength == null ? "" : "the JSON header: ") + JsonProblems.describe(e));
        }
        if (root == null || !root.isObject()) {
            throw new InvalidTensorException("the request must be a JSON object with \"inputs\": [...]");
        }
        Map<String, Object> parameters = parameters(root.get("parameters"), "the request's parameters");
        Object binaryOutput = parameters.get(InferRequest.BINARY_DATA_OUTPUT);
        if (binaryOutput != null && !(binaryOutput instanceof Boolean)) {
            throw new InvalidTensorException("parameters." + InferRequest.BINARY_DATA_OUTPUT + " must be true or false, not "
                    + binaryOutput);
        }
        JsonNode inputs = root.get("inputs");
        // Empty only where every input is optional (sample, its settings given as parameters); Signature checks that.
        if (inputs == null || !inputs.isArray()) {
            throw new InvalidTensorException("the request needs \"inputs\": a list of tensors "
                    + "{\"name\", \"shape\", \"datatype\", \"data\"}");
        }
        Binary binary = new Binary(body, jsonLength, headerLength != null);
        List<Tensor> tensors = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < inputs.size(); i++) {
            Tensor tensor = input(inputs.get(i), i, binary);
            if (!names.add(tensor.name())) {
                throw new InvalidTensorException("input '" + tensor.name() + "' is given twice");
            }
            tensors.add(tensor);
        }
        binary.checkConsumed();
        return new InferRequest(id(root.get("id")), parameters, tensors, outputs(root.get("outputs")));
    }

    private static int jsonLength(byte[] body, @Nullable String headerLength) {
        if (headerLength == null) {
            return body.length;
        }
        long length;
        try {
            length = Long.parseLong(headerLength.trim());
        } catch (NumberFormatException e) {
            throw new InvalidTensorException(HEADER_LENGTH + " must be the JSON header's length in bytes, not '" + headerLength + "'");
        }
        if (length < 0) {
            throw new InvalidTensorException(HEADER_LENGTH + " must be a non-negative whole number, the JSON header's length in "
                    + "bytes, not " + length);
        }
        if (length > body.length) {
            throw new InvalidTensorException(HEADER_LENGTH + " is " + length + " but the body has " + body.length
                    + " bytes: the JSON header cannot be longer than the body (was it cut short?)");
        }
        return (int) length;
    }

    private static @Nullable String id(@Nullable JsonNode id) {
        if (id == null || id.isNull()) {
            return null;
        }
        if (!id.isString()) {
            throw new InvalidTensorException("the request's id must be a string, not " + id);
        }
        return id.stringValue();
    }

    /** A {@code parameters} object's values as Boolean, Long, Double or String. */
    private static Map<String, Object> parameters(@Nullable JsonNode node, String what) {
        Map<String, Object> parameters = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return parameters;
        }
        if (!node.isObject()) {
            throw new InvalidTensorException(what + " must be an object, not " + node);
        }
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
            JsonNode value = entry.getValue();
            Object parsed = value.isBoolean() ? (Object) value.booleanValue()
                    : value.isIntegralNumber() && value.canConvertToLong() ? (Object) value.longValue()
                    : value.isNumber() ? (Object) value.doubleValue()
                    : value.isString() ? value.stringValue() : null;
            if (parsed == null) {
                throw new InvalidTensorException(what + ": '" + entry.getKey() + "' must be a boolean, number or string, not "
                        + value);
            }
            parameters.put(entry.getKey(), parsed);
        }
        return parameters;
    }

    private Tensor input(JsonNode node, int index, Binary binary) {
        if (!node.isObject()) {
            throw new InvalidTensorException("inputs[" + index + "] must be an object {\"name\", \"shape\", \"datatype\", \"data\"}");
        }
        JsonNode nameNode = node.get("name");
        if (nameNode == null || !nameNode.isString() || nameNode.stringValue().isEmpty()) {
            throw new InvalidTensorException("inputs[" + index + "] needs a \"name\"");
        }
        String name = nameNode.stringValue();
        JsonNode datatype = node.get("datatype");
        if (datatype == null || !datatype.isString()) {
            throw new InvalidTensorException("input '" + name + "' needs a \"datatype\" (FP32, UINT8, INT32 or INT64)");
        }
        Datatype type = Datatype.parse(datatype.stringValue(), name);
        int[] shape = shape(node.get("shape"), name);
        int elements = elements(shape, name);
        Map<String, Object> parameters = parameters(node.get("parameters"), "input '" + name + "' parameters");
        Object binarySize = parameters.get(BINARY_DATA_SIZE);
        JsonNode data = node.get("data");
        if (binarySize != null) {
            if (data != null) {
                throw new InvalidTensorException("input '" + name + "' has both \"data\" and parameters." + BINARY_DATA_SIZE
                        + ": send its values one way");
            }
            if (!(binarySize instanceof Long size) || size < 0) {
                throw new InvalidTensorException("input '" + name + "': parameters." + BINARY_DATA_SIZE
                        + " must be a whole number of bytes, not " + binarySize);
            }
            long expected = (long) elements * type.bytes();
            if (size != expected) {
                throw new InvalidTensorException("input '" + name + "': parameters." + BINARY_DATA_SIZE + " is " + size
                        + " bytes but shape " + Tensor.describe(shape) + " of " + type + " takes " + elements + " x "
                        + type.bytes() + " = " + expected + " bytes");
            }
            return fromBinary(name, type, shape, binary.next(name, (int) expected));
        }
        if (data == null) {
            throw new InvalidTensorException("input '" + name + "' needs \"data\" (or parameters." + BINARY_DATA_SIZE
                    + " with the binary tensor data extension)");
        }
        List<JsonNode> values = new ArrayList<>();
        flatten(data, values, name, 0);
        if (values.size() != elements) {
            throw new InvalidTensorException("input '" + name + "' has " + values.size() + " values in \"data\" but shape "
                    + Tensor.describe(shape) + " takes " + elements);
        }
        return fromJson(name, type, shape, values);
    }

    private static int[] shape(@Nullable JsonNode node, String name) {
        if (node == null || !node.isArray()) {
            throw new InvalidTensorException("input '" + name + "' needs a \"shape\": a list of dimensions such as [1, 3]");
        }
        int[] shape = new int[node.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode dim = node.get(i);
            if (!dim.isIntegralNumber() || !dim.canConvertToInt() || dim.intValue() < 0) {
                throw new InvalidTensorException("input '" + name + "' has shape " + node + ": every dimension must be a "
                        + "whole number from 0 to " + Integer.MAX_VALUE);
            }
            shape[i] = dim.intValue();
        }
        return shape;
    }

    /** The product of {@code shape}. */
    private static int elements(int[] shape, String name) {
        long product = 1;
        for (int dim : shape) {
            product *= dim;
            if (product > MAX_ELEMENTS) {
                throw new InvalidTensorException("input '" + name + "' has shape " + Tensor.describe(shape) + ": more than "
                        + MAX_ELEMENTS + " elements");
            }
        }
        return (int) product;
    }

    /** The numbers of {@code data}, flat row-major or nested, in reading order. */
    private static void flatten(JsonNode data, List<JsonNode> into, String name, int depth) {
        if (data.isArray()) {
            if (depth > 32) {
                throw new InvalidTensorException("input '" + name + "': \"data\" is nested more than 32 deep");
            }
            for (JsonNode item : data) {
                flatten(item, into, name, depth + 1);
                if (into.size() > MAX_ELEMENTS) {
                    throw new InvalidTensorException("input '" + name + "' has more than " + MAX_ELEMENTS + " values");
                }
            }
        } else if (depth == 0) {
            throw new InvalidTensorException("input '" + name + "': \"data\" must be a list of numbers (flat or nested)");
        } else {
            into.add(data);
        }
    }

    private static Tensor fromJson(String name, Datatype type, int[] shape, List<JsonNode> values) {
        if (type == Datatype.FP32) {
            float[] floats = new float[values.size()];
            for (int i = 0; i < floats.length; i++) {
                JsonNode value = values.get(i);
                if (!value.isNumber()) {
                    throw new InvalidTensorException("input '" + name + "' value " + i + " is " + value + ", not a number");
                }
                floats[i] = finite(name, i, (float) value.doubleValue());
            }
            return new Tensor.Floats(name, shape, floats);
        }
        long[] longs = new long[values.size()];
        for (int i = 0; i < longs.length; i++) {
            JsonNode value = values.get(i);
            if (!value.isIntegralNumber() || !value.canConvertToLong() || !type.holds(value.longValue())) {
                throw new InvalidTensorException("input '" + name + "' value " + i + " is " + value + ", not a whole number "
                        + "that " + type + " holds");
            }
            longs[i] = value.longValue();
        }
        return new Tensor.Integers(name, type, shape, longs);
    }

    private static Tensor fromBinary(String name, Datatype type, int[] shape, ByteBuffer bytes) {
        int n = bytes.remaining() / type.bytes();
        if (type == Datatype.FP32) {
            float[] floats = new float[n];
            for (int i = 0; i < n; i++) {
                floats[i] = finite(name, i, bytes.getFloat());
            }
            return new Tensor.Floats(name, shape, floats);
        }
        long[] longs = new long[n];
        for (int i = 0; i < n; i++) {
            longs[i] = switch (type) {
                case UINT8 -> bytes.get() & 0xFF;
                case INT32 -> bytes.getInt();
                default -> bytes.getLong();
            };
        }
        return new Tensor.Integers(name, type, shape, longs);
    }

    private static float finite(String name, int index, float value) {
        if (!Float.isFinite(value)) {
            throw new InvalidTensorException("input '" + name + "' value " + index + " is " + value
                    + " (NaN, infinite or outside FP32's range); every value must be a finite number");
        }
        return value;
    }

    private static @Nullable List<RequestedOutput> outputs(@Nullable JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isArray()) {
            throw new InvalidTensorException("\"outputs\" must be a list of {\"name\", \"parameters\"}");
        }
        List<RequestedOutput> outputs = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode output = node.get(i);
            JsonNode name = output.get("name");
            if (!output.isObject() || name == null || !name.isString()) {
                throw new InvalidTensorException("outputs[" + i + "] must be an object with a \"name\"");
            }
            if (!names.add(name.stringValue())) {
                throw new InvalidTensorException("output '" + name.stringValue() + "' is asked for twice");
            }
            Map<String, Object> parameters = parameters(output.get("parameters"), "output '" + name.stringValue() + "' parameters");
            Object binary = parameters.get(BINARY_DATA);
            if (binary != null && !(binary instanceof Boolean)) {
                throw new InvalidTensorException("output '" + name.stringValue() + "': parameters." + BINARY_DATA
                        + " must be true or false, not " + binary);
            }
            Object datatype = parameters.get("datatype");
            if (datatype != null && !(datatype instanceof String)) {
                throw new InvalidTensorException("output '" + name.stringValue() + "': parameters.datatype must be a string");
            }
            outputs.add(new RequestedOutput(name.stringValue(), (Boolean) binary,
                    datatype == null ? null : Datatype.parse((String) datatype, name.stringValue())));
        }
        return outputs;
    }

    /**
     * A response body.
     *
     * @param binaryOutputs the outputs written as binary data after the JSON header
     */
    Encoded write(InferResponse response, Set<String> binaryOutputs) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("model_name", response.modelName());
        root.put("model_version", response.modelVersion());
        if (response.id() != null) {
            root.put("id", response.id());
        }
        if (!response.parameters().isEmpty()) {
            root.put("parameters", response.parameters());
        }
        List<Map<String, Object>> outputs = new ArrayList<>();
        List<Tensor> binary = new ArrayList<>();
        for (Tensor tensor : response.outputs()) {
            Map<String, Object> output = new LinkedHashMap<>();
            output.put("name", tensor.name());
            output.put("datatype", tensor.datatype().name());
            output.put("shape", tensor.shape());
            if (binaryOutputs.contains(tensor.name())) {
                output.put("parameters", Map.of(BINARY_DATA_SIZE, (long) tensor.size() * tensor.datatype().bytes()));
                binary.add(tensor);
            } else {
                output.put("data", switch (tensor) {
                    case Tensor.Floats floats -> floats.values();
                    case Tensor.Integers integers -> integers.values();
                });
            }
            outputs.add(output);
        }
        root.put("outputs", outputs);
        byte[] header = json.writeValueAsBytes(root);
        if (binary.isEmpty()) {
            return new Encoded(header, null);
        }
        long total = header.length;
        for (Tensor tensor : binary) {
            total += (long) tensor.size() * tensor.datatype().bytes();
        }
        ByteBuffer body = ByteBuffer.allocate(Math.toIntExact(total)).order(ByteOrder.LITTLE_ENDIAN);
        body.put(header);
        for (Tensor tensor : binary) {
            switch (tensor) {
                case Tensor.Floats floats -> {
                    for (float v : floats.values()) {
                        body.putFloat(v);
                    }
                }
                case Tensor.Integers integers -> {
                    for (long v : integers.values()) {
                        switch (integers.datatype()) {
                            case UINT8 -> body.put((byte) v);
                            case INT32 -> body.putInt((int) v);
                            default -> body.putLong(v);
                        }
                    }
                }
            }
        }
        return new Encoded(body.array(), header.length);
    }

    /**
     * A written body.
     *
     * @param headerLength the JSON header's length when binary tensors follow it, else null (the body is JSON)
     */
    record Encoded(byte[] body, @Nullable Integer headerLength) {
    }

    /** The binary part of a request body, handed out tensor by tensor in order. */
    private static final class Binary {

        private final byte[] body;
        private final boolean declared;
        private int offset;

        Binary(byte[] body, int start, boolean declared) {
            this.body = body;
            this.offset = start;
            this.declared = declared;
        }

        ByteBuffer next(String name, int bytes) {
            if (!declared) {
                throw new InvalidTensorException("input '" + name + "' has parameters." + BINARY_DATA_SIZE + " but the request has "
                        + "no " + HEADER_LENGTH + " header saying where the JSON ends and the binary data starts");
            }
            if (bytes > body.length - offset) {
                throw new InvalidTensorException("input '" + name + "' takes " + bytes + " bytes of binary data but only "
                        + (body.length - offset) + " remain in the body: it was cut short, or a binary_data_size or "
                        + HEADER_LENGTH + " is wrong");
            }
            ByteBuffer slice = ByteBuffer.wrap(body, offset, bytes).slice().order(ByteOrder.LITTLE_ENDIAN);
            offset += bytes;
            return slice;
        }

        void checkConsumed() {
            if (offset != body.length) {
                throw new InvalidTensorException((body.length - offset) + " bytes follow the last tensor's binary data: the "
                        + "inputs' binary_data_size values and " + HEADER_LENGTH + " must add up to the body's length");
            }
        }
    }
}
