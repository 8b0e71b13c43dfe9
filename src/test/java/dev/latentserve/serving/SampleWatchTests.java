package dev.latentserve.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.anyList;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.latentserve.family.LatentSpec;
import dev.latentserve.family.Latents;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.image.ImageShape;
import dev.latentserve.serving.ServiceOverloadedException.Reason;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;

/** What a /sample request's watch makes of its loop's calls: overall fractions, previews, cancels and their count. */
class SampleWatchTests {

    private static final ImageShape SHAPE = new ImageShape(1, 16, 16);

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final LoadedModel model = mock(LoadedModel.class);
    private final List<SampleWatch.Progress> progress = new ArrayList<>();
    private final List<SampleWatch.Preview> previews = new ArrayList<>();

    private final SampleWatch.Listener listener = new SampleWatch.Listener() {
        @Override
        public int previewEvery() {
            return 2;
        }

        @Override
        public void progress(SampleWatch.Progress event) {
            progress.add(event);
        }

        @Override
        public void preview(SampleWatch.Preview event) {
            previews.add(event);
        }
    };

    private static LatentSpec.CodeHierarchy hierarchy() {
        Map<String, LatentSpec.CodeHierarchy.Level> levels = new LinkedHashMap<>();
        levels.put("top", new LatentSpec.CodeHierarchy.Level(8, 4, List.of(2, 2)));
        levels.put("bottom", new LatentSpec.CodeHierarchy.Level(8, 4, List.of(4, 4)));
        return new LatentSpec.CodeHierarchy(levels, SHAPE, Map.of(), "pixelcnn", List.of("top", "bottom"));
    }

    @Test
    void aHierarchyCountsBothLevelsAndPreviewsItsBottomLevelWithTheFinishedTop() {
        when(model.shape()).thenReturn(SHAPE);
        when(model.decode(anyList())).thenReturn(List.<float[][]>of(new float[][] {new float[256]}));
        SampleWatch watch = new SampleWatch("m", model, hierarchy(), 1, meters, listener);
        int[][][] top = {{{1, 2}, {3, 4}}};
        int[][][] bottom = {{{5, 5, 5, 5}, {6, 6, 6, 6}, {7, 7, 7, 7}, {7, 7, 7, 7}}};

        watch.progress("top", 2, 4);
        watch.preview("top", 1, top);
        watch.levelDone("top", top);
        watch.progress("bottom", 8, 16);
        watch.preview("bottom", 2, bottom);

        assertThat(progress).extracting(SampleWatch.Progress::fraction).containsExactly(2 / 20.0, (4 + 8) / 20.0);
        assertThat(progress).extracting(SampleWatch.Progress::level).containsExactly("top", "bottom");
        // The top level has no bottom codes to decode with: no preview until the bottom level draws.
        assertThat(previews).hasSize(1);
        assertThat(previews.getFirst().fraction()).isEqualTo(12 / 20.0);
        assertThat(previews.getFirst().images().get()).hasDimensions(1, 256);
        @SuppressWarnings("unchecked")
        ArgumentCaptor<List<Latents>> decoded = ArgumentCaptor.forClass(List.class);
        verify(model).decode(decoded.capture());
        Latents.CodeHierarchy codes = (Latents.CodeHierarchy) decoded.getValue().getFirst();
        assertThat(codes.level("top").getFirst()).isDeepEqualTo(top[0]);
        assertThat(codes.level("bottom").getFirst()).isDeepEqualTo(bottom[0]);
    }

    @Test
    void aCancelledRequestIsCountedOnceWithTheFirstReason() {
        SampleWatch watch = new SampleWatch("m", model, hierarchy(), 3, meters, null);
        assertThat(watch.cancelled()).isFalse();
        assertThat(watch.previewEvery()).isZero();

        watch.ended(new CompletionException(new CancellationException()));
        watch.ended(new ServiceOverloadedException(Reason.TIMEOUT, "late", 1));
        watch.stopped("top", 3);
        watch.stopped("bottom", 0);

        assertThat(watch.cancelled()).isTrue();
        assertThat(meters.get("latentserve.sampling.cancelled").tag("reason", "client-gone").counter().count()).isEqualTo(3);
        assertThat(meters.find("latentserve.sampling.cancelled").tag("reason", "inference-timeout").counter()).isNull();
    }

    @Test
    void anAnswerOrAnEngineErrorCancelsNothing() {
        SampleWatch watch = new SampleWatch("m", model, hierarchy(), 1, meters, null);

        watch.ended(null);
        watch.ended(new IllegalStateException("the engine failed"));

        assertThat(watch.cancelled()).isFalse();
    }
}
