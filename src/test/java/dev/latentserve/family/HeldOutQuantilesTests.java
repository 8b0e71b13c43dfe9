package dev.latentserve.family;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HeldOutQuantilesTests {

    private static final ImageShape SHAPE = new ImageShape(1, 2, 2);

    @Test
    void codeScoresGiveQuantilesOfTheTotalAndOfEachLevel() {
        // 101 images whose top level costs i and bottom level 3i nats, in shuffled order: every quantile is an image.
        List<Scoring.Score> scores = new ArrayList<>();
        for (int i = 0; i <= 100; i++) {
            int n = (i * 37) % 101;
            Map<String, Double> levels = new LinkedHashMap<>();
            levels.put("top", (double) n);
            levels.put("bottom", 3.0 * n);
            scores.add(new Scoring.CodeLikelihood(levels, 4.0 * n, 0.01));
        }
        Map<String, Object> metrics = HeldOutQuantiles.metrics(scores);

        assertThat(metrics).containsOnlyKeys(HeldOutQuantiles.CODES_METRIC);
        Map<String, List<Double>> quantiles = HeldOutQuantiles.codeQuantiles(metrics);
        assertThat(quantiles).containsOnlyKeys("total", "top", "bottom");
        assertThat(List.copyOf(quantiles.keySet())).containsExactly("total", "top", "bottom");
        for (int q = 0; q <= 100; q++) {
            assertThat(quantiles.get("total").get(q)).isCloseTo(4.0 * q, within(1e-12));
            assertThat(quantiles.get("top").get(q)).isCloseTo(q, within(1e-12));
            assertThat(quantiles.get("bottom").get(q)).isCloseTo(3.0 * q, within(1e-12));
        }
        // "Worse than 99.5% of the test set": half-way between the two worst totals.
        assertThat(HeldOutScoring.percentile(quantiles.get("total"), 398)).isCloseTo(99.5, within(1e-12));
    }

    @Test
    void gaussianScoresGiveTheNegativeElboQuantilesUnderTheVaeMetric() {
        List<Scoring.Score> scores = List.of(new Scoring.Bounds(30, null, 29), new Scoring.Bounds(10, null, 9),
                new Scoring.Bounds(20, null, 19));
        Map<String, Object> metrics = HeldOutQuantiles.metrics(scores);

        assertThat(metrics).containsOnlyKeys(HeldOutScoring.METRIC);
        List<Double> quantiles = HeldOutQuantiles.quantileList(metrics.get(HeldOutScoring.METRIC));
        assertThat(quantiles).hasSize(101);
        assertThat(quantiles.getFirst()).isEqualTo(10.0);
        assertThat(quantiles.get(50)).isEqualTo(20.0);
        assertThat(quantiles.getLast()).isEqualTo(30.0);
        assertThat(HeldOutQuantiles.metrics(List.of())).isEmpty();
    }

    @Test
    void aNonFiniteScoreIsRefusedNamingTheImage() {
        List<Scoring.Score> scores = List.of(new Scoring.CodeLikelihood(Map.of("codes", 1.0), 1, 0),
                new Scoring.CodeLikelihood(Map.of("codes", Double.POSITIVE_INFINITY), Double.POSITIVE_INFINITY, 0));
        assertThatThrownBy(() -> HeldOutQuantiles.metrics(scores)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("test image 1");
    }

    @Test
    void manifestEntriesInAnotherFormReadAsNone() {
        assertThat(HeldOutQuantiles.codeQuantiles(Map.of())).isEmpty();
        assertThat(HeldOutQuantiles.codeQuantiles(Map.of(HeldOutQuantiles.CODES_METRIC, List.of(1, 2)))).isEmpty();
        assertThat(HeldOutQuantiles.codeQuantiles(Map.of(HeldOutQuantiles.CODES_METRIC, Map.of("total", List.of(1, 2))))).isEmpty();
        assertThat(HeldOutQuantiles.quantileList(List.of("a"))).isNull();
        assertThat(HeldOutQuantiles.quantileList(null)).isNull();
    }

    @Test
    void testImagesAreScoredInBatchesSeededByTheirIndexAndInOrder() {
        int count = 2 * HeldOutQuantiles.BATCH + 7;
        float[] pixels = new float[count * SHAPE.size()];
        for (int i = 0; i < count; i++) {
            pixels[i * SHAPE.size()] = i;
        }
        RecordingModel model = new RecordingModel();
        List<Scoring.Score> scores = HeldOutQuantiles.scores(model, ImageData.ofFloats(SHAPE, pixels));

        assertThat(model.calls).extracting(call -> call.options()).containsExactly(new Scoring.ScoreOptions(1, 1, 0),
                new Scoring.ScoreOptions(1, 1, 1), new Scoring.ScoreOptions(1, 1, 2));
        assertThat(model.calls).extracting(call -> call.images().length).containsExactly(500, 500, 7);
        assertThat(scores).hasSize(count);
        for (int i = 0; i < count; i++) {
            assertThat(((Scoring.Bounds) scores.get(i)).negativeElbo()).isEqualTo(i);
        }
    }

    @Test
    void aModelThatCannotScoreSaysSoBeforeScoringAnything() {
        Scoring noPrior = new RecordingModel() {
            @Override
            public void checkScore(ScoreOptions options) {
                throw new NoPriorException("no bottom prior");
            }
        };
        assertThatThrownBy(() -> HeldOutQuantiles.scores(noPrior, ImageData.ofFloats(SHAPE, new float[SHAPE.size()])))
                .isInstanceOf(NoPriorException.class);
    }

    /** Scores each image by its first pixel, and remembers every call. */
    private static class RecordingModel implements Scoring {

        final List<ScoreCall> calls = new ArrayList<>();

        @Override
        public void checkScore(ScoreOptions options) {
        }

        @Override
        public List<List<Score>> score(List<ScoreCall> requests) {
            calls.addAll(requests);
            return requests.stream().map(call -> List.<Score>of(java.util.Arrays.stream(call.images())
                    .map(image -> new Bounds(image[0], null, image[0])).toArray(Score[]::new))).toList();
        }
    }
}
