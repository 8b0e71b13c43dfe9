package dev.latentserve.oip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.latentserve.testing.ApiIntegrationSupport;
import dev.latentserve.testing.Http;
import dev.latentserve.testing.Http.Response;
import dev.latentserve.testing.RawHttp;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

/**
 * The Open Inference Protocol against the whole application: the shipped {@code fashion-vae} and a VQ-VAE and a VQ-VAE-2
 * trained here answer through {@code /v2} with the numbers {@code /v1} answers for the same input, whether the tensors
 * travel as JSON or as binary data; metadata, health, unknown models and bad tensors answer as the protocol says.
 */
class OpenInferenceProtocolIntegrationTests extends ApiIntegrationSupport {

    private static final String VAE = "fashion-vae";
    private static final String VQ = "oip-vq";
    private static final String VQ2 = "oip-vq2";

    @Autowired
    private MeterRegistry meters;

    /** Two 28x28 grey images of seeded noise in [0, 1], on the 1/255 grid so that UINT8 carries them exactly. */
    private final float[][] pixels = new float[2][784];

    @BeforeAll
    void trainCodeModels() throws InterruptedException {
        Random random = new Random(3);
        for (float[] image : pixels) {
            for (int i = 0; i < image.length; i++) {
                image[i] = random.nextInt(256) / 255f;
            }
        }
        if (http.get("/v1/models/" + VQ).status() == 404) {
            trainVqVaeWithPrior(VQ, 1);
            run("""
                    {"type": "train", "model": "%s", "family": "vqvae2", "dataset": "%s", "epochs": 1, "batchSize": 32,
                     "learningRate": 0.002, "architecture": {"hiddenChannels": 16, "residualChannels": 8, "residualBlocks": 1,
                     "topCodes": 8, "topCodeDim": 8, "bottomCodes": 16, "bottomCodeDim": 8}}""".formatted(VQ2, trainId));
            run("""
                    {"type": "fit-prior", "model": "%s@1", "dataset": "%s", "epochs": 1, "batchSize": 32, "learningRate": 0.003,
                     "architecture": {"top": {"channels": 8, "layers": 2, "hidden": 16, "attentionEvery": 1, "heads": 2},
                                      "bottom": {"channels": 8, "layers": 2, "hidden": 16, "conditionChannels": 8}}}"""
                    .formatted(VQ2, trainId));
        }
    }

    @Test
    void healthIsPublicAndServerMetadataNamesTheBinaryExtension() {
        Http anonymous = new Http(port, null);
        Response live = anonymous.get("/v2/health/live");
        assertThat(live.status()).isEqualTo(200);
        assertThat(live.json().get("live").asBoolean()).isTrue();
        Response ready = anonymous.get("/v2/health/ready");
        assertThat(ready.status()).as(ready.text()).isEqualTo(200);
        assertThat(ready.json().get("ready").asBoolean()).isTrue();

        JsonNode server = http.get("/v2").json();
        assertThat(server.get("name").asString()).isEqualTo("latentserve");
        assertThat(server.get("version").asString()).isNotBlank();
        assertThat(server.get("extensions").toString()).contains("\"binary_tensor_data\"");

        // Everything else needs a key, and says so in the protocol's form.
        for (Response refused : List.of(anonymous.get("/v2"), anonymous.get("/v2/models/" + VAE + ".encode"),
                anonymous.postJson("/v2/models/" + VAE + ".encode/infer", "{}"))) {
            assertError(refused, 401, "API key");
        }
        assertError(new Http(port, "not-a-key-of-this-service-0123456789abcdef").get("/v2"), 401, "");
    }

    @Test
    void metadataDescribesEachOperationsTensorsWithMinusOneForTheBatch() {
        JsonNode encode = http.get("/v2/models/" + VAE + ".encode").json();
        assertThat(encode.get("name").asString()).isEqualTo(VAE + ".encode");
        assertThat(encode.get("versions").toString()).isEqualTo("[\"1\"]");
        assertThat(encode.get("platform").asString()).isEqualTo("latentserve_vae");
        assertThat(tensors(encode.get("inputs"))).containsExactly("images FP32 [-1,1,28,28]");
        assertThat(tensors(encode.get("outputs"))).containsExactly("latents FP32 [-1,16]", "mean FP32 [-1,16]",
                "log_variance FP32 [-1,16]");
        assertThat(http.get("/v2/models/" + VAE + ".encode/versions/1").json()).isEqualTo(encode);
        assertThat(tensors(http.get("/v2/models/" + VAE + ".decode").json().get("inputs"))).containsExactly("latents FP32 [-1,16]");
        JsonNode sample = http.get("/v2/models/" + VAE + ".sample").json();
        assertThat(tensors(sample.get("inputs"))).containsExactly("seed INT64 [1]", "count INT32 [1]", "temperature FP32 [1]",
                "topK INT32 [1]");
        assertThat(tensors(sample.get("outputs"))).containsExactly("images FP32 [-1,1,28,28]", "latents FP32 [-1,16]");
        assertThat(tensors(http.get("/v2/models/" + VAE + ".reconstruct").json().get("outputs")))
                .containsExactly("images FP32 [-1,1,28,28]", "mse FP32 [-1]", "negative_elbo FP32 [-1]");

        JsonNode vq = http.get("/v2/models/" + VQ + ".decode").json();
        assertThat(vq.get("versions").toString()).isEqualTo("[\"1\",\"2\"]");
        assertThat(vq.get("platform").asString()).isEqualTo("latentserve_vqvae");
        assertThat(tensors(vq.get("inputs"))).containsExactly("codes INT64 [-1,4,4]");
        assertThat(tensors(http.get("/v2/models/" + VQ + ".encode/versions/1").json().get("outputs")))
                .containsExactly("codes INT64 [-1,4,4]");
        assertThat(tensors(http.get("/v2/models/" + VQ2 + ".decode").json().get("inputs")))
                .containsExactly("top_codes INT64 [-1,2,2]", "bottom_codes INT64 [-1,4,4]");

        assertThat(http.get("/v2/models/" + VAE + ".encode/ready").status()).isEqualTo(200);
        assertThat(http.get("/v2/models/" + VQ + ".sample/versions/2/ready").status()).isEqualTo(200);
        assertError(http.get("/v2/models/" + VQ + ".sample/versions/1/ready"), 400, "fit-prior");
        assertThat(http.get("/v2/models/" + VQ + ".sample/ready").status()).as("the newest version that samples").isEqualTo(200);
    }

    @Test
    void unknownModelsAndVersionsAre404() {
        assertError(http.get("/v2/models/no-such-model.encode"), 404, "no-such-model");
        assertError(http.get("/v2/models/" + VAE), 404, "{name}.encode");
        assertError(http.get("/v2/models/" + VAE + ".score"), 404, "no model '" + VAE + ".score'");
        assertError(http.get("/v2/models/" + VAE + ".encode/versions/9"), 404, "has no version 9");
        assertError(http.get("/v2/models/" + VAE + ".encode/versions/x"), 404, "has no version 'x'");
        assertError(http.get("/v2/models/" + VAE + ".encode/versions/9/ready"), 404, "has no version 9");
        assertError(http.get("/v2/models/Bad%20Name.encode/ready"), 404, "no model");
        assertError(infer(VAE + ".encode", "9", imagesJson("FP32")), 404, "has no version 9");
        assertError(infer("nothing.decode", null, Map.of("inputs", List.of())), 404, "nothing");
        assertError(http.get("/v2/models/" + VAE + ".encode/infer"), 405, "takes POST, not GET");
        assertError(http.get("/v2/models/" + VAE + ".encode/stats"), 404, "no endpoint");
    }

    @Test
    void vaeOperationsAnswerWhatV1AnswersInJsonAndBinary() {
        Timer engine = meters.find("latentserve.inference.engine.time").tags("model", VAE, "operation", "encode").timer();
        long before = engine == null ? 0 : engine.count();
        JsonNode v1 = http.postJson("/v1/models/" + VAE + "/encode", pixelsBody("")).json();
        Outputs json = outputs(infer(VAE + ".encode", null, imagesJson("FP32")));
        assertThat(json.version()).isEqualTo("1");
        assertThat(json.shape("latents")).containsExactly(2, 16);
        for (int i = 0; i < 2; i++) {
            assertClose(json.row("latents", i), floats(v1.get("latents").get(i).get("z")));
            assertClose(json.row("mean", i), floats(v1.get("latents").get(i).get("mean")));
            assertClose(json.row("log_variance", i), floats(v1.get("latents").get(i).get("logVariance")));
        }
        Outputs binary = outputs(inferBinary(VAE + ".encode", "images", "FP32", new int[] {2, 1, 28, 28}, fp32(flat(pixels)),
                Map.of("binary_data_output", true)));
        assertThat(binary.binary()).isTrue();
        assertThat(binary.floats("latents")).containsExactly(json.floats("latents"));
        Outputs uint8 = outputs(inferBinary(VAE + ".encode", "images", "UINT8", new int[] {2, 1, 28, 28}, uint8(flat(pixels)),
                Map.of()));
        assertThat(uint8.binary()).as("JSON unless asked").isFalse();
        assertThat(uint8.floats("mean")).containsExactly(json.floats("mean"));
        assertThat(meters.find("latentserve.inference.engine.time").tags("model", VAE, "operation", "encode").timer().count())
                .as("the same batcher and metrics as /v1").isGreaterThanOrEqualTo(before + 4);

        // Decode what encode answered; the UINT8 form is the PNG's rounding of the FP32 one.
        Map<String, Object> latents = tensor("latents", "FP32", json.shape("latents"), json.floats("latents"));
        Outputs decoded = outputs(infer(VAE + ".decode", null, Map.of("inputs", List.of(latents))));
        JsonNode v1Decoded = http.postJson("/v1/models/" + VAE + "/decode", "{\"latents\": " + v1.get("latents")
                + ", \"includePixels\": true}").json();
        assertThat(decoded.shape("images")).containsExactly(2, 1, 28, 28);
        for (int i = 0; i < 2; i++) {
            assertClose(decoded.row("images", i), floats(v1Decoded.get("images").get(i).get("pixels")));
        }
        Outputs bytes = outputs(infer(VAE + ".decode", null, Map.of("inputs", List.of(latents),
                "outputs", List.of(Map.of("name", "images", "parameters", Map.of("datatype", "UINT8", "binary_data", true))))));
        assertThat(bytes.datatype("images")).isEqualTo("UINT8");
        float[] fp32 = decoded.floats("images");
        long[] levels = bytes.longs("images");
        for (int i = 0; i < fp32.length; i++) {
            assertThat(levels[i]).isEqualTo(Math.round(Math.max(0f, Math.min(1f, fp32[i])) * 255f));
        }

        // Reconstruct: the images, MSE and negative ELBO (seed 0 by default, as /v1), asked for one output only too.
        JsonNode v1Rec = http.postJson("/v1/models/" + VAE + "/reconstruct", pixelsBody(", \"includePixels\": true")).json();
        Outputs rec = outputs(infer(VAE + ".reconstruct", "1", imagesJson("FP32")));
        for (int i = 0; i < 2; i++) {
            JsonNode expected = v1Rec.get("reconstructions").get(i);
            assertClose(rec.row("images", i), floats(expected.get("pixels")));
            assertThat((double) rec.floats("mse")[i]).isCloseTo(expected.get("mse").asDouble(), within(1e-6));
            assertThat((double) rec.floats("negative_elbo")[i]).isCloseTo(expected.get("negativeElbo").asDouble(),
                    within(1e-3 * Math.abs(expected.get("negativeElbo").asDouble())));
        }
        Map<String, Object> onlyMse = new LinkedHashMap<>(imagesJson("FP32"));
        onlyMse.put("outputs", List.of(Map.of("name", "mse")));
        assertThat(outputs(infer(VAE + ".reconstruct", null, onlyMse)).names()).containsExactly("mse");

        // Seeded samples: settings as parameters or as input tensors, the same images and latents as /v1.
        JsonNode v1Sample = http.postJson("/v1/models/" + VAE + "/sample", "{\"count\": 3, \"seed\": 42, \"temperature\": 0.8, "
                + "\"includePixels\": true}").json();
        Outputs byParameters = outputs(infer(VAE + ".sample", null, Map.of("id", "s1", "parameters",
                Map.of("seed", 42, "count", 3, "temperature", 0.8), "inputs", List.of())));
        assertThat(byParameters.root().get("id").asString()).isEqualTo("s1");
        assertThat(byParameters.root().get("parameters").get("seed").asLong()).isEqualTo(42L);
        Outputs byTensors = outputs(infer(VAE + ".sample", null, Map.of("inputs", List.of(
                tensor("seed", "INT64", new int[] {1}, new long[] {42}), tensor("count", "INT32", new int[] {1}, new long[] {3}),
                tensor("temperature", "FP32", new int[] {1}, new float[] {0.8f})))));
        assertThat(byTensors.floats("images")).containsExactly(byParameters.floats("images"));
        for (int i = 0; i < 3; i++) {
            assertClose(byParameters.row("images", i), floats(v1Sample.get("images").get(i).get("pixels")));
            assertClose(byParameters.row("latents", i), floats(v1Sample.get("latents").get(i)));
        }
    }

    @Test
    void codeModelsAnswerWhatV1AnswersInJsonAndBinary() {
        JsonNode v1 = http.postJson("/v1/models/" + VQ + "/encode", pixelsBody16()).json();
        Outputs codes = outputs(infer(VQ + ".encode", null, Map.of("inputs", List.of(tensor("images", "FP32",
                new int[] {2, 1, 16, 16}, flat(pixels16()))))));
        assertThat(codes.version()).isEqualTo("2");
        assertThat(codes.datatype("codes")).isEqualTo("INT64");
        assertThat(codes.shape("codes")).containsExactly(2, 4, 4);
        assertThat(codes.longs("codes")).containsExactly(longs(v1.get("codes")));

        // Decode those codes sent as binary INT32: the pixels /v1 decodes from them.
        long[] grid = codes.longs("codes");
        Outputs decoded = outputs(inferBinary(VQ + ".decode", "codes", "INT32", new int[] {2, 4, 4}, int32(grid),
                Map.of("binary_data_output", true)));
        JsonNode v1Decoded = http.postJson("/v1/models/" + VQ + "/decode", "{\"codes\": " + v1.get("codes")
                + ", \"includePixels\": true}").json();
        for (int i = 0; i < 2; i++) {
            assertClose(decoded.row("images", i), floats(v1Decoded.get("images").get(i).get("pixels")));
        }

        Outputs sampled = outputs(infer(VQ + ".sample", null, Map.of("parameters", Map.of("seed", 11, "count", 3, "topK", 8),
                "inputs", List.of())));
        JsonNode v1Sample = http.postJson("/v1/models/" + VQ + "/sample", "{\"count\": 3, \"seed\": 11, \"topK\": 8, "
                + "\"includePixels\": true}").json();
        assertThat(sampled.longs("codes")).containsExactly(longs(v1Sample.get("codes")));
        assertClose(sampled.row("images", 2), floats(v1Sample.get("images").get(2).get("pixels")));
        assertError(infer(VQ + ".sample", "1", Map.of("parameters", Map.of("count", 1), "inputs", List.of())), 400, "fit-prior");
        assertError(infer(VQ + ".sample", null, Map.of("parameters", Map.of("count", 65), "inputs", List.of())), 400,
                "count must be between 1 and 64");
        assertError(infer(VQ + ".decode", null, Map.of("inputs", List.of(tensor("codes", "INT64", new int[] {1, 4, 4},
                new long[] {0, 99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})))), 400,
                "input 'codes' value 1 is 99, no code of this model: its codebook holds codes 0 to 15");
        // Beyond an int, which a grid holds: refused as a code, not wrapped around into one.
        assertError(infer(VQ2 + ".decode", null, Map.of("inputs", List.of(
                tensor("top_codes", "INT64", new int[] {1, 2, 2}, new long[] {0, 0, 0, (1L << 32) + 1}),
                tensor("bottom_codes", "INT64", new int[] {1, 4, 4}, new long[16])))), 400,
                "input 'top_codes' value 3 is 4294967297, no code of this model: its codebook holds codes 0 to 7");

        // VQ-VAE-2: both levels out of encode, into decode, and out of a seeded sample.
        JsonNode v1Hier = http.postJson("/v1/models/" + VQ2 + "/encode", pixelsBody16()).json();
        Outputs levels = outputs(infer(VQ2 + ".encode", null, Map.of("inputs", List.of(tensor("images", "FP32",
                new int[] {2, 1, 16, 16}, flat(pixels16()))))));
        assertThat(levels.longs("top_codes")).containsExactly(longs(v1Hier.get("codes").get("top")));
        assertThat(levels.longs("bottom_codes")).containsExactly(longs(v1Hier.get("codes").get("bottom")));
        Outputs hierDecoded = outputs(infer(VQ2 + ".decode", null, Map.of("inputs", List.of(
                tensor("top_codes", "INT64", levels.shape("top_codes"), levels.longs("top_codes")),
                tensor("bottom_codes", "INT64", levels.shape("bottom_codes"), levels.longs("bottom_codes"))))));
        JsonNode v1HierDecoded = http.postJson("/v1/models/" + VQ2 + "/decode", "{\"codes\": " + v1Hier.get("codes")
                + ", \"includePixels\": true}").json();
        assertClose(hierDecoded.row("images", 1), floats(v1HierDecoded.get("images").get(1).get("pixels")));
        Outputs hierSample = outputs(infer(VQ2 + ".sample", null, Map.of("parameters", Map.of("seed", 5, "count", 2),
                "inputs", List.of())));
        JsonNode v1HierSample = http.postJson("/v1/models/" + VQ2 + "/sample", "{\"count\": 2, \"seed\": 5}").json();
        assertThat(hierSample.longs("top_codes")).containsExactly(longs(v1HierSample.get("codes").get("top")));
        assertThat(hierSample.longs("bottom_codes")).containsExactly(longs(v1HierSample.get("codes").get("bottom")));
    }

    @Test
    void badTensorsAre400WithTheReason() {
        assertError(post(VAE + ".encode", "{\"inputs\": [", null), 400, "the JSON ends too early");
        // The specification's own example request: its UINT32 and BOOL tensors are datatypes this service does not take.
        assertError(post(VAE + ".encode", """
                {"id": "42", "inputs": [{"name": "input0", "shape": [2, 2], "datatype": "UINT32", "data": [1, 2, 3, 4]},
                                        {"name": "input1", "shape": [3], "datatype": "BOOL", "data": [true]}],
                 "outputs": [{"name": "output0"}]}""", null), 400, "tensor 'input0' has datatype 'UINT32'");
        assertError(infer(VAE + ".encode", null, Map.of("inputs", List.of(tensor("images", "FP32", new int[] {2, 784},
                flat(pixels))))), 400, "input 'images' has shape [2, 784]; model fashion-vae.encode takes [-1, 1, 28, 28]");
        assertError(infer(VAE + ".encode", null, Map.of("inputs", List.of(tensor("images", "INT64", new int[] {2, 1, 28, 28},
                new long[2 * 784])))), 400, "is INT64; model fashion-vae.encode takes it as FP32 or UINT8");
        assertError(infer(VAE + ".encode", null, Map.of("inputs", List.of(tensor("pictures", "FP32", new int[] {2, 1, 28, 28},
                flat(pixels))))), 400, "has no input 'pictures'");
        float[] outOfRange = flat(pixels);
        outOfRange[5] = 1.5f;
        assertError(infer(VAE + ".encode", null, Map.of("inputs", List.of(tensor("images", "FP32", new int[] {2, 1, 28, 28},
                outOfRange)))), 400, "[0, 1]");
        float[] nan = flat(pixels);
        nan[7] = Float.NaN;
        assertError(inferBinary(VAE + ".encode", "images", "FP32", new int[] {2, 1, 28, 28}, fp32(nan), Map.of()), 400,
                "value 7 is NaN");
        // A body cut short, and binary_data_size that disagrees with the shape.
        byte[] full = request("images", "FP32", new int[] {2, 1, 28, 28}, 2 * 784 * 4, fp32(flat(pixels)), Map.of());
        int header = headerLength("images", "FP32", new int[] {2, 1, 28, 28}, 2 * 784 * 4, Map.of());
        assertError(post(VAE + ".encode", java.util.Arrays.copyOf(full, full.length - 100), header), 400, "cut short");
        byte[] wrongSize = request("images", "FP32", new int[] {2, 1, 28, 28}, 784 * 4, fp32(pixels[0]), Map.of());
        assertError(post(VAE + ".encode", wrongSize, headerLength("images", "FP32", new int[] {2, 1, 28, 28}, 784 * 4, Map.of())),
                400, "binary_data_size is 3136 bytes but shape [2, 1, 28, 28] of FP32 takes 1568 x 4 = 6272 bytes");
        assertError(infer(VAE + ".decode", null, Map.of("inputs", List.of(tensor("latents", "FP32", new int[] {1, 16},
                new float[16])), "outputs", List.of(Map.of("name", "codes")))), 400, "has no output 'codes'");
        assertError(infer(VAE + ".sample", null, Map.of("parameters", Map.of("count", 0), "inputs", List.of())), 400,
                "count must be between 1 and");
        assertError(infer(VAE + ".sample", null, Map.of("parameters", Map.of("seed", 1), "inputs", List.of(
                tensor("seed", "INT64", new int[] {1}, new long[] {1})))), 400, "both as an input and as a parameter");
    }

    /**
     * Errors that Tomcat or Spring MVC raise before the protocol's code runs answer in its form too: a body shorter than
     * its Content-Length (written on a socket, as an HTTP client will not send one), a Content-Type that does not parse,
     * an Accept that allows no JSON, a path or method the protocol does not have.
     */
    @Test
    void errorsRaisedAroundTheProtocolAreInItsFormToo() throws IOException {
        String head = "Host: localhost\r\nX-API-Key: " + Http.ADMIN_KEY + "\r\n";
        String infer = "POST /v2/models/" + VAE + ".encode/infer HTTP/1.1\r\n" + head;
        assertRawError(RawHttp.send(port, ascii(infer + "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                + "{\"inputs\": ["), true), 400, "the request body ended before its Content-Length: the connection closed "
                + "before all 1000 bytes it declared arrived");
        // A binary body whose Content-Length counts the JSON header and the tensor's bytes, of which only 100 arrive.
        byte[] full = request("images", "FP32", new int[] {2, 1, 28, 28}, 2 * 784 * 4, fp32(flat(pixels)), Map.of());
        int header = headerLength("images", "FP32", new int[] {2, 1, 28, 28}, 2 * 784 * 4, Map.of());
        ByteArrayOutputStream cut = new ByteArrayOutputStream();
        cut.writeBytes(ascii(infer + "Content-Type: application/octet-stream\r\n" + TensorCodec.HEADER_LENGTH + ": " + header
                + "\r\nContent-Length: " + full.length + "\r\n\r\n"));
        cut.write(full, 0, header + 100);
        assertRawError(RawHttp.send(port, cut.toByteArray(), true), 400, "before all " + full.length + " bytes");

        for (String malformed : List.of("application/json;garbage", "json")) {
            assertError(http.send(HttpRequest.newBuilder(http.uri("/v2/models/" + VAE + ".encode/infer"))
                    .header("Content-Type", malformed).POST(HttpRequest.BodyPublishers.ofString("{}"))), 415,
                    "the Content-Type '" + malformed + "' is malformed");
        }
        assertError(http.get("/v2", "image/png"), 406, "");
        assertError(http.delete("/v2/models/" + VAE + ".encode"), 405, "takes GET, not DELETE");
        assertError(http.postJson("/v2/health/live", "{}"), 405, "takes GET, not POST");
        assertError(http.get("/v2/repository/index"), 404, "no endpoint /v2/repository/index in the Open Inference Protocol");
    }

    /**
     * What a newcomer's first requests get wrong: a body of another type (curl -d's form, text, multipart without a
     * boundary) is 415 naming what infer takes, never decoded; an Accept allowing no answer is 406; JSON that does not
     * parse and a malformed header are said in plain words, without the parsers' own.
     */
    @Test
    void typesAcceptAndSyntaxErrorsAreSaidInPlainWords() {
        String sample = "{\"parameters\": {\"count\": 1}, \"inputs\": []}";
        for (String type : List.of("application/x-www-form-urlencoded", "text/plain", "multipart/form-data")) {
            assertError(postTyped(VAE + ".sample", type, sample, null), 415, "this endpoint does not take Content-Type " + type
                    + "; it takes application/json, application/octet-stream");
        }
        assertThat(postTyped(VAE + ".sample", "application/x-www-form-urlencoded", sample, null).json().get("error").asString())
                .endsWith("(curl -d sends a form unless given -H 'Content-Type: application/json')").doesNotContain("%");
        // No Content-Type at all stays JSON (or binary, by Inference-Header-Content-Length), as KServe's clients send it.
        assertThat(postTyped(VAE + ".sample", null, sample, null).status()).isEqualTo(200);
        assertThat(postTyped(VAE + ".sample", "application/json", sample, "*/*").status()).isEqualTo(200);
        assertError(postTyped(VAE + ".sample", "application/json", sample, "image/png"), 406, "Accept: image/png allows none of "
                + "the types this endpoint answers with: application/json, application/octet-stream");
        assertError(http.get("/v2/models/" + VAE + ".sample", "text/html"), 406, "Accept: text/html allows none of the types");
        assertError(http.get("/v2/models/" + VAE + ".sample", "*/*;q=abc"), 400, "the Accept header '*/*;q=abc' is not a list of "
                + "media ranges (it has a q value that is not a number");
        assertError(postTyped(VAE + ".sample", "application/json; charset=nope", sample, null), 415, "the Content-Type "
                + "'application/json; charset=nope' is malformed (it names an unknown charset 'nope')");

        Map<String, String> syntax = Map.of(
                "{\"inputs\": [}", "(line 1, column 13): unexpected character '}' where a value or the closing ] of the array should be",
                "{\"inputs\": [", "the JSON ends too early (line 1, column 13)",
                "{\"inputs\": [], \"inputs\": []}", "field 'inputs' is given twice; send each field once",
                "{\"parameters\": {\"count\": count}, \"inputs\": []}", "unexpected word 'count'");
        syntax.forEach((body, message) -> {
            Response refused = post(VAE + ".sample", body, null);
            assertError(refused, 400, message);
            assertThat(refused.json().get("error").asString()).doesNotContain("Source", "marker", "Duplicate", "Unrecognized");
        });
        byte[] full = request("images", "FP32", new int[] {2, 1, 28, 28}, 2 * 784 * 4, fp32(flat(pixels)), Map.of());
        int header = headerLength("images", "FP32", new int[] {2, 1, 28, 28}, 2 * 784 * 4, Map.of());
        assertError(post(VAE + ".encode", full, header - 5), 400, "the JSON header ends early, at " + (header - 5) + " bytes, the "
                + "length Inference-Header-Content-Length gives");
        assertError(post(VAE + ".encode", full, -1), 400, "Inference-Header-Content-Length must be a non-negative whole number");
    }

    @Test
    void countBoundsAreEachModelsOwnAndNullTemperaturesAreSaidToBeNull() {
        // An autoregressive prior answers at most max-sync-samples (64) on /v2, too few included; a VAE the batch limit.
        assertError(infer(VQ2 + ".sample", null, Map.of("parameters", Map.of("count", 0), "inputs", List.of())), 400,
                "count must be between 1 and 64 for " + VQ2 + ", not 0");
        assertError(infer(VQ + ".sample", null, Map.of("inputs", List.of(tensor("count", "INT32", new int[] {1},
                new long[] {-2})))), 400, "count must be between 1 and 64 for " + VQ + ", not -2");
        assertError(infer(VAE + ".sample", null, Map.of("parameters", Map.of("count", 0), "inputs", List.of())), 400,
                "count must be between 1 and 256, not 0");
        // The count as sent, never clamped to an int; /v2 has no sample jobs to point to.
        assertError(infer(VAE + ".sample", null, Map.of("parameters", Map.of("count", 2147483648L), "inputs", List.of())), 400,
                "count must be between 1 and 256, not 2147483648");
        Response over = infer(VAE + ".sample", null, Map.of("parameters", Map.of("count", 257), "inputs", List.of()));
        assertError(over, 400, "count must be between 1 and 256, not 257");
        assertThat(over.json().get("error").asString()).doesNotContain("sample job");
        // /v1 draws more than 64 as a sample job, so its bound there is a job's.
        Response none = http.postJson("/v1/models/" + VQ2 + "/sample", "{\"count\": 0}");
        Http.assertProblem(none, 400, "out-of-range");
        assertThat(none.json().get("detail").asString())
                .isEqualTo("count must be between 1 and 10000 (more than 64 are drawn by a sample job), not 0");
        Response nullTemperature = http.postJson("/v1/models/" + VQ2 + "/sample",
                "{\"count\": 1, \"temperatures\": {\"top\": null}}");
        Http.assertProblem(nullTemperature, 400, "out-of-range");
        assertThat(nullTemperature.json().get("detail").asString())
                .startsWith("temperatures.top is null: send a number in (0, ").doesNotContain("NaN");
    }

    @Test
    void numericParametersMayComeAsStringsAndUnknownOnesAreRefused() {
        Outputs asNumbers = outputs(infer(VAE + ".sample", null, Map.of("parameters",
                Map.of("seed", 7, "count", 2, "temperature", 0.5), "inputs", List.of())));
        Outputs asStrings = outputs(infer(VAE + ".sample", null, Map.of("parameters",
                Map.of("seed", "7", "count", "2", "temperature", "0.5"), "inputs", List.of())));
        assertThat(asStrings.shape("images")).containsExactly(2, 1, 28, 28);
        assertThat(asStrings.floats("images")).containsExactly(asNumbers.floats("images"));
        assertError(infer(VAE + ".sample", null, Map.of("parameters", Map.of("count", "two"), "inputs", List.of())), 400,
                "parameter 'count' must be a whole number (or one written as a string, \"2\"), not \"two\"");
        assertError(infer(VAE + ".sample", null, Map.of("parameters", Map.of("temperature", "NaN"), "inputs", List.of())), 400,
                "parameter 'temperature' must be a number (or one written as a string, \"0.8\"), not \"NaN\"");
        assertError(infer(VAE + ".sample", null, Map.of("parameters", Map.of("seed", "99999999999999999999"),
                "inputs", List.of())), 400, "parameter 'seed' is 99999999999999999999, beyond the whole numbers INT64 holds");

        assertError(infer(VAE + ".sample", null, Map.of("parameters", Map.of("cuont", 2), "inputs", List.of())), 400,
                "model " + VAE + ".sample takes no parameter 'cuont'; it takes seed, count, temperature, topK, and the "
                        + "protocol's binary_data_output");
        assertError(infer(VAE + ".encode", null, Map.of("parameters", Map.of("seed", 1), "inputs",
                imagesJson("FP32").get("inputs"))), 400, "takes no parameter 'seed'; it takes none of its own");
        // What tritonclient and KServe's clients send unasked is taken, whatever the model.
        Map<String, Object> standard = new LinkedHashMap<>(imagesJson("FP32"));
        standard.put("parameters", Map.of("priority", 0, "timeout", 1000, "sequence_id", 0, "sequence_start", false,
                "sequence_end", false, "binary_data_output", false));
        assertThat(outputs(infer(VAE + ".reconstruct", null, standard)).names()).contains("mse");
    }

    // ---- requests

    private Response infer(String model, @Nullable String version, Map<String, ?> body) {
        return post(model + (version == null ? "" : "/versions/" + version), Http.JSON.writeValueAsString(body), null);
    }

    private Response inferBinary(String model, String input, String datatype, int[] shape, byte[] data,
            Map<String, Object> parameters) {
        return post(model, request(input, datatype, shape, data.length, data, parameters),
                headerLength(input, datatype, shape, data.length, parameters));
    }

    private Response postTyped(String model, @Nullable String contentType, String body, @Nullable String accept) {
        HttpRequest.Builder request = HttpRequest.newBuilder(http.uri("/v2/models/" + model + "/infer"))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        if (accept != null) {
            request.header("Accept", accept);
        }
        return http.send(request);
    }

    private Response post(String model, String json, @Nullable Integer headerLength) {
        return post(model, json.getBytes(StandardCharsets.UTF_8), headerLength);
    }

    private Response post(String path, byte[] body, @Nullable Integer headerLength) {
        HttpRequest.Builder request = HttpRequest.newBuilder(http.uri("/v2/models/" + path + "/infer"))
                .header("Content-Type", headerLength == null ? "application/json" : "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (headerLength != null) {
            request.header(TensorCodec.HEADER_LENGTH, headerLength.toString());
        }
        return http.send(request);
    }

    private static byte[] header(String input, String datatype, int[] shape, int size, Map<String, Object> parameters) {
        return Http.JSON.writeValueAsBytes(Map.of("parameters", parameters, "inputs", List.of(Map.of("name", input,
                "datatype", datatype, "shape", shape, "parameters", Map.of("binary_data_size", size)))));
    }

    private static int headerLength(String input, String datatype, int[] shape, int size, Map<String, Object> parameters) {
        return header(input, datatype, shape, size, parameters).length;
    }

    private static byte[] request(String input, String datatype, int[] shape, int size, byte[] data, Map<String, Object> parameters) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(header(input, datatype, shape, size, parameters));
        body.writeBytes(data);
        return body.toByteArray();
    }

    private Map<String, Object> imagesJson(String datatype) {
        return Map.of("inputs", List.of(tensor("images", datatype, new int[] {2, 1, 28, 28}, flat(pixels))));
    }

    private static Map<String, Object> tensor(String name, String datatype, int[] shape, Object data) {
        return Map.of("name", name, "datatype", datatype, "shape", shape, "data", data);
    }

    private String pixelsBody(String more) {
        return "{\"pixels\": " + Http.JSON.writeValueAsString(pixels) + more + "}";
    }

    private float[][] pixels16() {
        float[][] small = new float[2][256];
        for (int i = 0; i < 2; i++) {
            small[i] = java.util.Arrays.copyOf(pixels[i], 256);
        }
        return small;
    }

    private String pixelsBody16() {
        return "{\"pixels\": " + Http.JSON.writeValueAsString(pixels16()) + "}";
    }

    private static float[] flat(float[][] rows) {
        float[] flat = new float[rows.length * rows[0].length];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * rows[0].length, rows[0].length);
        }
        return flat;
    }

    private static byte[] fp32(float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            bytes.putFloat(v);
        }
        return bytes.array();
    }

    private static byte[] int32(long[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            bytes.putInt((int) v);
        }
        return bytes.array();
    }

    private static byte[] uint8(float[] values) {
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = (byte) Math.round(values[i] * 255f);
        }
        return bytes;
    }

    // ---- responses

    /** A 200 response's outputs by name, read from JSON data or from the binary part after the JSON header. */
    private record Outputs(JsonNode root, Map<String, JsonNode> meta, Map<String, float[]> floatData, Map<String, long[]> longData,
            boolean binary) {

        String version() {
            return root.get("model_version").asString();
        }

        List<String> names() {
            return List.copyOf(meta.keySet());
        }

        String datatype(String name) {
            return meta.get(name).get("datatype").asString();
        }

        int[] shape(String name) {
            JsonNode shape = meta.get(name).get("shape");
            int[] dims = new int[shape.size()];
            for (int i = 0; i < dims.length; i++) {
                dims[i] = shape.get(i).asInt();
            }
            return dims;
        }

        float[] floats(String name) {
            return floatData.get(name);
        }

        long[] longs(String name) {
            return longData.get(name);
        }

        float[] row(String name, int i) {
            int[] shape = shape(name);
            int n = 1;
            for (int d = 1; d < shape.length; d++) {
                n *= shape[d];
            }
            return java.util.Arrays.copyOfRange(floats(name), i * n, (i + 1) * n);
        }
    }

    private static Outputs outputs(Response response) {
        assertThat(response.status()).as(response.text()).isEqualTo(200);
        String headerLength = response.headers().firstValue(TensorCodec.HEADER_LENGTH).orElse(null);
        byte[] body = response.body();
        int jsonLength = headerLength == null ? body.length : Integer.parseInt(headerLength);
        assertThat(response.contentType()).startsWith(headerLength == null ? "application/json" : "application/octet-stream");
        JsonNode root = Http.JSON.readTree(new String(body, 0, jsonLength, StandardCharsets.UTF_8));
        ByteBuffer tail = ByteBuffer.wrap(body, jsonLength, body.length - jsonLength).order(ByteOrder.LITTLE_ENDIAN);
        Map<String, JsonNode> meta = new LinkedHashMap<>();
        Map<String, float[]> floatData = new LinkedHashMap<>();
        Map<String, long[]> longData = new LinkedHashMap<>();
        for (JsonNode output : root.get("outputs")) {
            String name = output.get("name").asString();
            String datatype = output.get("datatype").asString();
            meta.put(name, output);
            int n = 1;
            for (JsonNode dim : output.get("shape")) {
                n *= dim.asInt();
            }
            boolean isBinary = output.has("parameters") && output.get("parameters").has("binary_data_size");
            if (datatype.equals("FP32")) {
                float[] values = new float[n];
                for (int i = 0; i < n; i++) {
                    values[i] = isBinary ? tail.getFloat() : output.get("data").get(i).floatValue();
                }
                floatData.put(name, values);
            } else {
                long[] values = new long[n];
                for (int i = 0; i < n; i++) {
                    values[i] = !isBinary ? output.get("data").get(i).asLong()
                            : switch (datatype) {
                                case "UINT8" -> tail.get() & 0xFF;
                                case "INT32" -> tail.getInt();
                                default -> tail.getLong();
                            };
                }
                longData.put(name, values);
            }
        }
        assertThat(tail.remaining()).as("binary data beyond the outputs").isZero();
        return new Outputs(root, meta, floatData, longData, headerLength != null);
    }

    private static void assertRawError(RawHttp.Response response, int status, String message) {
        assertThat(response.status()).as(response.toString()).isEqualTo(status);
        assertThat(response.headers().get("content-type")).startsWith("application/json");
        JsonNode error = Http.JSON.readTree(response.body());
        assertThat(error.propertyNames()).containsExactly("error");
        assertThat(error.get("error").asString()).contains(message);
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static void assertError(Response response, int status, String message) {
        assertThat(response.status()).as(response.text()).isEqualTo(status);
        assertThat(response.contentType()).startsWith("application/json");
        JsonNode error = response.json();
        assertThat(error.propertyNames()).containsExactly("error");
        assertThat(error.get("error").asString()).contains(message);
    }

    private static List<String> tensors(JsonNode list) {
        List<String> described = new ArrayList<>();
        list.forEach(t -> described.add(t.get("name").asString() + " " + t.get("datatype").asString() + " " + t.get("shape")));
        return described;
    }

    private static float[] floats(JsonNode array) {
        float[] values = new float[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).floatValue();
        }
        return values;
    }

    /** Codes nested any depth, flat in reading order. */
    private static long[] longs(JsonNode nested) {
        List<Long> values = new ArrayList<>();
        collect(nested, values);
        return values.stream().mapToLong(Long::longValue).toArray();
    }

    private static void collect(JsonNode node, List<Long> into) {
        if (node.isArray()) {
            node.forEach(item -> collect(item, into));
        } else {
            into.add(node.asLong());
        }
    }

    private static void assertClose(float[] actual, float[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < actual.length; i++) {
            assertThat(actual[i]).as("value %d", i).isCloseTo(expected[i], within(1e-6f));
        }
    }
}
