package dev.latentserve.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.latentserve.family.EpochMetrics;
import dev.latentserve.family.TrainingMonitor.Phase;
import dev.latentserve.family.TrainingMonitor.StepProgress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** The live-progress arithmetic on a fake clock: fractions per phase, the weighted whole, and the time left for all of it. */
class ProgressTrackerTests {

    private static final long SECOND = 1_000_000_000L;
    /** k-means: 1 pass of 10 Lloyd iterations, weight 1; fine-tune: 1 pass of 30 steps, three times as long. */
    private static final List<Phase> CODEBOOK_FIT = List.of(new Phase("kmeans", "Lloyd iterations", 1, 1),
            new Phase("fine-tune", "fine-tune steps", 1, 3));

    private final AtomicLong now = new AtomicLong(1_000 * SECOND);

    @Test
    void theEtaCoversEveryPhaseNotOnlyTheOneUnderWay() {
        ProgressTracker tracker = new ProgressTracker(JobKind.training(10), null, now::get);
        tracker.plan(CODEBOOK_FIT);
        at(2, tracker, new StepProgress("kmeans", 1, 1, 10, Double.NaN, 0));
        at(20, tracker, new StepProgress("kmeans", 1, 10, 10, Double.NaN, 0));

        JobProgress progress = tracker.snapshot();
        assertThat(progress.phase()).isEqualTo("kmeans");
        assertThat(progress.unit()).isEqualTo("Lloyd iterations");
        assertThat(progress.epochs()).as("the phase's passes, not the train default of 10").isEqualTo(1);
        assertThat(progress.phases()).containsExactly(new JobProgress.PhaseProgress("kmeans", "Lloyd iterations", 1, 1.0),
                new JobProgress.PhaseProgress("fine-tune", "fine-tune steps", 1, 0.0));
        // W = 1 * 1 / 4; the rest takes 20 s / 0.25 * 0.75.
        assertThat(progress.fraction()).isEqualTo(0.25);
        assertThat(progress.etaSeconds()).isCloseTo(60.0, within(1e-9));

        at(35, tracker, new StepProgress("fine-tune", 1, 6, 30, 0.02, 500));
        progress = tracker.snapshot();
        // W = (1 + 3 * 6 / 30) / 4 = 0.4; 35 s / 0.4 * 0.6.
        assertThat(progress.fraction()).isCloseTo(0.4, within(1e-12));
        assertThat(progress.etaSeconds()).isCloseTo(52.5, within(1e-9));
        assertThat(progress.unit()).isEqualTo("fine-tune steps");
        assertThat(progress.lastLoss()).isEqualTo(0.02);
    }

    @Test
    void aResumedPhaseReplacesOnlyItsOwnEpochsInTheHistory() {
        ProgressTracker tracker = new ProgressTracker(JobKind.training(2), null, now::get);
        tracker.plan(List.of(new Phase("top", "epochs", 2, 1), new Phase("bottom", "epochs", 2, 3)));
        EpochMetrics top1 = epoch(1, "top");
        EpochMetrics top2 = epoch(2, "top");
        EpochMetrics bottom1 = epoch(1, "bottom");
        // A second attempt: the top level's checkpoint is complete, the bottom's holds one epoch.
        tracker.resumed(3, 0, List.of(top1, top2));
        tracker.resumed(2, 0, List.of(bottom1));
        assertThat(tracker.snapshot().history()).containsExactly(top1, top2, bottom1);
        // A phase resumed again replaces its own entries, not the others'.
        tracker.resumed(2, 0, List.of(bottom1));
        assertThat(tracker.snapshot().history()).containsExactly(top1, top2, bottom1);
    }

    private static EpochMetrics epoch(int epoch, String phase) {
        return new EpochMetrics(phase, epoch, 2.0, 2.5, Map.of(), Map.of(), 100);
    }

    @Test
    void phasesOfSeveralEpochsCountEveryPassAndWeighTheirShare() {
        // A VQ-VAE-2 prior fit: the bottom prior runs about three times as long as the top.
        List<Phase> plan = List.of(new Phase("top", "epochs", 2, 1), new Phase("bottom", "epochs", 2, 3));
        ProgressTracker tracker = new ProgressTracker(JobKind.training(2), null, now::get);
        tracker.plan(plan);
        at(1, tracker, new StepProgress("top", 1, 1, 8, 3.5, 100));
        at(10, tracker, new StepProgress("top", 2, 4, 8, 3.0, 100));

        // Top: (8 + 4) / 16 = 0.75 done; W = 0.75 / 4.
        assertThat(tracker.snapshot().phases().getFirst().done()).isEqualTo(0.75);
        assertThat(tracker.snapshot().fraction()).isEqualTo(0.1875);
        assertThat(tracker.snapshot().etaSeconds()).isCloseTo(10 / 0.1875 * 0.8125, within(1e-9));
    }

    @Test
    void aResumedAttemptIsTimedOnTheWorkItDoesItself() {
        ProgressTracker tracker = new ProgressTracker(JobKind.training(2), null, now::get);
        tracker.resumed(2, 0, List.of(new EpochMetrics(1, 2.0, 2.1, Map.of(), Map.of(), 50)));
        at(5, tracker, new StepProgress(Phase.TRAIN, 2, 1, 10, 1.0, 50));
        at(10, tracker, new StepProgress(Phase.TRAIN, 2, 5, 10, 1.0, 50));

        JobProgress progress = tracker.snapshot();
        // Half was done before this attempt (its first step started at 10 of 20): 5 steps in 10 s, 5 left.
        assertThat(progress.fraction()).isEqualTo(0.75);
        assertThat(progress.etaSeconds()).isCloseTo(10.0 / 0.25 * 0.25, within(1e-9));
        assertThat(progress.resumedFromEpoch()).isEqualTo(2);
        assertThat(progress.resumedFromStep()).isZero();
        assertThat(progress.history()).hasSize(1);
    }

    @Test
    void aRunWithoutAPlanIsOneTrainPhaseOfTheRequestsEpochs() {
        ProgressTracker tracker = new ProgressTracker(JobKind.training(4), null, now::get);
        at(2, tracker, new StepProgress(1, 1, 5, 1.2, 80));
        at(8, tracker, new StepProgress(1, 5, 5, 1.0, 80));

        JobProgress progress = tracker.snapshot();
        assertThat(progress.phase()).isEqualTo(Phase.TRAIN);
        assertThat(progress.epochs()).isEqualTo(4);
        assertThat(progress.fraction()).isEqualTo(0.25);
        assertThat(progress.etaSeconds()).isCloseTo(24.0, within(1e-9));
    }

    @Test
    void aSucceededJobHasNoTimeLeftAndAStoppedOneNoEstimate() {
        ProgressTracker tracker = new ProgressTracker(CODEBOOK_FIT, null, now::get);
        at(20, tracker, new StepProgress("fine-tune", 1, 3, 30, 0.1, 10));

        assertThat(tracker.stopped().etaSeconds()).isNull();
        assertThat(tracker.stopped().fraction()).isCloseTo(0.325, within(1e-12));

        tracker.succeeded();
        JobProgress done = tracker.snapshot();
        assertThat(done.etaSeconds()).isZero();
        assertThat(done.fraction()).isEqualTo(1.0);
        assertThat(done.phases()).extracting(JobProgress.PhaseProgress::done).containsExactly(1.0, 1.0);
    }

    @Test
    void aQueuedJobShowsItsKindsPlanAndNoEstimate() {
        JobProgress queued = ProgressTracker.initial(CODEBOOK_FIT);

        assertThat(queued.phase()).isEqualTo("kmeans");
        assertThat(queued.epochs()).isEqualTo(1);
        assertThat(queued.fraction()).isZero();
        assertThat(queued.etaSeconds()).isNull();
        assertThat(queued.phases()).extracting(JobProgress.PhaseProgress::name).containsExactly("kmeans", "fine-tune");
    }

    @Test
    void aStepOfAPhaseOutsideThePlanLeavesTheWholeUnknown() {
        ProgressTracker tracker = new ProgressTracker(CODEBOOK_FIT, null, now::get);
        at(3, tracker, new StepProgress("surprise", 1, 1, 2, 0.5, 10));

        JobProgress progress = tracker.snapshot();
        assertThat(progress.phase()).isEqualTo("surprise");
        assertThat(progress.unit()).isNull();
        assertThat(progress.fraction()).isNull();
        assertThat(progress.etaSeconds()).isNull();
    }

    @Test
    void progressStoredBeforeJobsHadPhasesStillReads() {
        String stored = """
                {"epoch": 2, "epochs": 10, "step": 5, "stepsPerEpoch": 16, "lastLoss": 231.5, "imagesPerSecond": 900.0,
                 "etaSeconds": 12.5, "history": [], "resumedFromEpoch": null, "resumedFromStep": null}""";

        JobProgress progress = JsonMapper.builder().build().readValue(stored, JobProgress.class);

        assertThat(progress.epochs()).isEqualTo(10);
        assertThat(progress.phase()).isNull();
        assertThat(progress.phases()).isEmpty();
        assertThat(progress.fraction()).isNull();
    }

    /** Reports {@code step} {@code seconds} after the tracker was made. */
    private void at(long seconds, ProgressTracker tracker, StepProgress step) {
        now.set(1_000 * SECOND + seconds * SECOND);
        tracker.step(step);
    }
}
