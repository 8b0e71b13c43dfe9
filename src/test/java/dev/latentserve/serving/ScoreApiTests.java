package dev.latentserve.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.latentserve.family.Scoring;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScoreApiTests {

    @Test
    void aCodeScoreReadsItsPercentilesOffTheTestQuantilesOfTotalAndLevels() {
        Map<String, List<Double>> quantiles = new LinkedHashMap<>();
        quantiles.put("total", range(0, 4));
        quantiles.put("top", range(0, 1));
        quantiles.put("bottom", range(0, 3));
        Map<String, Double> levels = new LinkedHashMap<>();
        levels.put("top", 25.5);
        levels.put("bottom", 1000.0);
        ScoreApi.CodeScoreJson json = ScoreApi.CodeScoreJson.of(new Scoring.CodeLikelihood(levels, 1025.5, 0.02), quantiles);

        assertThat(json.negativeLogPrior()).isEqualTo(levels);
        assertThat(json.negativeLogPriorTotal()).isEqualTo(1025.5);
        assertThat(json.mse()).isEqualTo(0.02);
        assertThat(json.percentile()).isEqualTo(100.0);
        assertThat(json.levelPercentiles().get("top")).isCloseTo(25.5, within(1e-12));
        assertThat(json.levelPercentiles().get("bottom")).isEqualTo(100.0);
    }

    @Test
    void withoutTestQuantilesACodeScoreHasNoPercentiles() {
        ScoreApi.CodeScoreJson json = ScoreApi.CodeScoreJson.of(new Scoring.CodeLikelihood(Map.of("codes", 12.0), 12, 0.1), Map.of());
        assertThat(json.percentile()).isNull();
        assertThat(json.levelPercentiles()).isEmpty();
    }

    /** The 101 quantiles from + step x q. */
    private static List<Double> range(double from, double step) {
        List<Double> values = new ArrayList<>();
        for (int q = 0; q <= 100; q++) {
            values.add(from + step * q);
        }
        return values;
    }
}
