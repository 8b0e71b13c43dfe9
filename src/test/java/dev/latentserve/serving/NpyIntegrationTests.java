package dev.latentserve.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import dev.latentserve.npy.NpyArray;
import dev.latentserve.npy.NpyWriter;
import dev.latentserve.npy.Npz;
import dev.latentserve.testing.ApiIntegrationSupport;
import dev.latentserve.testing.Http.Response;
import dev.latentserve.testing.SyntheticImages;
import dev.latentserve.testing.TestFiles;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;

/**
 * NumPy arrays in and out of /encode, /decode, /reconstruct and /sample: the same numbers as the JSON answers for the
 * shipped fashion-vae, the context's small VAE and a small VQ-VAE and VQ-VAE-2 trained here; every bad array a 4xx
 * problem; and arrays written by NumPy itself, where python3 with numpy is installed.
 */
class NpyIntegrationTests extends ApiIntegrationSupport {

    private static final String VQ = "npy-vq";
    private static final String HIER = "npy-hier";
    private static final ImageShape FASHION = new ImageShape(1, 28, 28);
    private static final int N = 3;

    private float[][] images;

    @BeforeAll
    void trainSmallVqModels() throws InterruptedException {
        images = testImages.images(0, N);
        run("""
                {"type": "train", "model": "%s", "family": "vqvae", "dataset": "%s", "epochs": 1, "batchSize": 32,
                 "learningRate": 0.002, "architecture": {"hiddenChannels": 16, "residualChannels": 8, "residualBlocks": 1,
                 "downsamplings": 1, "codes": 16, "codeDim": 8}}""".formatted(VQ, trainId));
        run("""
                {"type": "train", "model": "%s", "family": "vqvae2", "dataset": "%s", "epochs": 1, "batchSize": 32,
                 "learningRate": 0.002, "architecture": {"hiddenChannels": 16, "residualChannels": 8, "residualBlocks": 1,
                 "topCodes": 8, "topCodeDim": 8, "bottomCodes": 16, "bottomCodeDim": 8}}""".formatted(HIER, trainId));
    }

    @Test
    void encodeAnswersTheJsonPosteriorAsNpyAndNpz() {
        JsonNode json = http.postJson("/v1/models/" + MODEL + "/encode", pixelsJson(images)).json().get("latents");
        Response npz = post("/v1/models/" + MODEL + "/encode", "application/x-npy", nchw(images), "application/x-npz");
        assertThat(npz.status()).as(npz.text()).isEqualTo(200);
        assertThat(npz.contentType()).isEqualTo("application/x-npz");
        Map<String, NpyArray> arrays = Npz.read(npz.body(), 8, 1 << 20);
        assertThat(arrays.keySet()).containsExactlyInAnyOrder("z", "mean", "logvar");
        assertThat(arrays.get("mean").shape()).containsExactly(N, 4);
        assertSameFloats(arrays.get("mean"), json, "mean");
        assertSameFloats(arrays.get("logvar"), json, "logVariance");
        assertSameFloats(arrays.get("z"), json, "z");
        // One array: z, which is the mean unless drawn; the same under the zip type and from channels-last or 3-d input.
        Response npy = post("/v1/models/" + MODEL + "/encode", "application/x-npy", nhwc(images), "application/x-npy");
        assertThat(npy.contentType()).isEqualTo("application/x-npy");
        assertSameFloats(NpyArray.read(npy.body()), json, "mean");
        Response zip = post("/v1/models/" + MODEL + "/encode", "application/x-npy", NpyWriter.float32(new long[] {N, 16, 16},
                flat(images)), "application/zip;q=0.9, application/json;q=0.1");
        assertThat(zip.contentType()).isEqualTo("application/zip");
        assertSameFloats(Npz.read(zip.body(), 8, 1 << 20).get("z"), json, "z");
    }

    @Test
    void uint8ArraysAreReadAsPngImagesAre() {
        byte[] bytes = new byte[N * SHAPE.size()];
        String[] pngs = new String[N];
        for (int n = 0; n < N; n++) {
            for (int i = 0; i < SHAPE.size(); i++) {
                bytes[n * SHAPE.size() + i] = (byte) Math.round(images[n][i] * 255);
            }
            byte[] one = java.util.Arrays.copyOfRange(bytes, n * SHAPE.size(), (n + 1) * SHAPE.size());
            pngs[n] = "\"" + Base64.getEncoder().encodeToString(TestFiles.png(ImageData.ofBytes(SHAPE, one), 0)) + "\"";
        }
        JsonNode json = http.postJson("/v1/models/" + MODEL + "/encode", "{\"images\": [" + String.join(",", pngs) + "]}")
                .json().get("latents");
        Response npy = post("/v1/models/" + MODEL + "/encode", "application/x-npy",
                NpyWriter.uint8(new long[] {N, 1, 16, 16}, bytes), "application/x-npy");
        assertSameFloats(NpyArray.read(npy.body()), json, "mean");
    }

    @Test
    void decodeReconstructAndSeededSampleAnswerTheJsonPixels() {
        float[] z = {0.5f, -1f, 0.25f, 2f, 0f, 0f, 0f, 0f};
        String latentsJson = "{\"latents\": [[0.5, -1, 0.25, 2], [0, 0, 0, 0]], \"includePixels\": true}";
        JsonNode decoded = http.postJson("/v1/models/" + MODEL + "/decode", latentsJson).json().get("images");
        Response npy = post("/v1/models/" + MODEL + "/decode?dtype=float32", "application/x-npy",
                NpyWriter.float32(new long[] {2, 4}, z), "application/x-npy");
        assertThat(npy.status()).as(npy.text()).isEqualTo(200);
        NpyArray pixels = NpyArray.read(npy.body());
        assertThat(pixels.shape()).containsExactly(2, 1, 16, 16);
        assertSamePixels(pixels, decoded);
        // uint8 (the default): as PNG rounds.
        NpyArray bytes = NpyArray.read(post("/v1/models/" + MODEL + "/decode", "application/x-npy",
                NpyWriter.float32(new long[] {2, 4}, z), "application/x-npy").body());
        assertThat(bytes.dtype().name()).isEqualTo("uint8");
        for (int i = 0; i < 2 * SHAPE.size(); i++) {
            assertThat(bytes.integerAt(i)).isEqualTo(Math.round((float) pixels.doubleAt(i) * 255f));
        }
        // float64 latents decode alike.
        double[] wide = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            wide[i] = z[i];
        }
        NpyArray fromDoubles = NpyArray.read(post("/v1/models/" + MODEL + "/decode?dtype=float32", "application/x-npy",
                TestFiles.npy("<f8", "2, 4", doubles(wide)), "application/x-npy").body());
        assertSamePixels(fromDoubles, decoded);

        JsonNode reconstructed = http.postJson("/v1/models/" + MODEL + "/reconstruct", pixelsJson(images)
                .replace("}", ", \"includePixels\": true, \"seed\": 3}")).json().get("reconstructions");
        NpyArray npyReconstructed = NpyArray.read(post("/v1/models/" + MODEL + "/reconstruct?dtype=float32&seed=3",
                "application/x-npy", nchw(images), "application/x-npy").body());
        assertSamePixels(npyReconstructed, reconstructed);

        JsonNode sampled = http.postJson("/v1/models/fashion-vae/sample",
                "{\"count\": 4, \"seed\": 42, \"includePixels\": true}").json().get("images");
        Response samples = http.send(HttpRequest.newBuilder(http.uri("/v1/models/fashion-vae/sample?dtype=float32"))
                .header("Content-Type", "application/json").header("Accept", "application/x-npy")
                .POST(HttpRequest.BodyPublishers.ofString("{\"count\": 4, \"seed\": 42}")));
        NpyArray sampledNpy = NpyArray.read(samples.body());
        assertThat(sampledNpy.shape()).containsExactly(4, 1, 28, 28);
        assertSamePixels(sampledNpy, sampled);
    }

    @Test
    void fashionVaeEncodesTheSameFromNpyAsFromJson() {
        float[][] fashion = SyntheticImages.blobs(FASHION, N, 7).images(0, N);
        JsonNode json = http.postJson("/v1/models/fashion-vae/encode", pixelsJson(fashion)).json().get("latents");
        NpyArray npy = NpyArray.read(post("/v1/models/fashion-vae/encode", "application/x-npy",
                NpyWriter.float32(new long[] {N, 1, 28, 28}, flat(fashion)), "application/x-npy").body());
        assertSameFloats(npy, json, "mean");
    }

    @Test
    void vqVaeCodesGoOutAsInt32AndComeBackInAnyIntegerType() {
        JsonNode json = http.postJson("/v1/models/" + VQ + "/encode", pixelsJson(images)).json();
        JsonNode codes = json.get("codes");
        NpyArray npy = NpyArray.read(post("/v1/models/" + VQ + "/encode", "application/x-npy", nchw(images),
                "application/x-npy").body());
        assertThat(npy.dtype().name()).isEqualTo("int32");
        assertThat(npy.shape()).containsExactly(N, 8, 8);
        assertSameCodes(npy, codes);
        JsonNode decoded = http.postJson("/v1/models/" + VQ + "/decode", "{\"codes\": " + codes + ", \"includePixels\": true}")
                .json().get("images");
        long[] wide = new long[N * 64];
        for (int i = 0; i < wide.length; i++) {
            wide[i] = npy.integerAt(i);
        }
        NpyArray fromInt64 = NpyArray.read(post("/v1/models/" + VQ + "/decode?dtype=float32", "application/x-npy",
                TestFiles.npy("<i8", "3, 8, 8", longs(wide)), "application/x-npy").body());
        assertSamePixels(fromInt64, decoded);
        // Codes and unquantised vectors are two arrays: an npz, and npy is not offered.
        Response both = post("/v1/models/" + VQ + "/encode?includeVectors=true", "application/x-npy", nchw(images),
                "application/x-npz");
        assertThat(Npz.read(both.body(), 8, 1 << 20).keySet()).containsExactly("codes", "vectors");
        assertProblem(post("/v1/models/" + VQ + "/encode?includeVectors=true", "application/x-npy", nchw(images),
                "application/x-npy"), 406, "not-acceptable");
    }

    @Test
    void vqVae2CodesTravelAsAnNpzOfBothLevels() {
        JsonNode codes = http.postJson("/v1/models/" + HIER + "/encode", pixelsJson(images)).json().get("codes");
        Response npz = post("/v1/models/" + HIER + "/encode", "application/x-npy", nchw(images), "application/x-npz");
        Map<String, NpyArray> levels = Npz.read(npz.body(), 8, 1 << 20);
        assertThat(levels.keySet()).containsExactly("top", "bottom");
        assertSameCodes(levels.get("top"), codes.get("top"));
        assertSameCodes(levels.get("bottom"), codes.get("bottom"));
        JsonNode decoded = http.postJson("/v1/models/" + HIER + "/decode", "{\"codes\": " + codes + ", \"includePixels\": true}")
                .json().get("images");
        for (String type : List.of("application/x-npz", "application/zip")) {
            Response back = post("/v1/models/" + HIER + "/decode?dtype=float32", type, npz.body(), "application/x-npy");
            assertThat(back.status()).as(back.text()).isEqualTo(200);
            assertSamePixels(NpyArray.read(back.body()), decoded);
        }
        assertProblem(post("/v1/models/" + HIER + "/encode", "application/x-npy", nchw(images), "application/x-npy"),
                406, "not-acceptable");
        assertProblem(post("/v1/models/" + HIER + "/decode", "application/x-npy",
                NpyWriter.int32(new long[] {1, 2, 2}, new int[4]), "application/x-npy"), 422, "invalid-latent");
        Map<String, byte[]> oneLevel = new LinkedHashMap<>();
        oneLevel.put("top", NpyWriter.int32(new long[] {1, 2, 2}, new int[4]));
        assertProblem(post("/v1/models/" + HIER + "/decode", "application/x-npz", NpyWriter.npz(oneLevel), "application/x-npy"),
                422, "invalid-latent");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "not npy             | encode      | 400 | invalid-npy",
            "complex64           | encode      | 422 | unsupported-npy-dtype",
            "object              | encode      | 422 | unsupported-npy-dtype",
            "big-endian float32  | encode      | 422 | unsupported-npy-dtype",
            "int32 images        | reconstruct | 422 | unsupported-npy-dtype",
            "rank 2 images       | encode      | 422 | image-shape-mismatch",
            "3 channels          | reconstruct | 422 | image-shape-mismatch",
            "other size          | encode      | 422 | image-shape-mismatch",
            "truncated data      | encode      | 400 | invalid-npy",
            "trailing bytes      | encode      | 400 | invalid-npy",
            "bad header          | encode      | 400 | invalid-npy",
            "NaN pixel           | encode      | 422 | invalid-image",
            "pixel above one     | reconstruct | 422 | invalid-image",
            "no images           | encode      | 400 | out-of-range",
            "too many images     | encode      | 400 | out-of-range",
            "infinite latent     | decode      | 422 | invalid-latent",
            "wrong latent length | decode      | 422 | invalid-latent",
            "int latents         | decode      | 422 | unsupported-npy-dtype",
            "npz to a VAE        | decode      | 422 | invalid-latent",
            "not a zip           | decode      | 400 | invalid-npy",
            "bogus dtype param   | decode      | 400 | out-of-range"})
    void badArraysAreProblems(String what, String operation, int status, String type) {
        String contentType = "application/x-npy";
        String query = "";
        byte[] body = switch (what) {
            case "not npy" -> "hello".getBytes();
            case "complex64" -> TestFiles.npy("<c8", "1, 1, 16, 16", new byte[8 * 256]);
            case "object" -> TestFiles.npy("|O", "1,", new byte[8]);
            case "big-endian float32" -> TestFiles.npy(">f4", "1, 1, 16, 16", new byte[4 * 256]);
            case "int32 images" -> TestFiles.npy("<i4", "1, 1, 16, 16", new byte[4 * 256]);
            case "rank 2 images" -> NpyWriter.float32(new long[] {1, 256}, new float[256]);
            case "3 channels" -> NpyWriter.float32(new long[] {1, 3, 16, 16}, new float[768]);
            case "other size" -> NpyWriter.float32(new long[] {1, 1, 16, 15}, new float[240]);
            case "truncated data" -> java.util.Arrays.copyOf(NpyWriter.float32(new long[] {1, 1, 16, 16}, new float[256]), 500);
            case "trailing bytes" -> java.util.Arrays.copyOf(NpyWriter.float32(new long[] {1, 1, 16, 16}, new float[256]), 1200);
            case "bad header" -> TestFiles.npy("<f4", "1, 1, x, 16", new byte[1024]);
            case "NaN pixel" -> NpyWriter.float32(new long[] {1, 1, 16, 16}, withValue(Float.NaN));
            case "pixel above one" -> NpyWriter.float32(new long[] {1, 16, 16}, withValue(1.5f));
            case "no images" -> NpyWriter.float32(new long[] {0, 1, 16, 16}, new float[0]);
            case "too many images" -> NpyWriter.uint8(new long[] {1000, 1, 16, 16}, new byte[256_000]);
            case "infinite latent" -> NpyWriter.float32(new long[] {1, 4}, new float[] {0, Float.POSITIVE_INFINITY, 0, 0});
            case "wrong latent length" -> NpyWriter.float32(new long[] {1, 5}, new float[5]);
            case "int latents" -> NpyWriter.int32(new long[] {1, 4}, new int[4]);
            case "npz to a VAE" -> {
                contentType = "application/x-npz";
                yield NpyWriter.npz(Map.of("z", NpyWriter.float32(new long[] {1, 4}, new float[4])));
            }
            case "not a zip" -> {
                contentType = "application/zip";
                yield "not a zip at all".getBytes();
            }
            case "bogus dtype param" -> {
                query = "?dtype=float16";
                yield NpyWriter.float32(new long[] {1, 4}, new float[4]);
            }
            default -> throw new IllegalArgumentException(what);
        };
        Response response = post("/v1/models/" + MODEL + "/" + operation + query, contentType, body, "application/x-npy");
        assertProblem(response, status, type);
        assertThat(response.json().get("detail").asString()).isNotBlank();
    }

    @Test
    void outOfRangeCodesUnsupportedTypesAndUnacceptableAnswersAreProblems() {
        assertProblem(post("/v1/models/" + VQ + "/decode", "application/x-npy",
                NpyWriter.int32(new long[] {1, 8, 8}, filled(64, 99)), "application/x-npy"), 422, "invalid-latent");
        assertProblem(post("/v1/models/" + VQ + "/decode", "application/x-npy",
                TestFiles.npy("<i8", "1, 8, 8", longs(filledLong(64, 1L << 40))), "application/x-npy"), 422, "invalid-latent");
        // Over latentserve.security.max-request-bytes (16 MB): refused before it is read, as any body.
        Response big = post("/v1/models/" + MODEL + "/encode", "application/x-npy",
                NpyWriter.uint8(new long[] {70_000, 1, 16, 16}, new byte[70_000 * 256]), "application/x-npy");
        assertProblem(big, 413, "content-too-large");
        Response text = post("/v1/models/" + MODEL + "/encode", "text/plain", "1 2 3".getBytes(), "application/json");
        assertThat(text.status()).isEqualTo(415);
        // A parameter without a value, which Spring's parsing would skip: refused as malformed, not read as npy.
        Response garbage = post("/v1/models/" + MODEL + "/encode", "application/x-npy;garbage",
                NpyWriter.uint8(new long[] {1, 1, 16, 16}, new byte[256]), "application/json");
        assertProblem(garbage, 415, "unsupported-media-type");
        assertThat(garbage.json().get("detail").asString()).startsWith("the Content-Type 'application/x-npy;garbage' is "
                + "malformed (parameter 'garbage' has no value: parameters are name=value); it takes application/json, "
                + "application/x-npy, multipart/form-data");
        assertThat(post("/v1/models/" + MODEL + "/encode", "application/x-npy; version=1;",
                NpyWriter.uint8(new long[] {1, 1, 16, 16}, new byte[256]), "application/json").status())
                .as("well-formed parameters, an empty one among them").isEqualTo(200);
        assertProblem(post("/v1/models/" + MODEL + "/decode", "application/x-npy",
                NpyWriter.float32(new long[] {1, 4}, new float[4]), "text/html"), 406, "not-acceptable");
    }

    @Test
    void arraysWrittenByNumpyAreRead() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "no /usr/bin/python3");
        Path dir = Files.createTempDirectory("npy-python");
        Process check = new ProcessBuilder("/usr/bin/python3", "-c", "import numpy").redirectErrorStream(true).start();
        assumeTrue(check.waitFor(60, TimeUnit.SECONDS) && check.exitValue() == 0, "python3 has no numpy");
        StringBuilder pixels = new StringBuilder();
        for (float v : flat(images)) {
            pixels.append(v).append(',');
        }
        // Fortran order, channels-last and a version-2 header: what numpy does with these is the reference.
        String script = """
                import numpy as np
                x = np.array([%s], dtype=np.float32).reshape(%d, 16, 16, 1)
                np.save('%s/images.npy', np.asfortranarray(x))
                with open('%s/v2.npy', 'wb') as f:
                    np.lib.format.write_array(f, x.reshape(%d, 1, 16, 16), version=(2, 0))
                np.savez('%s/codes.npz', top=np.zeros((1, 2, 2), np.int16), bottom=np.ones((1, 4, 4), np.uint8))
                """.formatted(pixels, N, dir, dir, N, dir);
        Process python = new ProcessBuilder("/usr/bin/python3", "-c", script).redirectErrorStream(true).start();
        assertThat(python.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(python.exitValue()).as(new String(python.getInputStream().readAllBytes())).isZero();
        JsonNode json = http.postJson("/v1/models/" + MODEL + "/encode", pixelsJson(images)).json().get("latents");
        for (String file : List.of("images.npy", "v2.npy")) {
            Response encoded = post("/v1/models/" + MODEL + "/encode", "application/x-npy", Files.readAllBytes(dir.resolve(file)),
                    "application/x-npy");
            assertThat(encoded.status()).as(encoded.text()).isEqualTo(200);
            assertSameFloats(NpyArray.read(encoded.body()), json, "mean");
        }
        JsonNode decoded = http.postJson("/v1/models/" + HIER + "/decode", """
                {"codes": {"top": [[[0, 0], [0, 0]]], "bottom": [[[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]]]},
                 "includePixels": true}""").json().get("images");
        Response fromNumpy = post("/v1/models/" + HIER + "/decode?dtype=float32", "application/x-npz",
                Files.readAllBytes(dir.resolve("codes.npz")), "application/x-npy");
        assertThat(fromNumpy.status()).as(fromNumpy.text()).isEqualTo(200);
        assertSamePixels(NpyArray.read(fromNumpy.body()), decoded);
    }

    private Response post(String path, String contentType, byte[] body, String accept) {
        return http.send(HttpRequest.newBuilder(http.uri(path)).header("Content-Type", contentType).header("Accept", accept)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    private static String pixelsJson(float[][] images) {
        StringBuilder json = new StringBuilder("{\"pixels\": [");
        for (int n = 0; n < images.length; n++) {
            json.append(n == 0 ? "[" : ", [");
            for (int i = 0; i < images[n].length; i++) {
                json.append(i == 0 ? "" : ",").append(images[n][i]);
            }
            json.append(']');
        }
        return json.append("]}").toString();
    }

    private static float[] flat(float[][] images) {
        float[] all = new float[images.length * images[0].length];
        for (int n = 0; n < images.length; n++) {
            System.arraycopy(images[n], 0, all, n * images[n].length, images[n].length);
        }
        return all;
    }

    private static byte[] nchw(float[][] images) {
        return NpyWriter.float32(new long[] {images.length, 1, 16, 16}, flat(images));
    }

    private static byte[] nhwc(float[][] images) {
        return NpyWriter.float32(new long[] {images.length, 16, 16, 1}, flat(images));
    }

    private static float[] withValue(float value) {
        float[] pixels = new float[256];
        pixels[17] = value;
        return pixels;
    }

    private static int[] filled(int length, int value) {
        int[] values = new int[length];
        java.util.Arrays.fill(values, value);
        return values;
    }

    private static long[] filledLong(int length, long value) {
        long[] values = new long[length];
        java.util.Arrays.fill(values, value);
        return values;
    }

    private static byte[] doubles(double[] values) {
        java.nio.ByteBuffer data = java.nio.ByteBuffer.allocate(8 * values.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        data.asDoubleBuffer().put(values);
        return data.array();
    }

    private static byte[] longs(long[] values) {
        java.nio.ByteBuffer data = java.nio.ByteBuffer.allocate(8 * values.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        data.asLongBuffer().put(values);
        return data.array();
    }

    /** The array (N, D) holds, row by row, each JSON posterior's {@code field}. */
    private static void assertSameFloats(NpyArray array, JsonNode posteriors, String field) {
        assertThat(array.shape()[0]).isEqualTo(posteriors.size());
        int length = posteriors.get(0).get(field).size();
        for (int n = 0; n < posteriors.size(); n++) {
            for (int i = 0; i < length; i++) {
                assertThat((float) array.doubleAt((long) n * length + i)).as("%s[%d][%d]", field, n, i)
                        .isEqualTo((float) posteriors.get(n).get(field).get(i).asDouble());
            }
        }
    }

    /** The array (N, C, H, W) holds each JSON image's {@code pixels}. */
    private static void assertSamePixels(NpyArray array, JsonNode images) {
        assertThat(array.shape()[0]).isEqualTo(images.size());
        int size = images.get(0).get("pixels").size();
        for (int n = 0; n < images.size(); n++) {
            for (int i = 0; i < size; i++) {
                assertThat((float) array.doubleAt((long) n * size + i)).as("image %d pixel %d", n, i)
                        .isEqualTo((float) images.get(n).get("pixels").get(i).asDouble());
            }
        }
    }

    /** The array (N, h, w) holds the JSON grids. */
    private static void assertSameCodes(NpyArray array, JsonNode grids) {
        long at = 0;
        assertThat(array.shape()[0]).isEqualTo(grids.size());
        for (JsonNode grid : grids) {
            for (JsonNode row : grid) {
                for (JsonNode code : row) {
                    assertThat(array.integerAt(at++)).isEqualTo(code.asLong());
                }
            }
        }
    }
}
