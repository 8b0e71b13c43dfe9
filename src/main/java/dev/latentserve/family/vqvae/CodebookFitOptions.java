package dev.latentserve.family.vqvae;

import static dev.latentserve.family.Hyperparameters.integer;

import dev.latentserve.family.Hyperparameters;
import dev.latentserve.family.TrainingMonitor.Phase;
import dev.latentserve.image.ImageShape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Options of a fit-codebook job: Lloyd iterations, encoder outputs to cluster, decoder fine-tuning steps. */
record CodebookFitOptions(int iterations, int vectors, int fineTuneSteps) {

    private static final Set<String> KEYS = Set.of("iterations", "vectors", "fineTuneSteps");
    /** The time of a Lloyd iteration's multiply-add in convolution multiply-adds; see {@link #plan}. */
    private static final int LLOYD_MULTIPLY_ADD_COST = 3;
    /** The time of k-means++ seeding in Lloyd iterations; see {@link #plan}. */
    private static final int SEEDING_ITERATIONS = 4;

    static CodebookFitOptions from(Map<String, Object> requested) {
        Hyperparameters.checkKeys(requested, KEYS, "fit-codebook option");
        return new CodebookFitOptions(integer(requested, "iterations", 25, 1, 1000), integer(requested, "vectors", 100_000, 16, 2_000_000),
                integer(requested, "fineTuneSteps", 0, 0, 1_000_000));
    }

    /**
     * The phases of a fit with these options: {@code kmeans} in Lloyd iterations, then {@code fine-tune} in steps when
     * there are any, weighted by their expected cost in convolution multiply-adds.
     *
     * <p>A fine-tune step runs the encoder, the quantiser (g K D per image on g grid positions) and the decoder forward,
     * and the decoder backward, about twice its forward (gradients of its inputs and of its weights; the frozen encoder
     * needs none). A Lloyd iteration over M vectors does 3 M K D multiply-adds (the distances to assign them, the
     * centroid sums as a one-hot product, the distances again for the objective), but around them it writes and reads
     * M x K arrays (distances, argmin, one-hot) several times, so its multiply-adds run slower than a convolution's:
     * about 3 times (1.6 to 4.3 in three rough runs on the shared 2-core VM, 100,000
     * vectors, K 64, D 32, against fine-tune steps of 128 28x28 images with the default architecture). The phase also
     * encodes the vectors' images (forward only) and seeds the centres by k-means++, K element-wise passes over the M x D
     * vectors with a transfer to the host each, which took 3.3 to 5.8 Lloyd iterations' time in those runs: counted as 4.
     *
     * @param vectors encoder outputs that k-means clusters
     * @param batch images per fine-tune step
     */
    List<Phase> plan(VqVaeArchitecture architecture, ImageShape shape, long vectors, int batch) {
        double codebook = (double) architecture.codes() * architecture.codeDim();
        long grid = (long) architecture.gridHeight(shape) * architecture.gridWidth(shape);
        double lloyd = LLOYD_MULTIPLY_ADD_COST * 3 * vectors * codebook;
        double kmeans = lloyd * (iterations + SEEDING_ITERATIONS) + (double) vectors / grid * architecture.encoderMultiplyAdds(shape);
        Phase clustering = new Phase(VqVaeFamily.KMEANS, "Lloyd iterations", 1, kmeans);
        if (fineTuneSteps == 0) {
            return List.of(clustering);
        }
        double step = batch * (architecture.encoderMultiplyAdds(shape) + grid * codebook + 3.0 * architecture.decoderMultiplyAdds(shape));
        return List.of(clustering, new Phase(VqVaeFamily.FINE_TUNE, "fine-tune steps", 1, fineTuneSteps * step));
    }

    Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("iterations", iterations);
        map.put("vectors", vectors);
        map.put("fineTuneSteps", fineTuneSteps);
        return map;
    }

}
