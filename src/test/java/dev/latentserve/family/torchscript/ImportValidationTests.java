package dev.latentserve.family.torchscript;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.latentserve.family.InvalidImportException;
import dev.latentserve.testing.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.http.HttpStatus;
import tools.jackson.databind.json.JsonMapper;

/** Every way an import can be broken is refused with a 422 that names the file or field, and what was seen. */
class ImportValidationTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final TorchScriptFamily family = new TorchScriptFamily();

    @TempDir
    Path temp;

    @Test
    void aFileThatIsNotTorchScriptIsRefusedWithLibtorchsFirstLineOnly() throws Exception {
        Path dir = Fixtures.copy("torchscript/conv-vae", temp);
        Files.copy(Fixtures.folder("torchscript/bad").resolve("not-torchscript.pt"), dir.resolve("encoder.pt"),
                StandardCopyOption.REPLACE_EXISTING);
        refused(dir).hasMessageStartingWith("encoder.pt is not a TorchScript module: ")
                .hasMessageContaining("libtorch 2.7.1")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("Exception raised from"));
        Files.delete(dir.resolve("decoder.pt"));
        Files.copy(Fixtures.folder("torchscript/conv-vae").resolve("encoder.pt"), dir.resolve("encoder.pt"),
                StandardCopyOption.REPLACE_EXISTING);
        refused(dir).hasMessageContaining("the version has no decoder.pt");
    }

    @Test
    void anEncoderAnsweringAnotherLatentShapeIsRefusedWithBothShapes() throws Exception {
        refused(Fixtures.folder("torchscript/bad/encoder-wrong-shape"))
                .hasMessage("encoder.pt answers mean (1, 12) for a batch of 1; latentShape [16] needs (1, 16)");
    }

    @Test
    void aDecoderAnsweringNaNIsRefused() throws Exception {
        refused(Fixtures.folder("torchscript/bad/nan-decoder")).hasMessageStartingWith("decoder.pt answers NaN for a probe batch of 1 ");
    }

    @Test
    void aCodebookOfAnotherWidthThanTheEncodersOutputsIsRefused() throws Exception {
        Path dir = Fixtures.copy("torchscript/vqvae", temp);
        Files.copy(Fixtures.folder("torchscript/bad").resolve("codebook-wrong-d.npy"), dir.resolve("codebook.npy"),
                StandardCopyOption.REPLACE_EXISTING);
        int d = Fixtures.floatRows(Fixtures.folder("torchscript/vqvae").resolve("expected-ze.npy"))[0].length / 49;
        refused(dir).hasMessageStartingWith("encoder.pt answers z_e (1, " + d + ", 7, 7) for a batch of 1; codebook.npy's D = ")
                .hasMessageContaining("needs (1, ");
        Files.write(dir.resolve("codebook.npy"), TestFiles.npy("<f4", "2, 1", TestFiles.floats(0f, Float.NaN)));
        refused(dir).hasMessage("codebook.npy holds NaN in code 1; every number must be finite");
        Files.write(dir.resolve("codebook.npy"), TestFiles.npy("<f8", "1, 1", new byte[8]));
        refused(dir).hasMessageContaining("codebook.npy holds '<f8'; it must be float32");
        Files.write(dir.resolve("codebook.npy"), TestFiles.npy("<f4", "3", TestFiles.floats(0f, 1f, 2f)));
        refused(dir).hasMessageContaining("codebook.npy has shape [3]; it must be (K, D)");
        Files.delete(dir.resolve("codebook.npy"));
        refused(dir).hasMessageContaining("the version has no codebook.npy");
    }

    @Test
    void aTraceWithItsBatchSizeBakedInIsRefused() throws Exception {
        refused(Fixtures.folder("torchscript-checks/baked-batch"))
                .hasMessageStartingWith("encoder.pt answers mean (2, 4) for a batch of 1; latentShape [4] needs (1, 4)")
                .hasMessageContaining("trace with a dynamic batch");
    }

    @Test
    void aModuleFailingInsideTorchScriptIsReportedByItsErrorLineWithoutTheTraceback() throws Exception {
        TorchScriptModule encoder = TorchScriptModule.load(Fixtures.folder("torchscript-checks/baked-batch"), "encoder.pt", Device.cpu());
        try (Model model = encoder.model(); NDManager scope = model.getNDManager().newSubManager()) {
            assertThatThrownBy(() -> encoder.forward(scope, scope.zeros(new Shape(7, 1, 8, 8))))
                    .isInstanceOf(TorchScriptModule.CallFailedException.class)
                    .hasMessage("encoder.pt failed: RuntimeError: The size of tensor a (7) must match the size of tensor b (2) at "
                            + "non-singleton dimension 0");
        }
    }

    @Test
    void anEncoderWhoseAnswerForAnImageDependsOnTheRestOfItsBatchIsRefused() throws Exception {
        refused(Fixtures.folder("torchscript-checks/mixed-rows"))
                .hasMessageContaining("encoder.pt answers image 0 of a batch of 7 differently from the same image alone")
                .hasMessageContaining("trace with a dynamic batch");
    }

    @Test
    void theDescriptorIsReadStrictly() throws Exception {
        Path dir = Fixtures.copy("torchscript/conv-vae", temp);
        descriptor(dir, d -> d.put("colour", "blue"));
        refused(dir).hasMessage("latentserve-model.json: unknown field 'colour'; the fields are format, family, inputShape, "
                + "normalization, encoderOutput, latentShape, scalingFactor, shiftFactor, decoderOutput, likelihood, exporter");
        descriptor(dir, d -> d.remove("latentShape"));
        refused(dir).hasMessage("latentserve-model.json: field 'latentShape' is missing");
        descriptor(dir, d -> d.put("format", 2));
        refused(dir).hasMessageContaining("field 'format' must be 1");
        descriptor(dir, d -> d.put("family", "gan"));
        refused(dir).hasMessageContaining("field 'family' must be one of \"vae\", \"vqvae\", not \"gan\"");
        descriptor(dir, d -> d.put("inputShape", List.of(2, 28, 28)));
        refused(dir).hasMessageContaining("field 'inputShape' must be [C, H, W] with 1 (grey) or 3 (RGB) channels");
        descriptor(dir, d -> d.put("normalization", Map.of("mean", List.of(0.5), "std", List.of(0.5))));
        refused(dir).hasMessageContaining("field 'normalization' must be mean 0 and std 1 per channel for decoderOutput "
                + "\"bernoulli-logits\"");
        descriptor(dir, d -> d.put("normalization", Map.of("mean", List.of(0.0), "std", List.of(0.0))));
        refused(dir).hasMessageContaining("field 'normalization.std' must be a list of 1 positive numbers");
        descriptor(dir, d -> d.put("normalization", Map.of("mean", List.of(0.0), "std", List.of(1.0), "min", 0)));
        refused(dir).hasMessageContaining("unknown field 'normalization.min'");
        descriptor(dir, d -> d.put("likelihood", Map.of("kind", "gaussian", "sigma", 0.1)));
        refused(dir).hasMessageContaining("field 'likelihood' \"gaussian\" needs decoderOutput \"gaussian-mean\" or \"image\"");
        descriptor(dir, d -> d.put("scalingFactor", -1));
        refused(dir).hasMessageContaining("field 'scalingFactor' must be a positive number from 1e-6 to 1e6, not -1.0");
        // Factors no float32 latent survives: every request would fail after the import.
        descriptor(dir, d -> d.put("scalingFactor", 1e308));
        refused(dir).hasMessageContaining("field 'scalingFactor' must be a positive number from 1e-6 to 1e6");
        descriptor(dir, d -> d.put("shiftFactor", -1e308));
        refused(dir).hasMessageContaining("field 'shiftFactor' must be a number from -1e6 to 1e6");
        descriptor(dir, d -> d.put("exporter", "x".repeat(201)));
        refused(dir).hasMessageContaining("at most 200 characters");
        descriptor(dir, d -> d.put("latentShape", List.of(4, 2)));
        refused(dir).hasMessageContaining("field 'latentShape' must be [d] or [c, h, w], not [4, 2]");
        descriptor(dir, d -> d.put("encoderOutput", "moments"));
        refused(dir).hasMessageContaining("field 'latentShape' must be [c, h, w], as encoderOutput \"moments\" needs");
        descriptor(dir, d -> d.put("decoderOutput", Map.of("kind", "logits")));
        refused(dir).hasMessageContaining("field 'decoderOutput.kind' must be one of \"bernoulli-logits\", \"gaussian-mean\", "
                + "\"image\", not \"logits\"");

        Path vq = Fixtures.copy("torchscript/vqvae", temp);
        descriptor(vq, d -> d.put("encoderOutput", "mean-logvar"));
        refused(vq).hasMessageContaining("field 'encoderOutput' applies to family \"vae\" only");

        Files.writeString(dir.resolve("latentserve-model.json"), "{\"format\": 1, \"format\": 1}");
        refused(dir).hasMessageContaining("latentserve-model.json is not valid JSON: Duplicate Object property \"format\"");
        Files.writeString(dir.resolve("latentserve-model.json"), "[1]");
        refused(dir).hasMessageContaining("latentserve-model.json must hold a JSON object");
        Files.delete(dir.resolve("latentserve-model.json"));
        refused(dir).hasMessageContaining("the version has no latentserve-model.json");
    }

    /** Rewrites the fixture's descriptor in {@code dir} from the original, changed by {@code change}. */
    private static void descriptor(Path dir, Consumer<Map<String, Object>> change) throws Exception {
        String original = Fixtures.folder("torchscript/" + dir.getFileName()).resolve("latentserve-model.json").toString();
        @SuppressWarnings("unchecked")
        Map<String, Object> fields = new LinkedHashMap<>(JSON.readValue(Path.of(original).toFile(), Map.class));
        change.accept(fields);
        JSON.writeValue(dir.resolve("latentserve-model.json").toFile(), fields);
    }

    private AbstractThrowableAssert<?, ? extends Throwable> refused(Path dir) {
        return assertThatThrownBy(() -> family.inspect(dir, Device.cpu())).isInstanceOfSatisfying(InvalidImportException.class,
                e -> {
                    assertThat(e.status()).isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT);
                    assertThat(e.type()).isEqualTo("invalid-import");
                });
    }
}
