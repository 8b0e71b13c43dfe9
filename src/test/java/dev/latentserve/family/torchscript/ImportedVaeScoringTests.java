package dev.latentserve.family.torchscript;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import dev.latentserve.family.Importing;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.NotScorableException;
import dev.latentserve.family.Scoring;
import dev.latentserve.family.Scoring.Bounds;
import dev.latentserve.family.Scoring.ScoreCall;
import dev.latentserve.family.Scoring.ScoreOptions;
import dev.latentserve.image.ImageShape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /score of imported VAEs: under the likelihood their descriptor declares, and refused without one. */
class ImportedVaeScoringTests {

    private static final ImageShape SHAPE = new ImageShape(1, 28, 28);

    private final TorchScriptFamily family = new TorchScriptFamily();

    private LoadedModel load(Path dir) throws Exception {
        Importing.Imported imported = family.inspect(dir, Device.cpu());
        return family.load(dir, SHAPE, imported.architecture(), Device.cpu());
    }

    private static List<Scoring.Score> score(LoadedModel model, float[][] images, int samples, int k, long seed) {
        Scoring scoring = (Scoring) model;
        ScoreOptions options = new ScoreOptions(samples, k, seed);
        scoring.checkScore(options);
        return scoring.score(List.of(new ScoreCall(images, options))).getFirst();
    }

    /**
     * With one draw and the same seed, the negative ELBO is what /reconstruct estimates; for the Gaussian likelihood over
     * pixels normalised by std 0.5, plus the log-Jacobian 784 ln 0.5 that makes it a density of pixels in [0, 1].
     */
    @Test
    void oneDrawIsTheReconstructionsEstimateUnderTheDeclaredLikelihood() throws Exception {
        for (String fixture : List.of("conv-vae", "spatial-vae")) {
            Path dir = Fixtures.folder("torchscript/" + fixture);
            float[][] images = Fixtures.floatRows(dir.resolve("probe-images.npy"));
            double jacobian = fixture.equals("spatial-vae") ? 784 * Math.log(0.5) : 0;
            try (LoadedModel model = load(dir)) {
                List<LoadedModel.Reconstruction> reconstructions = model.reconstruct(images, 3);
                List<Scoring.Score> scores = score(model, images, 1, 20, 3);
                for (int i = 0; i < images.length; i++) {
                    Bounds bounds = (Bounds) scores.get(i);
                    double expected = reconstructions.get(i).negativeElbo() + jacobian;
                    assertThat(bounds.negativeElbo()).as("%s image %d", fixture, i)
                            .isCloseTo(expected, within(1e-4 * Math.max(1, Math.abs(expected))));
                    assertThat(bounds.negativeElboStandardError()).isNull();
                    assertThat(bounds.iwae()).isFinite();
                }
                // A request's scores are what it gets alone, whatever shares its batch.
                float[][] firstTwo = {images[0], images[1]};
                ScoreCall other = new ScoreCall(new float[][] {images[2]}, new ScoreOptions(2, 5, 9));
                ScoreCall own = new ScoreCall(firstTwo, new ScoreOptions(3, 40, 4));
                List<Scoring.Score> together = ((Scoring) model).score(List.of(other, own)).get(1);
                List<Scoring.Score> alone = ((Scoring) model).score(List.of(own)).getFirst();
                for (int i = 0; i < 2; i++) {
                    assertThat(((Bounds) together.get(i)).iwae()).isCloseTo(((Bounds) alone.get(i)).iwae(), within(1e-3));
                }
            }
        }
    }

    @Test
    void aVaeWithoutALikelihoodIsNotScorable(@TempDir Path temp) throws Exception {
        Path dir = Fixtures.copy("torchscript/conv-vae", temp);
        Path descriptor = dir.resolve(Descriptor.FILE);
        Files.writeString(descriptor, Files.readString(descriptor).replace("{\"kind\": \"bernoulli\"}\n", "null\n"));
        try (LoadedModel model = load(dir)) {
            assertThatThrownBy(() -> ((Scoring) model).checkScore(new ScoreOptions(1, 10, 0)))
                    .isInstanceOf(NotScorableException.class).hasMessageContaining("declares no likelihood");
        }
    }
}
