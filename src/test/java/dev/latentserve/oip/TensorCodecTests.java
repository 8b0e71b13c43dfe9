package dev.latentserve.oip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Requests read and responses written in the protocol's JSON form and its binary tensor data extension. */
class TensorCodecTests {

    // As the application configures it: a key given twice is refused.
    private static final JsonMapper JSON = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private final TensorCodec codec = new TensorCodec(JSON);

    @Test
    void jsonTensorsAreReadFlatOrNestedRowMajor() {
        InferRequest flat = read("""
                {"id": "r1", "parameters": {"seed": 7, "temperature": 0.5, "binary_data_output": true, "tag": "x"},
                 "inputs": [{"name": "images", "shape": [2, 3], "datatype": "FP32", "data": [0, 0.25, 0.5, 0.75, 1, 0.125]},
                            {"name": "codes", "shape": [1, 2, 2], "datatype": "INT64", "data": [[[0, 1], [9007199254740993, 3]]]},
                            {"name": "pixels", "shape": [2], "datatype": "UINT8", "data": [0, 255]}],
                 "outputs": [{"name": "images", "parameters": {"binary_data": false, "datatype": "UINT8"}}, {"name": "codes"}]}""");
        assertThat(flat.id()).isEqualTo("r1");
        assertThat(flat.parameters()).containsEntry("seed", 7L).containsEntry("temperature", 0.5)
                .containsEntry("binary_data_output", true).containsEntry("tag", "x");
        Tensor.Floats images = (Tensor.Floats) flat.inputs().get(0);
        assertThat(images.shape()).containsExactly(2, 3);
        assertThat(images.values()).containsExactly(0f, 0.25f, 0.5f, 0.75f, 1f, 0.125f);
        assertThat(images.row(1)).containsExactly(0.75f, 1f, 0.125f);
        Tensor.Integers codes = (Tensor.Integers) flat.inputs().get(1);
        // Above 2^53: read as a long, not through a double.
        assertThat(codes.values()).containsExactly(0L, 1L, 9007199254740993L, 3L);
        assertThat(((Tensor.Integers) flat.inputs().get(2)).values()).containsExactly(0L, 255L);
        assertThat(flat.binaryOutput("images")).as("its own binary_data wins").isFalse();
        assertThat(flat.binaryOutput("codes")).as("the request's binary_data_output").isTrue();
        assertThat(flat.outputDatatype("images")).isEqualTo(Datatype.UINT8);
        assertThat(flat.outputDatatype("codes")).isNull();

        InferRequest nested = read("""
                {"inputs": [{"name": "images", "shape": [2, 3], "datatype": "FP32", "data": [[0, 0.25, 0.5], [0.75, 1, 0.125]]}]}""");
        assertThat(((Tensor.Floats) nested.inputs().getFirst()).values()).containsExactly(images.values());
        assertThat(nested.outputs()).isNull();
        assertThat(nested.binaryOutput("images")).isFalse();
    }

    @Test
    void binaryTensorsFollowTheJsonHeaderInOrderLittleEndian() {
        String header = """
                {"inputs": [{"name": "a", "shape": [1, 2], "datatype": "FP32", "parameters": {"binary_data_size": 8}},
                            {"name": "b", "shape": [2], "datatype": "INT32", "data": [5, -6]},
                            {"name": "c", "shape": [2], "datatype": "INT64", "parameters": {"binary_data_size": 16}},
                            {"name": "d", "shape": [3], "datatype": "UINT8", "parameters": {"binary_data_size": 3}}]}""";
        ByteBuffer tensors = ByteBuffer.allocate(8 + 16 + 3).order(ByteOrder.LITTLE_ENDIAN);
        tensors.putFloat(0.5f).putFloat(-1.25f).putLong(-2L).putLong(1L << 40).put((byte) 0).put((byte) 128).put((byte) 255);
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        InferRequest request = codec.read(concat(json, tensors.array()), Integer.toString(json.length));
        assertThat(((Tensor.Floats) request.inputs().get(0)).values()).containsExactly(0.5f, -1.25f);
        assertThat(((Tensor.Integers) request.inputs().get(1)).values()).containsExactly(5L, -6L);
        assertThat(((Tensor.Integers) request.inputs().get(2)).values()).containsExactly(-2L, 1L << 40);
        assertThat(((Tensor.Integers) request.inputs().get(3)).values()).as("unsigned").containsExactly(0L, 128L, 255L);
        assertThat(request.inputs().get(3).shape()).containsExactly(3);
    }

    @Test
    void int32AndFp32BinaryAreFourBytesEach() {
        byte[] json = "{\"inputs\": [{\"name\": \"x\", \"shape\": [2], \"datatype\": \"INT32\", \"parameters\": {\"binary_data_size\": 8}}]}"
                .getBytes(StandardCharsets.UTF_8);
        byte[] data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(-1).putInt(Integer.MAX_VALUE).array();
        assertThat(((Tensor.Integers) codec.read(concat(json, data), " " + json.length + " ").inputs().getFirst()).values())
                .containsExactly(-1L, (long) Integer.MAX_VALUE);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            not JSON                  | {"inputs": [                                                                          | the JSON ends too early (line 1, column 13): an object or array is not closed
            bracket where a value is  | {"inputs": [}                                                                         | the body is not valid JSON (line 1, column 13): unexpected character '}' where a value
            a bare word               | {"parameters": {"count": count}, "inputs": []}                                        | unexpected word 'count'; a JSON value is a string in double quotes
            nothing                   | ``                                                                                    | the request has no JSON
            not an object             | [1, 2]                                                                                | must be a JSON object
            no inputs                 | {"outputs": []}                                                                       | needs "inputs"
            inputs not a list         | {"inputs": {}}                                                                        | needs "inputs"
            input not an object       | {"inputs": [3]}                                                                       | inputs[0] must be an object
            no name                   | {"inputs": [{"shape": [1], "datatype": "FP32", "data": [1]}]}                         | inputs[0] needs a "name"
            no datatype               | {"inputs": [{"name": "x", "shape": [1], "data": [1]}]}                                | input 'x' needs a "datatype"
            BYTES                     | {"inputs": [{"name": "x", "shape": [1], "datatype": "BYTES", "data": ["a"]}]}         | datatype 'BYTES'; this service takes FP32, UINT8, INT32, INT64
            FP16                      | {"inputs": [{"name": "x", "shape": [1], "datatype": "FP16", "data": [1]}]}            | datatype 'FP16'
            no shape                  | {"inputs": [{"name": "x", "datatype": "FP32", "data": [1]}]}                          | input 'x' needs a "shape"
            negative dimension        | {"inputs": [{"name": "x", "shape": [-1, 2], "datatype": "FP32", "data": [1, 2]}]}     | every dimension must be a whole number
            fractional dimension      | {"inputs": [{"name": "x", "shape": [1.5], "datatype": "FP32", "data": [1]}]}          | every dimension must be a whole number
            huge shape                | {"inputs": [{"name": "x", "shape": [100000, 100000], "datatype": "FP32", "data": [1]}]} | more than
            no data                   | {"inputs": [{"name": "x", "shape": [1], "datatype": "FP32"}]}                         | input 'x' needs "data"
            data not a list           | {"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": 1}]}              | "data" must be a list
            too few values            | {"inputs": [{"name": "x", "shape": [2, 2], "datatype": "FP32", "data": [1, 2, 3]}]}   | has 3 values in "data" but shape [2, 2] takes 4
            too many values           | {"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [[1], [2]]}]}     | has 2 values in "data" but shape [1] takes 1
            string in FP32            | {"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": ["1"]}]}          | value 0 is "1", not a number
            FP32 overflow             | {"inputs": [{"name": "x", "shape": [2], "datatype": "FP32", "data": [0, 1e39]}]}      | value 1 is Infinity
            fraction in INT64         | {"inputs": [{"name": "x", "shape": [1], "datatype": "INT64", "data": [1.5]}]}         | value 0 is 1.5, not a whole number that INT64 holds
            INT64 overflow            | {"inputs": [{"name": "x", "shape": [1], "datatype": "INT64", "data": [9223372036854775808]}]} | not a whole number that INT64 holds
            INT32 overflow            | {"inputs": [{"name": "x", "shape": [1], "datatype": "INT32", "data": [2147483648]}]}  | not a whole number that INT32 holds
            UINT8 over 255            | {"inputs": [{"name": "x", "shape": [2], "datatype": "UINT8", "data": [0, 256]}]}      | value 1 is 256, not a whole number that UINT8 holds
            UINT8 negative            | {"inputs": [{"name": "x", "shape": [1], "datatype": "UINT8", "data": [-1]}]}          | not a whole number that UINT8 holds
            bool in INT32             | {"inputs": [{"name": "x", "shape": [1], "datatype": "INT32", "data": [true]}]}        | value 0 is true
            same name twice           | {"inputs": [{"name": "x", "shape": [1], "datatype": "INT32", "data": [1]}, {"name": "x", "shape": [1], "datatype": "INT32", "data": [1]}]} | input 'x' is given twice
            duplicate key             | {"inputs": [{"name": "x", "name": "y", "shape": [1], "datatype": "INT32", "data": [1]}]} | field 'name' is given twice; send each field once
            duplicate inputs          | {"inputs": [], "inputs": []}                                                          | field 'inputs' is given twice
            binary without header     | {"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "parameters": {"binary_data_size": 4}}]} | no Inference-Header-Content-Length header
            data and binary           | {"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1], "parameters": {"binary_data_size": 4}}]} | has both "data" and parameters.binary_data_size
            parameters not an object  | {"parameters": 3, "inputs": [{"name": "x", "shape": [1], "datatype": "INT32", "data": [1]}]} | the request's parameters must be an object
            parameter value a list    | {"parameters": {"seed": [1]}, "inputs": [{"name": "x", "shape": [1], "datatype": "INT32", "data": [1]}]} | 'seed' must be a boolean, number or string
            id not a string           | {"id": 5, "inputs": [{"name": "x", "shape": [1], "datatype": "INT32", "data": [1]}]}  | id must be a string
            outputs not a list        | {"inputs": [{"name": "x", "shape": [1], "datatype": "INT32", "data": [1]}], "outputs": {}} | "outputs" must be a list
            output without name       | {"inputs": [{"name": "x", "shape": [1], "datatype": "INT32", "data": [1]}], "outputs": [{}]} | outputs[0] must be an object with a "name"
            output asked twice        | {"inputs": [{"name": "x", "shape": [1], "datatype": "INT32", "data": [1]}], "outputs": [{"name": "a"}, {"name": "a"}]} | output 'a' is asked for twice
            binary_data_output a string | {"parameters": {"binary_data_output": "true"}, "inputs": []}                       | parameters.binary_data_output must be true or false, not true
            binary_data not a bool    | {"inputs": [{"name": "x", "shape": [1], "datatype": "INT32", "data": [1]}], "outputs": [{"name": "a", "parameters": {"binary_data": 1}}]} | binary_data must be true or false
            output datatype unknown   | {"inputs": [{"name": "x", "shape": [1], "datatype": "INT32", "data": [1]}], "outputs": [{"name": "a", "parameters": {"datatype": "FP64"}}]} | datatype 'FP64'
            """)
    void everyMalformedJsonRequestIsRefusedSayingWhatIsWrong(String caseName, String body, String message) {
        assertThatThrownBy(() -> read(body)).as(caseName).isInstanceOf(InvalidTensorException.class)
                .hasMessageContaining(message).hasMessageNotContaining("Source").hasMessageNotContaining("marker")
                .satisfies(e -> assertThat(((InvalidTensorException) e).status().value()).isEqualTo(400));
    }

    @Test
    void binaryBodiesThatDisagreeWithTheirHeaderAreRefused() {
        byte[] json = "{\"inputs\": [{\"name\": \"x\", \"shape\": [2], \"datatype\": \"FP32\", \"parameters\": {\"binary_data_size\": 8}}]}"
                .getBytes(StandardCharsets.UTF_8);
        byte[] eight = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1f).putFloat(2f).array();
        String length = Integer.toString(json.length);
        assertThat(((Tensor.Floats) codec.read(concat(json, eight), length).inputs().getFirst()).values()).containsExactly(1f, 2f);

        assertRefused(concat(json, new byte[6]), length, "takes 8 bytes of binary data but only 6 remain in the body: it was cut short");
        assertRefused(concat(json, new byte[10]), length, "2 bytes follow the last tensor's binary data");
        assertRefused(concat(json, eight), Integer.toString(json.length + 100), "the JSON header cannot be longer than the body");
        assertRefused(concat(json, eight), "-1", "Inference-Header-Content-Length must be a non-negative whole number, the JSON "
                + "header's length in bytes, not -1");
        assertRefused(concat(json, eight), "twelve", "must be the JSON header's length in bytes, not 'twelve'");
        assertRefused(concat(json, eight), Integer.toString(json.length - 3), "the JSON header ends early, at " + (json.length - 3)
                + " bytes, the length Inference-Header-Content-Length gives: send the JSON header's full length in bytes");
        byte[] nan = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1f).putFloat(Float.NaN).array();
        assertRefused(concat(json, nan), length, "input 'x' value 1 is NaN");
        byte[] infinite = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(Float.NEGATIVE_INFINITY).putFloat(0).array();
        assertRefused(concat(json, infinite), length, "input 'x' value 0 is -Infinity");

        byte[] wrongSize = "{\"inputs\": [{\"name\": \"x\", \"shape\": [2, 3], \"datatype\": \"INT64\", \"parameters\": {\"binary_data_size\": 24}}]}"
                .getBytes(StandardCharsets.UTF_8);
        assertRefused(concat(wrongSize, new byte[24]), Integer.toString(wrongSize.length),
                "binary_data_size is 24 bytes but shape [2, 3] of INT64 takes 6 x 8 = 48 bytes");
        byte[] negative = "{\"inputs\": [{\"name\": \"x\", \"shape\": [1], \"datatype\": \"UINT8\", \"parameters\": {\"binary_data_size\": -1}}]}"
                .getBytes(StandardCharsets.UTF_8);
        assertRefused(negative, Integer.toString(negative.length), "must be a whole number of bytes, not -1");
        // JSON data beside a binary part that nothing claims.
        byte[] jsonOnly = "{\"inputs\": [{\"name\": \"x\", \"shape\": [1], \"datatype\": \"UINT8\", \"data\": [1]}]}".getBytes(StandardCharsets.UTF_8);
        assertRefused(concat(jsonOnly, new byte[1]), Integer.toString(jsonOnly.length), "1 bytes follow");
    }

    @Test
    void responsesAreJsonOrAJsonHeaderAndBinaryTensors() {
        InferResponse response = new InferResponse("m.sample", "3", "r1", Map.of("seed", 42L), List.of(
                new Tensor.Floats("images", new int[] {1, 2}, new float[] {0.1f, 1f}),
                new Tensor.Integers("codes", Datatype.INT64, new int[] {1, 2}, new long[] {7, -1}),
                new Tensor.Integers("bytes", Datatype.UINT8, new int[] {2}, new long[] {0, 255}),
                new Tensor.Integers("ints", Datatype.INT32, new int[] {1}, new long[] {-5})));
        TensorCodec.Encoded json = codec.write(response, Set.of());
        assertThat(json.headerLength()).isNull();
        JsonNode root = JSON.readTree(json.body());
        assertThat(root.get("model_name").asString()).isEqualTo("m.sample");
        assertThat(root.get("model_version").asString()).isEqualTo("3");
        assertThat(root.get("id").asString()).isEqualTo("r1");
        assertThat(root.get("parameters").get("seed").asLong()).isEqualTo(42L);
        JsonNode images = root.get("outputs").get(0);
        assertThat(images.get("datatype").asString()).isEqualTo("FP32");
        assertThat(images.get("shape").toString()).isEqualTo("[1,2]");
        assertThat(images.get("data").get(0).floatValue()).isEqualTo(0.1f);
        assertThat(root.get("outputs").get(1).get("data").toString()).isEqualTo("[7,-1]");

        TensorCodec.Encoded binary = codec.write(response, Set.of("images", "codes", "bytes", "ints"));
        int headerLength = binary.headerLength();
        JsonNode header = JSON.readTree(new String(binary.body(), 0, headerLength, StandardCharsets.UTF_8));
        assertThat(header.get("outputs").get(0).has("data")).isFalse();
        assertThat(header.get("outputs").get(0).get("parameters").get("binary_data_size").asInt()).isEqualTo(8);
        assertThat(header.get("outputs").get(1).get("parameters").get("binary_data_size").asInt()).isEqualTo(16);
        assertThat(header.get("outputs").get(2).get("parameters").get("binary_data_size").asInt()).isEqualTo(2);
        assertThat(header.get("outputs").get(3).get("parameters").get("binary_data_size").asInt()).isEqualTo(4);
        ByteBuffer tail = ByteBuffer.wrap(binary.body(), headerLength, binary.body().length - headerLength).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(tail.remaining()).isEqualTo(8 + 16 + 2 + 4);
        assertThat(tail.getFloat()).isEqualTo(0.1f);
        assertThat(tail.getFloat()).isEqualTo(1f);
        assertThat(tail.getLong()).isEqualTo(7L);
        assertThat(tail.getLong()).isEqualTo(-1L);
        assertThat(tail.get() & 0xFF).isEqualTo(0);
        assertThat(tail.get() & 0xFF).isEqualTo(255);
        assertThat(tail.getInt()).isEqualTo(-5);

        TensorCodec.Encoded some = codec.write(response, Set.of("codes"));
        JsonNode mixed = JSON.readTree(new String(some.body(), 0, some.headerLength(), StandardCharsets.UTF_8));
        assertThat(mixed.get("outputs").get(0).has("data")).isTrue();
        assertThat(some.body().length - some.headerLength()).isEqualTo(16);
    }

    private InferRequest read(String json) {
        return codec.read(json.getBytes(StandardCharsets.UTF_8), null);
    }

    private void assertRefused(byte[] body, @Nullable String headerLength, String message) {
        assertThatThrownBy(() -> codec.read(body, headerLength)).isInstanceOf(InvalidTensorException.class)
                .hasMessageContaining(message);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(a);
        out.writeBytes(b);
        return out.toByteArray();
    }
}
