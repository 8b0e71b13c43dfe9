package dev.latentserve.family.torchscript;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import dev.latentserve.family.Importing;
import dev.latentserve.family.InvalidArchitectureException;
import dev.latentserve.family.InvalidInferenceInputException;
import dev.latentserve.family.LatentSpec;
import dev.latentserve.family.Latents;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.NoPriorException;
import dev.latentserve.image.ImageShape;
import dev.latentserve.testing.Rows;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * Imported models answer what PyTorch answered for the same inputs: the fixtures hold probe images and latents with the
 * outputs of the TorchScript modules as saved, mapped to pixels as the descriptor says.
 */
class TorchScriptFamilyTests {

    private static final float TOLERANCE = 1e-4f;
    private static final ImageShape SHAPE = new ImageShape(1, 28, 28);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final TorchScriptFamily family = new TorchScriptFamily();

    @Test
    void aConvVaeEncodesAndDecodesAsPyTorchDoes() throws Exception {
        Path dir = Fixtures.folder("torchscript/conv-vae");
        Importing.Imported imported = family.inspect(dir, Device.cpu());
        assertThat(imported.inputShape()).isEqualTo(SHAPE);
        assertThat(imported.latent()).isEqualTo(new LatentSpec.Gaussian(16));
        assertThat(imported.files()).containsExactly("latentserve-model.json", "encoder.pt", "decoder.pt");
        assertThat(imported.architecture()).containsEntry("family", "vae").containsEntry("encoderOutput", "mean-logvar")
                .containsEntry("latentShape", List.of(16)).containsEntry("scalingFactor", 1.0);
        assertThat(family.latentSpec(imported.architecture(), SHAPE)).isEqualTo(imported.latent());
        float[][] images = Fixtures.floatRows(dir.resolve("probe-images.npy"));
        try (LoadedModel model = family.load(dir, SHAPE, imported.architecture(), Device.cpu())) {
            Latents.GaussianPosteriors posteriors = (Latents.GaussianPosteriors) model.encode(images,
                    new LoadedModel.EncodeOptions(false, 0, false)).latents();
            float[][] means = Fixtures.floatRows(dir.resolve("expected-mean.npy"));
            float[][] logVariances = Fixtures.floatRows(dir.resolve("expected-logvar.npy"));
            for (int i = 0; i < images.length; i++) {
                assertThat(posteriors.posteriors().get(i).mean()).containsExactly(means[i], within(TOLERANCE));
                assertThat(posteriors.posteriors().get(i).logVariance()).containsExactly(logVariances[i], within(TOLERANCE));
                assertThat(posteriors.posteriors().get(i).z()).isEqualTo(posteriors.posteriors().get(i).mean());
            }
            assertClose(model.decode(new Latents.GaussianVectors(Arrays.asList(means))), Fixtures.floatRows(dir.resolve("expected-decoded.npy")));
            assertClose(model.decode(new Latents.GaussianVectors(Arrays.asList(Fixtures.floatRows(dir.resolve("probe-latents.npy"))))),
                    Fixtures.floatRows(dir.resolve("expected-decoded-latents.npy")));
            List<LoadedModel.Reconstruction> reconstructions = model.reconstruct(images, 3);
            assertClose(reconstructions.stream().map(LoadedModel.Reconstruction::pixels).toArray(float[][]::new),
                    Fixtures.floatRows(dir.resolve("expected-decoded.npy")));
            // Bernoulli likelihood: the negative ELBO is positive, and one posterior sample per seed.
            assertThat(reconstructions).allSatisfy(r -> assertThat(r.negativeElbo()).isPositive());
            assertThat(model.reconstruct(images, 3).getFirst().negativeElbo()).isEqualTo(reconstructions.getFirst().negativeElbo());
            assertThat(model.reconstruct(images, 4).getFirst().negativeElbo()).isNotEqualTo(reconstructions.getFirst().negativeElbo());
            assertElboTermsAtTheMean((ImportedVae) model, images, dir);
            // A worker thread of its own, as the batcher's, answers the same from its first call.
            float[][][] onAnotherThread = new float[1][][];
            Thread worker = new Thread(() -> onAnotherThread[0] = model.decode(new Latents.GaussianVectors(Arrays.asList(means))));
            worker.start();
            worker.join();
            assertClose(onAnotherThread[0], Fixtures.floatRows(dir.resolve("expected-decoded.npy")));
            assertThatThrownBy(() -> model.decode(new Latents.GaussianVectors(List.of(new float[15]))))
                    .isInstanceOf(InvalidInferenceInputException.class).hasMessageContaining("latent 0 has 15 values");
            assertThatThrownBy(() -> model.sample(new LoadedModel.SampleOptions(1, 0, 1.0, 3)))
                    .isInstanceOf(InvalidInferenceInputException.class).hasMessageContaining("topK");
        }
    }

    /**
     * A latent-diffusion style autoencoder: a 4x7x7 latent, encoder answering concat(mean, logvar), callers seeing the
     * latent scaled by (z - shift) * scale.
     */
    @Test
    void aSpatialVaeShowsItsLatentScaledAndDecodesItBack() throws Exception {
        Path dir = Fixtures.folder("torchscript/spatial-vae");
        Importing.Imported imported = family.inspect(dir, Device.cpu());
        assertThat(imported.latent()).isEqualTo(new LatentSpec.SpatialGaussian(4, List.of(7, 7)));
        double scale = ((Number) imported.architecture().get("scalingFactor")).doubleValue();
        double shift = ((Number) imported.architecture().get("shiftFactor")).doubleValue();
        assertThat(scale).isNotEqualTo(1.0);
        assertThat(shift).isNotEqualTo(0.0);
        float[][] images = Fixtures.floatRows(dir.resolve("probe-images.npy"));
        float[][] means = Fixtures.floatRows(dir.resolve("expected-mean.npy"));
        float[][] logVariances = Fixtures.floatRows(dir.resolve("expected-logvar.npy"));
        float[][] decoded = Fixtures.floatRows(dir.resolve("expected-decoded.npy"));
        try (LoadedModel model = family.load(dir, SHAPE, imported.architecture(), Device.cpu())) {
            Latents.GaussianMapPosteriors posteriors = (Latents.GaussianMapPosteriors) model.encode(images,
                    new LoadedModel.EncodeOptions(false, 0, false)).latents();
            assertThat(posteriors.shape()).isEqualTo(new Latents.MapShape(4, 7, 7));
            for (int i = 0; i < images.length; i++) {
                assertThat(posteriors.posteriors().get(i).mean()).containsExactly(map(means[i], v -> (v - shift) * scale), within(TOLERANCE));
                assertThat(posteriors.posteriors().get(i).logVariance())
                        .containsExactly(map(logVariances[i], v -> v + 2 * Math.log(scale)), within(TOLERANCE));
            }
            // decode(encode(x)): the scaled mean goes back to the model's mean, whose decoding PyTorch computed.
            List<float[]> shownMeans = posteriors.posteriors().stream().map(Latents.GaussianPosteriors.Posterior::z).toList();
            assertClose(model.decode(new Latents.GaussianMaps(shownMeans, posteriors.shape())), decoded);
            assertClose(model.reconstruct(images, 0).stream().map(LoadedModel.Reconstruction::pixels).toArray(float[][]::new), decoded);
            float[][] latents = Fixtures.floatRows(dir.resolve("probe-latents.npy"));
            List<float[]> shownLatents = Arrays.stream(latents).map(z -> map(z, v -> (v - shift) * scale)).toList();
            assertClose(model.decode(new Latents.GaussianMaps(shownLatents, posteriors.shape())),
                    Fixtures.floatRows(dir.resolve("expected-decoded-latents.npy")));

            // The JSON a caller gets back nests each map as 4 channels of 7 rows of 7, and decodes as sent.
            String json = JSON.writeValueAsString(posteriors.json(0));
            assertThat(json).startsWith("{\"mean\":[[[");
            @SuppressWarnings("unchecked")
            List<List<List<Number>>> nestedMean = (List<List<List<Number>>>) JSON.readValue(json, Map.class).get("mean");
            assertThat(nestedMean).hasSize(4).allSatisfy(channel -> assertThat(channel).hasSize(7)
                    .allSatisfy(row -> assertThat(row).hasSize(7)));
            assertThat(nestedMean.get(1).get(2).get(3).floatValue()).isEqualTo(posteriors.posteriors().get(0).mean()[49 + 2 * 7 + 3]);

            // Reconstruction's negative ELBO: Gaussian likelihood with sigma in the normalised space, KL in the model's.
            assertThat(model.reconstruct(images, 0)).allSatisfy(r -> assertThat(r.negativeElbo()).isNotNull().isFinite());
            assertElboTermsAtTheMean((ImportedVae) model, images, dir);

            LoadedModel.Sampled sampled = model.sample(new LoadedModel.SampleOptions(3, 11, 0.5, null));
            Latents.GaussianMaps sampledLatents = (Latents.GaussianMaps) sampled.latents();
            assertThat(sampled.images()).hasNumberOfRows(3);
            assertThat(sampledLatents.maps()).hasSize(3).allSatisfy(z -> assertThat(z).hasSize(4 * 7 * 7));
            Rows.assertClose(model.decode(sampledLatents), sampled.images());
            assertThat(model.sample(new LoadedModel.SampleOptions(3, 11, 0.5, null)).latents())
                    .usingRecursiveComparison().isEqualTo(sampledLatents);
            requestsBatchedTogetherGetWhatEachGetsAlone(model, images);
            assertThatThrownBy(() -> model.decode(new Latents.GaussianVectors(List.of(new float[196]))))
                    .isInstanceOf(InvalidInferenceInputException.class).hasMessageContaining("4x7x7 latent maps");
        }
    }

    @Test
    void aVqVaeEncodesToTheCodesPyTorchFindsAndDecodesThem() throws Exception {
        Path dir = Fixtures.folder("torchscript/vqvae");
        Importing.Imported imported = family.inspect(dir, Device.cpu());
        long[][] expectedCodes = Fixtures.longRows(dir.resolve("expected-codes.npy"));
        float[][] expectedZe = Fixtures.floatRows(dir.resolve("expected-ze.npy"));
        int codeDim = expectedZe[0].length / 49;
        LatentSpec.CodeGrid spec = (LatentSpec.CodeGrid) imported.latent();
        assertThat(spec.codeDim()).isEqualTo(codeDim);
        assertThat(spec.grid()).containsExactly(7, 7);
        assertThat(spec.prior()).isEqualTo(LatentSpec.NO_PRIOR);
        assertThat(imported.files()).containsExactly("latentserve-model.json", "encoder.pt", "decoder.pt", "codebook.npy");
        assertThat(imported.architecture()).containsEntry("codebook", Map.of("codes", spec.codes(), "codeDim", codeDim));
        float[][] images = Fixtures.floatRows(dir.resolve("probe-images.npy"));
        // The manifest stores the architecture as JSON; what it reads back loads the same model.
        @SuppressWarnings("unchecked")
        Map<String, Object> stored = JSON.readValue(JSON.writeValueAsString(imported.architecture()), Map.class);
        assertThat(family.latentSpec(stored, SHAPE)).isEqualTo(spec);
        assertThat(family.files(stored)).isEqualTo(imported.files());
        try (LoadedModel model = family.load(dir, SHAPE, stored, Device.cpu())) {
            LoadedModel.Encoded encoded = model.encode(images, new LoadedModel.EncodeOptions(false, 0, true));
            List<int[][]> grids = ((Latents.CodeGrids) encoded.latents()).grids();
            for (int i = 0; i < images.length; i++) {
                assertThat(Arrays.stream(grids.get(i)).flatMapToInt(Arrays::stream).asLongStream().toArray())
                        .as("codes of image %d", i).containsExactly(expectedCodes[i]);
                assertThat(encoded.vectors().vectors().get(i)).containsExactly(expectedZe[i], within(TOLERANCE));
            }
            float[][] decoded = Fixtures.floatRows(dir.resolve("expected-decoded.npy"));
            assertClose(model.decode(encoded.latents()), decoded);
            assertClose(model.decode(encoded.vectors()), decoded);
            List<LoadedModel.Reconstruction> reconstructions = model.reconstruct(images, 0);
            assertClose(reconstructions.stream().map(LoadedModel.Reconstruction::pixels).toArray(float[][]::new), decoded);
            assertThat(reconstructions).allSatisfy(r -> assertThat(r.negativeElbo()).isNull());
            assertThatThrownBy(() -> model.sample(new LoadedModel.SampleOptions(1, 0, 1.0, null)))
                    .isInstanceOf(NoPriorException.class).hasMessageContaining("fit-prior");
            int[][] outOfRange = new int[7][7];
            outOfRange[3][3] = spec.codes();
            assertThatThrownBy(() -> model.decode(new Latents.CodeGrids(List.<int[][]>of(outOfRange))))
                    .isInstanceOf(InvalidInferenceInputException.class).hasMessageContaining("[0, " + spec.codes() + ")");
        }
    }

    @Test
    void importedModelsAreNotTrainedHereAndAVaeTakesNoPrior() throws Exception {
        assertThatThrownBy(() -> family.architecture(Map.of(), SHAPE)).isInstanceOf(InvalidArchitectureException.class)
                .hasMessageContaining("not trained here").hasMessageContaining("POST /v1/models/{name}/versions");
        assertThatThrownBy(() -> family.train(null, null, null, null, null, null)).isInstanceOf(InvalidArchitectureException.class)
                .hasMessageContaining("POST /v1/models/{name}/versions");
        Map<String, Object> vae = family.inspect(Fixtures.folder("torchscript/conv-vae"), Device.cpu()).architecture();
        assertThatThrownBy(() -> family.priorArchitecture(Map.of(), vae, SHAPE)).isInstanceOf(InvalidArchitectureException.class)
                .hasMessageContaining("priors are fitted to models with discrete codes");
    }

    /** Dynamic batching: several callers' requests in one engine call, each answered as if it ran alone. */
    private static void requestsBatchedTogetherGetWhatEachGetsAlone(LoadedModel model, float[][] images) {
        List<LoadedModel.SampleOptions> samples = List.of(new LoadedModel.SampleOptions(2, 7, 1.0, null),
                new LoadedModel.SampleOptions(1, 8, 0.7, null));
        List<LoadedModel.Sampled> sampled = model.sample(samples);
        for (int r = 0; r < samples.size(); r++) {
            LoadedModel.Sampled alone = model.sample(samples.get(r));
            assertThat(sampled.get(r).latents()).usingRecursiveComparison().isEqualTo(alone.latents());
            Rows.assertClose(sampled.get(r).images(), alone.images());
        }
        float[][] firstTwo = {images[0], images[1]};
        float[][] lastThree = {images[2], images[3], images[4]};
        List<LoadedModel.EncodeCall> calls = List.of(new LoadedModel.EncodeCall(firstTwo, new LoadedModel.EncodeOptions(true, 5, false)),
                new LoadedModel.EncodeCall(lastThree, new LoadedModel.EncodeOptions(false, 0, false)));
        List<LoadedModel.Encoded> encoded = model.encode(calls);
        for (int r = 0; r < calls.size(); r++) {
            Latents alone = model.encode(calls.get(r).images(), calls.get(r).options()).latents();
            List<Latents.GaussianPosteriors.Posterior> together = ((Latents.GaussianMapPosteriors) encoded.get(r).latents()).posteriors();
            List<Latents.GaussianPosteriors.Posterior> single = ((Latents.GaussianMapPosteriors) alone).posteriors();
            Rows.assertClose(together.stream().map(Latents.GaussianPosteriors.Posterior::z).toArray(float[][]::new),
                    single.stream().map(Latents.GaussianPosteriors.Posterior::z).toArray(float[][]::new));
        }
    }

    /** -log p(x|z) and the KL with z at the posterior mean, in nats per image, as PyTorch computed them. */
    private static void assertElboTermsAtTheMean(ImportedVae model, float[][] images, Path dir) {
        float[] nll = Fixtures.floats(dir.resolve("expected-nll-at-mean.npy"));
        float[] kl = Fixtures.floats(dir.resolve("expected-kl.npy"));
        assertThat(nll).hasSameSizeAs(images);
        float[][] terms = model.negativeElboTermsAtMean(images);
        for (int i = 0; i < images.length; i++) {
            // float32 sums over 784 pixels: relative agreement.
            assertThat(terms[i][0]).as("nll of image %d", i).isCloseTo(nll[i], within(1e-4f * Math.max(1, Math.abs(nll[i]))));
            assertThat(terms[i][1]).as("kl of image %d", i).isCloseTo(kl[i], within(1e-4f * Math.max(1, Math.abs(kl[i]))));
        }
    }

    private static void assertClose(float[][] actual, float[][] expected) {
        assertThat(actual).hasNumberOfRows(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("row %d", i).containsExactly(expected[i], within(TOLERANCE));
        }
    }

    private static float[] map(float[] values, java.util.function.DoubleUnaryOperator f) {
        float[] result = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            result[i] = (float) f.applyAsDouble(values[i]);
        }
        return result;
    }
}
