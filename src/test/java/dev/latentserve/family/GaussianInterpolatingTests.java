package dev.latentserve.family;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.latentserve.family.Interpolating.Ends;
import dev.latentserve.family.Interpolating.InterpolateCall;
import dev.latentserve.family.Interpolating.Interpolated;
import dev.latentserve.family.Interpolation.Method;
import dev.latentserve.image.ImageShape;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Gaussian interpolation on a model whose encoder takes an image's pixels as its posterior mean, whose prior draw
 * for seed s is (s, -s) and whose decoder returns the latent as pixels: several calls of every kind in one batch.
 */
class GaussianInterpolatingTests {

    private final Identity model = new Identity();

    @Test
    void callsOfEveryKindShareOneDecoderBatchAndGetTheirOwnPaths() {
        List<Interpolated> paths = model.interpolate(List.of(
                new InterpolateCall(new Ends.Images(new float[] {0, 0}, new float[] {4, 8}), 5, Method.LERP),
                new InterpolateCall(new Ends.Seeds(1, 3), 3, Method.LERP),
                new InterpolateCall(new Ends.Given(new Latents.GaussianVectors(List.of(new float[] {1, 0}, new float[] {0, 1}))),
                        3, Method.SLERP)));
        assertThat(model.decodeCalls).isEqualTo(1);
        assertThat(model.decodedRows).isEqualTo(5 + 3 + 3);
        Interpolated images = paths.get(0);
        assertThat(((Latents.GaussianVectors) images.latents()).vectors()).containsExactly(new float[] {0, 0}, new float[] {1, 2},
                new float[] {2, 4}, new float[] {3, 6}, new float[] {4, 8});
        assertThat(images.images()[3]).containsExactly(3, 6);
        assertThat(((Latents.GaussianVectors) paths.get(1).latents()).vectors()).containsExactly(new float[] {1, -1},
                new float[] {2, -2}, new float[] {3, -3});
        float[] middle = ((Latents.GaussianVectors) paths.get(2).latents()).vectors().get(1);
        assertThat(middle[0]).isCloseTo((float) Math.sqrt(0.5), org.assertj.core.api.Assertions.within(1e-6f));
        assertThat(paths.get(2).images()[1]).containsExactly(middle);
    }

    @Test
    void givenEndsMustBeGaussianLatentsTheModelDecodes() {
        model.checkInterpolate(new Ends.Given(new Latents.GaussianVectors(List.of(new float[2], new float[2]))));
        assertThatThrownBy(() -> model.checkInterpolate(new Ends.Given(new Latents.GaussianVectors(List.of(new float[2],
                new float[3]))))).isInstanceOf(InvalidInferenceInputException.class).hasMessageContaining("latent 1");
        assertThatThrownBy(() -> model.checkInterpolate(new Ends.Given(new Latents.CodeGrids(List.of(new int[1][1],
                new int[1][1]))))).isInstanceOf(InvalidInferenceInputException.class).hasMessageContaining("Gaussian latents");
    }

    private static final class Identity implements GaussianInterpolating {

        int decodeCalls;
        int decodedRows;

        @Override
        public ImageShape shape() {
            return new ImageShape(1, 1, 2);
        }

        @Override
        public void checkSample(SampleOptions options) {
        }

        @Override
        public void checkDecode(Latents input) {
            List<float[]> vectors = ((Latents.GaussianVectors) input).vectors();
            for (int i = 0; i < vectors.size(); i++) {
                if (vectors.get(i).length != 2) {
                    throw new InvalidInferenceInputException(InvalidInferenceInputException.Kind.INVALID_LATENT, "latent " + i);
                }
            }
        }

        @Override
        public List<Sampled> sample(List<SampleOptions> requests) {
            return requests.stream().map(r -> new Sampled(new float[1][2],
                    new Latents.GaussianVectors(List.of(new float[] {r.seed(), -r.seed()})))).toList();
        }

        @Override
        public List<Encoded> encode(List<EncodeCall> requests) {
            List<Encoded> result = new ArrayList<>();
            for (EncodeCall call : requests) {
                List<Latents.GaussianPosteriors.Posterior> posteriors = new ArrayList<>();
                for (float[] image : call.images()) {
                    posteriors.add(new Latents.GaussianPosteriors.Posterior(image, new float[2], new float[] {9, 9}));
                }
                result.add(new Encoded(new Latents.GaussianPosteriors(posteriors), null));
            }
            return result;
        }

        @Override
        public List<float[][]> decode(List<Latents> inputs) {
            decodeCalls++;
            List<float[][]> result = new ArrayList<>();
            for (Latents input : inputs) {
                decodedRows += input.count();
                result.add(((Latents.GaussianVectors) input).vectors().toArray(float[][]::new));
            }
            return result;
        }

        @Override
        public List<List<Reconstruction>> reconstruct(List<ReconstructCall> requests) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {
        }
    }
}
