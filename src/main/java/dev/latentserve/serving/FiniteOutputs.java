package dev.latentserve.serving;

import dev.latentserve.family.InvalidInferenceInputException;
import dev.latentserve.family.InvalidInferenceInputException.Kind;
import dev.latentserve.family.Latents;
import dev.latentserve.family.LoadedModel;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * No response carries NaN or infinite numbers (JSON cannot even hold them, and a PNG made from them is noise). Each
 * request's own results are checked after its batch, so only the request whose input caused it is refused (422,
 * naming the input), never the others it shared an engine call with. Latents of a VAE decoded from values far
 * outside the prior (|z| of 1e38, where the N(0, I) prior puts almost all mass within |z| < 6) are the usual cause.
 */
final class FiniteOutputs {

    private FiniteOutputs() {
    }

    static float[][] decoded(float[][] images, Latents input) {
        for (int i = 0; i < images.length; i++) {
            if (!finite(images[i])) {
                throw new InvalidInferenceInputException(Kind.NON_FINITE_OUTPUT, "decoding input " + i + " gave non-finite pixels"
                        + largest(input, i) + "; the decoder overflows on values that far outside the latent space: "
                        + "send latents drawn from the prior or from /encode (a standard normal prior puts |z| below about 6)");
            }
        }
        return images;
    }

    static LoadedModel.Sampled sampled(LoadedModel.Sampled samples) {
        for (int i = 0; i < samples.images().length; i++) {
            if (!finite(samples.images()[i])
                    || (samples.latents() instanceof Latents.GaussianVectors z && !finite(z.vectors().get(i)))
                    || (samples.latents() instanceof Latents.GaussianMaps z && !finite(z.maps().get(i)))) {
                throw new InvalidInferenceInputException(Kind.NON_FINITE_OUTPUT, "sample " + i + " came out non-finite; "
                        + "try a lower temperature or another seed");
            }
        }
        return samples;
    }

    static LoadedModel.Encoded encoded(LoadedModel.Encoded encoded) {
        List<Latents.GaussianPosteriors.Posterior> posteriors = switch (encoded.latents()) {
            case Latents.GaussianPosteriors p -> p.posteriors();
            case Latents.GaussianMapPosteriors p -> p.posteriors();
            default -> List.of();
        };
        for (int i = 0; i < posteriors.size(); i++) {
            Latents.GaussianPosteriors.Posterior latent = posteriors.get(i);
            if (!finite(latent.mean()) || !finite(latent.logVariance()) || !finite(latent.z())) {
                throw nonFiniteImage("encoding", i);
            }
        }
        if (encoded.vectors() != null) {
            for (int i = 0; i < encoded.vectors().count(); i++) {
                if (!finite(encoded.vectors().vectors().get(i))) {
                    throw nonFiniteImage("encoding", i);
                }
            }
        }
        return encoded;
    }

    static List<LoadedModel.Reconstruction> reconstructed(List<LoadedModel.Reconstruction> reconstructions) {
        for (int i = 0; i < reconstructions.size(); i++) {
            LoadedModel.Reconstruction r = reconstructions.get(i);
            if (!finite(r.pixels()) || !Double.isFinite(r.mse()) || (r.negativeElbo() != null && !Double.isFinite(r.negativeElbo()))) {
                throw nonFiniteImage("reconstructing", i);
            }
        }
        return reconstructions;
    }

    private static InvalidInferenceInputException nonFiniteImage(String operation, int index) {
        return new InvalidInferenceInputException(Kind.NON_FINITE_OUTPUT, operation + " image " + index
                + " gave non-finite numbers; the model cannot represent this image (check that it resembles the training data)");
    }

    private static String largest(Latents input, int index) {
        float @Nullable [] values = switch (input) {
            case Latents.GaussianVectors z -> z.vectors().get(index);
            case Latents.GaussianMaps z -> z.maps().get(index);
            case Latents.UnquantisedVectors vectors -> vectors.vectors().get(index);
            default -> null;
        };
        if (values == null) {
            return "";
        }
        float largest = 0;
        for (float v : values) {
            largest = Math.max(largest, Math.abs(v));
        }
        return " (its largest magnitude is " + largest + ")";
    }

    static boolean finite(float[] values) {
        for (float v : values) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }
}
