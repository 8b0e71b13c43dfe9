package dev.latentserve.oip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.latentserve.family.LatentSpec;
import dev.latentserve.image.ImageShape;
import dev.latentserve.oip.OpenInferenceService.Address;
import dev.latentserve.oip.Signature.Operation;
import dev.latentserve.oip.Signature.TensorSpec;
import dev.latentserve.registry.ModelNotFoundException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** Each operation's tensors per latent space, and requests checked against them before they reach the service. */
class SignatureTests {

    private static final ImageShape GREY = new ImageShape(1, 28, 28);
    private static final LatentSpec VAE = new LatentSpec.Gaussian(16);
    private static final LatentSpec VQ = new LatentSpec.CodeGrid(32, 8, List.of(7, 7), "gated-pixelcnn");
    private static final LatentSpec VQ2 = new LatentSpec.CodeHierarchy(Map.of("top", new LatentSpec.CodeHierarchy.Level(8, 8,
            List.of(4, 4)), "bottom", new LatentSpec.CodeHierarchy.Level(16, 8, List.of(8, 8))), new ImageShape(1, 32, 32),
            Map.of("top", 2, "bottom", 2, "left", 2, "right", 2), "none", List.of());
    private final TensorCodec codec = new TensorCodec(JsonMapper.builder().build());

    @Test
    void eachFamilyNamesItsLatentsAndCodes() {
        assertThat(describe(Signature.of(Operation.ENCODE, VAE, GREY).inputs())).containsExactly("images FP32 [-1, 1, 28, 28]");
        assertThat(describe(Signature.of(Operation.ENCODE, VAE, GREY).outputs()))
                .containsExactly("latents FP32 [-1, 16]", "mean FP32 [-1, 16]", "log_variance FP32 [-1, 16]");
        assertThat(describe(Signature.of(Operation.DECODE, VQ, GREY).inputs())).containsExactly("codes INT64 [-1, 7, 7]");
        assertThat(describe(Signature.of(Operation.DECODE, VQ2, GREY).inputs()))
                .containsExactlyInAnyOrder("top_codes INT64 [-1, 4, 4]", "bottom_codes INT64 [-1, 8, 8]");
        assertThat(describe(Signature.of(Operation.SAMPLE, VQ, GREY).inputs()))
                .containsExactly("seed INT64 [1]", "count INT32 [1]", "temperature FP32 [1]", "topK INT32 [1]");
        assertThat(describe(Signature.of(Operation.SAMPLE, VQ, GREY).outputs()))
                .containsExactly("images FP32 [-1, 1, 28, 28]", "codes INT64 [-1, 7, 7]");
        assertThat(describe(Signature.of(Operation.RECONSTRUCT, VAE, GREY).outputs()))
                .containsExactly("images FP32 [-1, 1, 28, 28]", "mse FP32 [-1]", "negative_elbo FP32 [-1]");
        assertThat(describe(Signature.of(Operation.RECONSTRUCT, VQ, GREY).outputs()))
                .containsExactly("images FP32 [-1, 1, 28, 28]", "mse FP32 [-1]");
    }

    @Test
    void requestsThatDoNotFitTheSignatureAreRefused() {
        Signature encode = Signature.of(Operation.ENCODE, VAE, GREY);
        encode.check(request("{\"inputs\": [" + images(2, "FP32") + "]}"), "m.encode");
        encode.check(request("{\"inputs\": [" + images(1, "UINT8") + "]}"), "m.encode");
        assertRefused(encode, "{\"inputs\": []}", "model m.encode needs input 'images' (FP32 [-1, 1, 28, 28])");
        assertRefused(encode, "{\"inputs\": [" + images(1, "INT32") + "]}", "input 'images' is INT32; model m.encode takes it as FP32 or UINT8");
        assertRefused(encode, "{\"inputs\": [{\"name\": \"images\", \"shape\": [1, 28, 28], \"datatype\": \"FP32\", \"data\": "
                + zeros(784) + "}]}", "input 'images' has shape [1, 28, 28]; model m.encode takes [-1, 1, 28, 28]");
        assertRefused(encode, "{\"inputs\": [{\"name\": \"images\", \"shape\": [1, 1, 27, 29], \"datatype\": \"FP32\", \"data\": "
                + zeros(27 * 29) + "}]}", "takes [-1, 1, 28, 28]");
        assertRefused(encode, "{\"inputs\": [" + images(1, "FP32") + ", {\"name\": \"z\", \"shape\": [1], \"datatype\": \"FP32\", "
                + "\"data\": [0]}]}", "model m.encode has no input 'z'; its inputs are images");
        assertRefused(encode, "{\"inputs\": [{\"name\": \"seed\", \"shape\": [1], \"datatype\": \"INT64\", \"data\": [0]}]}",
                "has no input 'seed'");
        assertRefused(encode, "{\"inputs\": [" + images(1, "FP32") + "], \"outputs\": [{\"name\": \"codes\"}]}",
                "model m.encode has no output 'codes'; its outputs are latents, mean, log_variance");
        assertRefused(encode, "{\"inputs\": [" + images(1, "FP32") + "], \"outputs\": [{\"name\": \"mean\", \"parameters\": "
                + "{\"datatype\": \"UINT8\"}}]}", "output 'mean' cannot be written as UINT8");

        Signature decode = Signature.of(Operation.DECODE, VQ2, GREY);
        assertRefused(decode, "{\"inputs\": [" + codes("top_codes", 1, 4) + "]}", "model m.decode needs input 'bottom_codes'");
        assertRefused(decode, "{\"inputs\": [" + codes("top_codes", 1, 4) + ", " + codes("bottom_codes", 2, 8) + "]}",
                "input 'bottom_codes' has a batch of 2 but another input has 1");
        decode.check(request("{\"inputs\": [" + codes("top_codes", 2, 4) + ", " + codes("bottom_codes", 2, 8) + "]}"), "m.decode");

        Signature sample = Signature.of(Operation.SAMPLE, VQ, GREY);
        sample.check(request("{\"inputs\": [{\"name\": \"seed\", \"shape\": [], \"datatype\": \"INT32\", \"data\": [3]}]}"), "m.sample");
        assertRefused(sample, "{\"inputs\": [{\"name\": \"count\", \"shape\": [2], \"datatype\": \"INT32\", \"data\": [3, 4]}]}",
                "input 'count' has shape [2]; it takes exactly one value");
        assertRefused(sample, "{\"inputs\": [{\"name\": \"temperature\", \"shape\": [1], \"datatype\": \"INT32\", \"data\": [1]}]}",
                "input 'temperature' is INT32; model m.sample takes it as FP32");
        sample.check(request("{\"inputs\": [{\"name\": \"count\", \"shape\": [1], \"datatype\": \"INT32\", \"data\": [3]}], "
                + "\"outputs\": [{\"name\": \"images\", \"parameters\": {\"datatype\": \"UINT8\"}}]}"), "m.sample");
    }

    @Test
    void modelNamesAreAModelAndAnOperationAfterTheLastDot() {
        assertThat(Address.parse("fashion-vae.encode", null)).isEqualTo(new Address("fashion-vae", Operation.ENCODE, null));
        assertThat(Address.parse("v1.2.sample", "3")).isEqualTo(new Address("v1.2", Operation.SAMPLE, 3));
        assertThat(Address.parse("v1.2.sample", "3").reference()).isEqualTo("v1.2@3");
        for (String unknown : new String[] {"fashion-vae", "fashion-vae.score", ".encode", "Fashion.encode", "a/b.encode"}) {
            assertThatThrownBy(() -> Address.parse(unknown, null)).as(unknown).isInstanceOf(ModelNotFoundException.class)
                    .hasMessageContaining("no model '" + unknown + "'");
        }
        for (String version : new String[] {"0", "-1", "x", "1.5", "99999999999"}) {
            assertThatThrownBy(() -> Address.parse("m.encode", version)).as(version).isInstanceOf(ModelNotFoundException.class)
                    .hasMessageContaining("has no version '" + version + "'");
        }
    }

    private InferRequest request(String json) {
        return codec.read(json.getBytes(StandardCharsets.UTF_8), null);
    }

    private void assertRefused(Signature signature, String json, String message) {
        InferRequest request = request(json);
        String model = "m." + (signature.inputs().getFirst().name().equals("images") ? "encode"
                : signature.inputs().getFirst().scalar() ? "sample" : "decode");
        assertThatThrownBy(() -> signature.check(request, model)).isInstanceOf(InvalidTensorException.class)
                .hasMessageContaining(message);
    }

    private static List<String> describe(List<TensorSpec> specs) {
        return specs.stream().map(s -> s.name() + " " + s.datatype() + " " + Tensor.describe(s.shape())).toList();
    }

    private static String images(int n, String datatype) {
        return "{\"name\": \"images\", \"shape\": [" + n + ", 1, 28, 28], \"datatype\": \"" + datatype + "\", \"data\": "
                + zeros(n * 784) + "}";
    }

    private static String codes(String name, int n, int side) {
        return "{\"name\": \"" + name + "\", \"shape\": [" + n + ", " + side + ", " + side + "], \"datatype\": \"INT32\", \"data\": "
                + zeros(n * side * side) + "}";
    }

    private static String zeros(int n) {
        return "[" + String.join(",", java.util.Collections.nCopies(n, "0")) + "]";
    }
}
