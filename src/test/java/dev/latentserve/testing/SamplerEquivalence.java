package dev.latentserve.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latentserve.family.Completing;
import dev.latentserve.family.Completing.CompleteCall;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.LoadedModel.SampleOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Incremental sampling against the full-pass sampler on one model loaded both ways: the same codes for every seed,
 * temperature and topK, for requests alone and batched together, and for completions. Codes are compared exactly; the
 * images decoded from them to {@link Rows#TOLERANCE}.
 */
public final class SamplerEquivalence {

    private static final double[] TEMPERATURES = {0.3, 1.0, 2.5};
    private static final Integer[] TOP_K = {null, 1, 2, 5};

    private SamplerEquivalence() {
    }

    /**
     * @param levels the model's level names, to give each level its own temperature in some requests (empty for one level)
     * @param image an image to complete, with its top {@code knownPixels} pixels known
     * @param batches how many batches of four requests to compare, at most 12; batch i samples at temperature
     *     {0.3, 1, 2.5}[i mod 3] and topK {none, 1, 2, 5}[i mod 4], so 12 cover every pair and 4 every value
     * @return how many code maps were compared
     */
    public static int assertSameCodes(LoadedModel incremental, LoadedModel fullPass, List<String> levels, float[] image,
            int knownPixels, int batches) {
        int compared = 0;
        Set<String> distinct = new HashSet<>();
        long seed = 0;
        for (int b = 0; b < batches; b++) {
            double temperature = TEMPERATURES[b % TEMPERATURES.length];
            Integer topK = TOP_K[b % TOP_K.length];
            // Four requests of different counts in one batch, each with its own generator.
            List<SampleOptions> batch = new ArrayList<>();
            for (int count : new int[] {1, 3, 2, 1}) {
                batch.add(new SampleOptions(count, seed++, temperature, topK, levelTemperatures(levels, seed)));
            }
            List<LoadedModel.Sampled> fast = incremental.sample(batch);
            List<LoadedModel.Sampled> slow = fullPass.sample(batch);
            for (int r = 0; r < batch.size(); r++) {
                assertThat(fast.get(r).latents()).as("codes of %s", batch.get(r)).usingRecursiveComparison()
                        .isEqualTo(slow.get(r).latents());
                Rows.assertClose(fast.get(r).images(), slow.get(r).images());
                distinct.add(String.valueOf(Arrays.deepHashCode(fast.get(r).images())));
                compared += batch.get(r).count();
            }
        }
        // The comparison can fail: the seeds give different maps, so a sampler that ignored its logits would show.
        assertThat(distinct).hasSizeGreaterThan(batches * 3);
        boolean[] known = new boolean[image.length];
        Arrays.fill(known, 0, knownPixels, true);
        List<CompleteCall> calls = List.of(new CompleteCall(image, known, new SampleOptions(3, 7, 1.0, null)),
                new CompleteCall(image, known, new SampleOptions(2, 8, 0.5, 3)));
        List<Completing.Completed> fast = ((Completing) incremental).complete(calls);
        List<Completing.Completed> slow = ((Completing) fullPass).complete(calls);
        for (int c = 0; c < calls.size(); c++) {
            assertThat(fast.get(c).codes()).as("completed codes of call %d", c).usingRecursiveComparison()
                    .isEqualTo(slow.get(c).codes());
            compared += calls.get(c).options().count();
        }
        return compared;
    }

    /** Every other request gives the first level a temperature of its own. */
    private static Map<String, Double> levelTemperatures(List<String> levels, long seed) {
        return levels.isEmpty() || seed % 2 == 0 ? Map.of() : Map.of(levels.getFirst(), 0.7);
    }
}
