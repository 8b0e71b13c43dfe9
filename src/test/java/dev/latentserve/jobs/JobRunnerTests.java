package dev.latentserve.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import dev.latentserve.config.StorageProperties;
import dev.latentserve.datasets.DatasetProperties;
import dev.latentserve.datasets.DatasetService;
import dev.latentserve.family.ModelFamilies;
import dev.latentserve.family.SamplingLimits;
import dev.latentserve.family.TrainingDivergedException;
import dev.latentserve.image.ImageShape;
import dev.latentserve.registry.ModelManifest;
import dev.latentserve.registry.ModelReference;
import dev.latentserve.registry.ModelRegistry;
import dev.latentserve.testing.SyntheticImages;
import dev.latentserve.testing.TestFiles;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;
import org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * The job lifecycle around a {@link FakeFamily} that trains at once, on the real job beans, registry and datasets over
 * an in-memory H2 database. The job engine is left out: each test submits through {@link JobService} and hands the job
 * to {@link JobRunner#run} itself, as the engine's worker thread would, so nothing waits on a clock.
 */
@SpringJUnitConfig(JobRunnerTests.Config.class)
class JobRunnerTests {

    @Autowired
    JobService jobs;
    @Autowired
    JobRunner runner;
    @Autowired
    ModelRegistry registry;
    @Autowired
    DatasetService datasets;
    @Autowired
    FakeFamily family;

    String dataset;
    String model;

    @BeforeEach
    void freshModelAndDataset() throws IOException {
        family.reset();
        model = "fake-" + UUID.randomUUID().toString().substring(0, 8);
        dataset = datasets.create(new ByteArrayInputStream(TestFiles.idx(SyntheticImages.blobs(new ImageShape(1, 8, 8), 16, 1))),
                "blobs").id();
    }

    @Test
    void aSuccessfulRunPublishesOneVersionAndShowsItsFigures() {
        Job queued = submit(2);
        assertThat(queued.state()).isEqualTo(JobState.QUEUED);
        assertThat(queued.progress().phase()).isEqualTo("train");
        assertThat(queued.progress().epochs()).as("the train kind's plan until the family announces its own").isEqualTo(2);

        runner.run(queued.id());

        Job done = jobs.get(queued.id());
        assertThat(done.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(done.attempts()).isEqualTo(1);
        assertThat(done.resultVersion()).isEqualTo(1);
        assertThat(registry.summary(model).versions()).as("published once").hasSize(1);
        ModelManifest manifest = registry.resolve(new ModelReference(model, 1));
        assertThat(registry.directory(manifest).resolve(FakeFamily.FILE)).hasContent("trained");
        assertThat(manifest.metrics()).containsEntry("testNegativeElbo", 1.25);
        assertThat(done.outcome()).containsExactly(Map.entry("unit", "nats per image"), Map.entry("testNegativeElbo", 1.25),
                Map.entry("trainNegativeElbo", 1.5));

        JobProgress progress = done.progress();
        assertThat(progress.phase()).isEqualTo(FakeFamily.MAIN);
        assertThat(progress.unit()).isEqualTo("epochs");
        assertThat(progress.epoch()).isEqualTo(2);
        assertThat(progress.epochs()).isEqualTo(2);
        assertThat(progress.phases()).containsExactly(new JobProgress.PhaseProgress(FakeFamily.WARM_UP, "epochs", 1, 1.0),
                new JobProgress.PhaseProgress(FakeFamily.MAIN, "epochs", 2, 1.0));
        assertThat(progress.fraction()).isEqualTo(1.0);
        assertThat(progress.etaSeconds()).as("nothing left once SUCCEEDED").isEqualTo(0.0);
        assertThat(progress.history()).hasSize(3);
    }

    @Test
    void liveProgressFollowsTheAnnouncedPlan() {
        Job queued = submit(2);
        List<JobProgress> seen = new ArrayList<>();
        family.atEveryStep(step -> seen.add(runner.liveProgress(queued.id()).orElseThrow()));

        runner.run(queued.id());

        assertThat(seen).hasSize(FakeFamily.STEPS * 3);
        JobProgress firstOfMain = seen.get(FakeFamily.STEPS);
        assertThat(firstOfMain.phase()).isEqualTo(FakeFamily.MAIN);
        assertThat(firstOfMain.phases()).extracting(JobProgress.PhaseProgress::done).containsExactly(1.0, 0.25);
        // Warm-up (weight 1) done, a quarter of main (weight 3): (1 + 0.75) / 4.
        assertThat(firstOfMain.fraction()).isEqualTo(0.4375);
        assertThat(seen).extracting(JobProgress::fraction).isSorted();
    }

    @Test
    void aDivergedRunFailsAtOnceWithoutARetry() {
        Job queued = submit(1);
        family.failNextRunWith(new TrainingDivergedException("loss became NaN at epoch 1, step 1"));

        runner.run(queued.id());

        Job failed = jobs.get(queued.id());
        assertThat(failed.state()).isEqualTo(JobState.FAILED);
        assertThat(failed.error()).isEqualTo("loss became NaN at epoch 1, step 1");
        assertThat(failed.attempts()).isEqualTo(1);
        assertThat(failed.outcome()).isNull();
        assertThat(failed.progress().etaSeconds()).isNull();
        assertThat(family.runs()).isEqualTo(1);
        assertThat(registry.list()).noneMatch(summary -> summary.name().equals(model));
    }

    @Test
    void aTransientFailureGoesBackToTheQueueAndTheRetrySucceeds() {
        Job queued = submit(1);
        family.failNextRunWith(new IOException("No space left on device"));

        assertThatThrownBy(() -> runner.run(queued.id())).as("throwing asks the engine to run it again")
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("failed transiently");
        Job requeued = jobs.get(queued.id());
        assertThat(requeued.state()).isEqualTo(JobState.QUEUED);
        assertThat(requeued.error()).isEqualTo("attempt 1 failed: IOException: No space left on device");
        assertThat(requeued.progress().etaSeconds()).isNull();

        runner.run(queued.id());

        Job done = jobs.get(queued.id());
        assertThat(done.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(done.attempts()).isEqualTo(2);
        assertThat(family.runs()).isEqualTo(2);
        assertThat(registry.summary(model).versions()).hasSize(1);
    }

    @Test
    void aCancelledRunStopsAtItsNextStepAndPublishesNothing() {
        Job queued = submit(2);
        family.atEveryStep(step -> {
            if (step.phase().equals(FakeFamily.MAIN)) {
                Job cancelling = jobs.cancel(queued.id());
                assertThat(cancelling.state()).isEqualTo(JobState.RUNNING);
                assertThat(cancelling.cancelRequested()).as("the answer shows the cancel was taken").isTrue();
            }
        });

        assertThat(queued.cancelRequested()).isFalse();
        runner.run(queued.id());

        Job cancelled = jobs.get(queued.id());
        assertThat(cancelled.state()).isEqualTo(JobState.CANCELLED);
        assertThat(cancelled.error()).isEqualTo("cancelled by request");
        assertThat(cancelled.progress().phase()).isEqualTo(FakeFamily.MAIN);
        assertThat(cancelled.progress().step()).as("stopped within one step").isEqualTo(1);
        assertThat(cancelled.progress().etaSeconds()).isNull();
        assertThat(registry.list()).noneMatch(summary -> summary.name().equals(model));
    }

    @Test
    void anUnknownJobTypeIsRefusedNamingTheKnownOnes() {
        JobRequest paint = new JobRequest("paint", model, FakeFamily.NAME, dataset, null, null, null, 1, 8, null, null, null,
                null);

        assertThatThrownBy(() -> jobs.submit(paint)).isInstanceOf(JobRejectedException.class)
                .hasMessage("job type 'paint' is not supported; use 'fit-codebook', 'fit-prior', 'sample' or 'train'");
        assertThat(jobs.list(1000)).noneMatch(job -> job.model().equals(model));
    }

    @Test
    void aQuickRunTrainsOnTheFirstImagesAndSaysHowMany() throws IOException {
        JobRequest quick = new JobRequest(TrainJobKind.NAME, model, FakeFamily.NAME, dataset, null, 10, 100, 1, 8, null, null,
                null, null);

        Job queued = jobs.submit(quick);

        assertThat(queued.request().trainImages()).isEqualTo(10);
        assertThat(queued.request().testImages()).as("at most the dataset's 16").isEqualTo(16);
        runner.run(queued.id());
        assertThat(jobs.get(queued.id()).state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(registry.resolve(new ModelReference(model, 1)).training()).containsEntry("trainImages", 10)
                .containsEntry("testImages", 16);
        assertThat(submit(1).request()).as("all images when not given")
                .extracting(JobRequest::trainImages, JobRequest::testImages).containsExactly(16, 16);
    }

    @Test
    void aBatchLargerThanTheImagesUsedIsRefused() {
        JobRequest quick = new JobRequest(TrainJobKind.NAME, model, FakeFamily.NAME, dataset, null, 4, null, 1, 8, null, null,
                null, null);

        assertThatThrownBy(() -> jobs.submit(quick)).isInstanceOf(JobRejectedException.class)
                .hasMessage("batchSize 8 is larger than the 4 training images used (trainImages; the dataset has 16)");
    }

    @Test
    void aMissingFashionMnistDatasetNamesTheImportThatCreatesIt() {
        JobRequest train = JobRequest.train(model, FakeFamily.NAME, "fashion-mnist-train", "fashion-mnist-test", 1, 8, 1e-3, 0,
                Map.of());
        assertThatThrownBy(() -> jobs.submit(train)).isInstanceOf(JobRejectedException.class)
                .hasMessageContaining("unknown dataset 'fashion-mnist-train'; POST /v1/datasets/fashion-mnist imports it");
        JobRequest other = JobRequest.train(model, FakeFamily.NAME, "my-train", null, 1, 8, 1e-3, 0, Map.of());
        assertThatThrownBy(() -> jobs.submit(other)).isInstanceOf(JobRejectedException.class)
                .hasMessageContaining("upload one with POST /v1/datasets");
    }

    private Job submit(int epochs) {
        try {
            return jobs.submit(JobRequest.train(model, FakeFamily.NAME, dataset, dataset, epochs, 8, 1e-3, 0, Map.of()));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The job beans with every kind, over H2 and a temporary data folder; no job engine polls. */
    @Configuration(proxyBeanMethods = false)
    @Import({JobService.class, JobRunner.class, JobRepository.class, JobKinds.class, JobInputs.class, TrainJobKind.class,
            PriorFitJobKind.class, CodebookFitJobKind.class, SampleJobKind.class, JobPreviews.class, TrainingMetrics.class,
            WorkerName.class, ModelFamilies.class, ModelRegistry.class, DatasetService.class})
    static class Config {

        @Bean
        FakeFamily fakeFamily() {
            return new FakeFamily();
        }

        @Bean
        StorageProperties storageProperties() throws IOException {
            return new StorageProperties(Files.createTempDirectory("latentserve-job-runner"));
        }

        @Bean
        DataSource dataSource() {
            SimpleDriverDataSource dataSource = new SimpleDriverDataSource(new org.h2.Driver(),
                    "jdbc:h2:mem:job-runner-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "sa", "");
            Flyway.configure().dataSource(dataSource).load().migrate();
            return dataSource;
        }

        @Bean
        PlatformTransactionManager transactionManager(DataSource dataSource) {
            return new DataSourceTransactionManager(dataSource);
        }

        @Bean
        TransactionTemplate transactionTemplate(PlatformTransactionManager transactions) {
            return new TransactionTemplate(transactions);
        }

        @Bean
        JdbcClient jdbcClient(DataSource dataSource) {
            return JdbcClient.create(dataSource);
        }

        @Bean
        JsonMapper jsonMapper() {
            return JsonMapper.builder().build();
        }

        @Bean
        OneTimeTask<Void> trainTask() {
            return Tasks.oneTime(JobScheduling.TRAIN_TASK).execute((instance, context) -> { });
        }

        @Bean
        SchedulerClient schedulerClient(DataSource dataSource, OneTimeTask<Void> trainTask) {
            return SchedulerClient.Builder.create(new TransactionAwareDataSourceProxy(dataSource), trainTask).build();
        }

        @Bean
        JobProperties jobProperties() {
            return new JobProperties(16, Duration.ofSeconds(2), 200, 3, Duration.ofSeconds(10), Duration.ofSeconds(5), 6,
                    Duration.ofSeconds(1), 10_000);
        }

        @Bean
        DatasetProperties datasetProperties() {
            return new DatasetProperties(1L << 30, 1_000_000, 512, Path.of("/nonexistent"));
        }

        @Bean
        SamplingLimits samplingLimits() {
            return new SamplingLimits(10);
        }

        @Bean
        Device engineDevice() {
            return Device.cpu();
        }

        @Bean
        SimpleMeterRegistry meterRegistry() {
            return new SimpleMeterRegistry();
        }
    }
}
