package dev.latentserve.family;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.latentserve.family.LoadedModel.SampleOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RasterSamplingTests {

    private static final int HEIGHT = 5;
    private static final int WIDTH = 4;
    private static final int CODES = 6;
    private static final int CELLS = HEIGHT * WIDTH;

    /** A causal stand-in for a prior: each sample's logits depend on its own earlier codes only, as a PixelCNN's do. */
    private static final class FakePrior implements RasterSampling.Logits {

        final List<boolean[]> liveSeen = new ArrayList<>();
        int passes;

        @Override
        public float[] at(long[] maps, int row, int column) {
            passes++;
            int n = maps.length / CELLS;
            float[] values = new float[n * CODES];
            for (int s = 0; s < n; s++) {
                long history = 0;
                for (int cell = 0; cell < row * WIDTH + column; cell++) {
                    history = history * 31 + maps[s * CELLS + cell] + 1;
                }
                for (int k = 0; k < CODES; k++) {
                    values[s * CODES + k] = (float) (3 * Math.sin(k * 1.3 + (history % 1000) * 0.7 + row * 0.1 + column * 0.2));
                }
            }
            return values;
        }

        @Override
        public float[] at(long[] maps, int row, int column, boolean[] live) {
            liveSeen.add(live.clone());
            return at(maps, row, column);
        }
    }

    /** Cancels itself before position {@code at} and records what the loop told it. */
    private static final class Watch implements SamplingWatch {

        final int cancelAt;
        final int previewEvery;
        final AtomicInteger polls = new AtomicInteger();
        final List<Integer> progress = new ArrayList<>();
        final List<int[][][]> previews = new ArrayList<>();
        final List<Integer> previewRows = new ArrayList<>();
        int[][][] done;
        int stoppedAt = -1;

        Watch(int cancelAt, int previewEvery) {
            this.cancelAt = cancelAt;
            this.previewEvery = previewEvery;
        }

        @Override
        public boolean cancelled() {
            return polls.getAndIncrement() >= cancelAt;
        }

        @Override
        public void stopped(String level, int position) {
            stoppedAt = position;
        }

        @Override
        public void progress(String level, int position, int positions) {
            assertThat(positions).isEqualTo(CELLS);
            progress.add(position);
        }

        @Override
        public int previewEvery() {
            return previewEvery;
        }

        @Override
        public void preview(String level, int rows, int[][][] grids) {
            previewRows.add(rows);
            previews.add(grids);
        }

        @Override
        public void levelDone(String level, int[][][] grids) {
            done = grids;
        }
    }

    private static long[] draw(FakePrior prior, SampleOptions... requests) {
        List<SampleOptions> list = List.of(requests);
        return RasterSampling.draw(list, "codes", RasterSampling.generators(list), HEIGHT, WIDTH, CODES, prior);
    }

    @Test
    void cancellingOneRequestLeavesTheOthersCodesAsTheyAre() {
        SampleOptions first = new SampleOptions(2, 7, 1.0, null);
        SampleOptions third = new SampleOptions(3, 9, 0.7, 4);
        long[] uncancelled = draw(new FakePrior(), first, new SampleOptions(2, 8, 1.0, null), third);

        Watch cancelling = new Watch(6, 0);
        FakePrior prior = new FakePrior();
        long[] cancelled = draw(prior, first, new SampleOptions(2, 8, 1.0, null).watchedBy(cancelling), third);

        assertThat(Arrays.copyOfRange(cancelled, 0, 2 * CELLS)).containsExactly(Arrays.copyOfRange(uncancelled, 0, 2 * CELLS));
        assertThat(Arrays.copyOfRange(cancelled, 4 * CELLS, 7 * CELLS))
                .containsExactly(Arrays.copyOfRange(uncancelled, 4 * CELLS, 7 * CELLS));
        // Alone, the others draw the same codes too: neither the batch nor the cancel changes them.
        assertThat(Arrays.copyOfRange(cancelled, 0, 2 * CELLS)).containsExactly(draw(new FakePrior(), first));
        // The cancelled request drew its first 6 positions and nothing after; the prior was told its rows are dead.
        for (int s = 2; s < 4; s++) {
            assertThat(Arrays.copyOfRange(cancelled, s * CELLS, s * CELLS + 6))
                    .containsExactly(Arrays.copyOfRange(uncancelled, s * CELLS, s * CELLS + 6));
            assertThat(Arrays.copyOfRange(cancelled, s * CELLS + 6, (s + 1) * CELLS)).containsOnly(0L);
        }
        assertThat(cancelling.stoppedAt).isEqualTo(6);
        assertThat(cancelling.progress).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(prior.liveSeen.get(5)).containsExactly(true, true, true, true, true, true, true);
        assertThat(prior.liveSeen.get(6)).containsExactly(true, true, false, false, true, true, true);
        assertThat(prior.passes).isEqualTo(CELLS);
    }

    @Test
    void theLoopEndsBetweenPositionsOnceEveryRequestIsCancelled() {
        Watch a = new Watch(3, 0);
        Watch b = new Watch(5, 0);
        FakePrior prior = new FakePrior();

        assertThatThrownBy(() -> draw(prior, new SampleOptions(1, 1, 1.0, null).watchedBy(a),
                new SampleOptions(1, 2, 1.0, null).watchedBy(b)))
                .isInstanceOf(SamplingCancelledException.class)
                .hasMessageContaining("position 5 of level codes");
        assertThat(prior.passes).isEqualTo(5);
        assertThat(a.stoppedAt).isEqualTo(3);
        assertThat(b.stoppedAt).isEqualTo(5);
    }

    @Test
    void aCancelledRequestStopsWithinOnePositionOfASlowPrior() {
        AtomicBoolean cancel = new AtomicBoolean();
        AtomicInteger passes = new AtomicInteger();
        RasterSampling.Logits slow = (maps, row, column) -> {
            passes.incrementAndGet();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new float[maps.length / CELLS * CODES];
        };
        SamplingWatch watch = new SamplingWatch() {
            @Override
            public boolean cancelled() {
                return cancel.get();
            }
        };
        Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(120);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            cancel.set(true);
        });
        long started = System.nanoTime();
        List<SampleOptions> requests = List.of(new SampleOptions(1, 1, 1.0, null).watchedBy(watch));

        assertThatThrownBy(() -> RasterSampling.draw(requests, "codes", RasterSampling.generators(requests), HEIGHT, WIDTH,
                CODES, slow)).isInstanceOf(SamplingCancelledException.class);
        long millis = (System.nanoTime() - started) / 1_000_000;
        // Cancelled at 120 ms, during the third 50 ms pass: the loop ends when that pass returns, 150 ms in.
        assertThat(millis).isBetween(120L, 120L + 50 + 40);
        assertThat(passes.get()).isEqualTo(3);
    }

    @Test
    void reportsEachPositionPreviewsEveryFewRowsAndTheFinishedMaps() {
        Watch watch = new Watch(Integer.MAX_VALUE, 2);
        FakePrior prior = new FakePrior();
        long[] maps = draw(prior, new SampleOptions(2, 3, 1.0, null).watchedBy(watch));

        assertThat(watch.progress).hasSize(CELLS).startsWith(1, 2).endsWith(CELLS);
        // Rows 2 and 4 of 5; the last row gives the finished maps instead.
        assertThat(watch.previewRows).containsExactly(2, 4);
        int[][][] first = watch.previews.getFirst();
        for (int s = 0; s < 2; s++) {
            // The unsampled positions take the prior's likeliest code at the last position drawn, (1, 3).
            float[] last = prior.at(Arrays.copyOf(maps, maps.length), 1, WIDTH - 1);
            int likeliest = 0;
            for (int k = 1; k < CODES; k++) {
                likeliest = last[s * CODES + k] > last[s * CODES + likeliest] ? k : likeliest;
            }
            for (int row = 0; row < HEIGHT; row++) {
                for (int column = 0; column < WIDTH; column++) {
                    int expected = row < 2 ? (int) maps[s * CELLS + row * WIDTH + column] : likeliest;
                    assertThat(first[s][row][column]).isEqualTo(expected);
                }
            }
        }
        assertThat(watch.done).isDeepEqualTo(RasterSampling.grids(maps, 2, HEIGHT, WIDTH));
    }

    @Test
    void watchingChangesNoCode() {
        long[] plain = draw(new FakePrior(), new SampleOptions(3, 11, 0.9, 3));
        long[] watched = draw(new FakePrior(), new SampleOptions(3, 11, 0.9, 3).watchedBy(new Watch(Integer.MAX_VALUE, 1)));

        assertThat(watched).containsExactly(plain);
    }
}
