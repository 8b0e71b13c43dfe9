package dev.latentserve.jobs;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.SchedulerName;
import com.github.kagkarlsson.scheduler.task.DeadExecutionHandler;
import com.github.kagkarlsson.scheduler.logging.LogLevel;
import com.github.kagkarlsson.scheduler.task.FailureHandler;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import dev.latentserve.config.WorkerRole;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy;

/**
 * Jobs run on db-scheduler (https://github.com/kagkarlsson/db-scheduler): executions live in the
 * {@code scheduled_tasks} table of our own database, each is picked by exactly one worker (an optimistic
 * lock on the row), and a worker keeps its pick alive with heartbeats; when they stop, another worker
 * revives the execution and our runner resumes the job from its checkpoint. Every process can submit
 * (the client joins Spring's transaction, so a job row and its execution commit together); only processes
 * with the worker role poll and run.
 */
@Configuration(proxyBeanMethods = false)
class JobScheduling {

    static final String TRAIN_TASK = "train-job";
    private static final Logger log = LoggerFactory.getLogger(JobScheduling.class);

    @Bean
    OneTimeTask<Void> trainTask(ObjectProvider<JobRunner> runner, JobProperties properties) {
        return Tasks.oneTime(TRAIN_TASK)
                .onFailure(new FailureHandler.OnFailureRetryLater<>(properties.retryDelay()))
                .onDeadExecution(new DeadExecutionHandler.ReviveDeadExecution<>())
                .execute((instance, context) -> runner.getObject().run(instance.getId()));
    }

    @Bean
    SchedulerClient schedulerClient(DataSource dataSource, OneTimeTask<Void> trainTask) {
        return SchedulerClient.Builder.create(new TransactionAwareDataSourceProxy(dataSource), trainTask).build();
    }

    /** The polling worker: one execution thread, because libtorch allows one training step per process. */
    @Bean
    @WorkerRole
    JobWorker jobWorker(DataSource dataSource, OneTimeTask<Void> trainTask, JobProperties properties, WorkerName name,
            JobRunner runner) {
        Scheduler scheduler = Scheduler.create(dataSource, trainTask)
                .threads(1)
                .pollingInterval(properties.pollingInterval())
                .heartbeatInterval(properties.heartbeatInterval())
                .missedHeartbeatsLimit(properties.missedHeartbeats())
                .schedulerName(new SchedulerName.Fixed(name.value()))
                .enableImmediateExecution()
                // JobRunner logs every failure itself (with the stack trace where one helps); the engine only sees the
                // exceptions it throws on purpose to keep an execution queued (a retry, or a graceful shutdown), which
                // would otherwise be logged again as WARN with a stack trace.
                .failureLogging(LogLevel.DEBUG, false)
                .build();
        return new JobWorker(scheduler, runner);
    }

    /** Starts polling once the application is up; on shutdown interrupts training (checkpointed) first. */
    static final class JobWorker implements SmartLifecycle {

        private final Scheduler scheduler;
        private final JobRunner runner;
        private volatile boolean running;

        JobWorker(Scheduler scheduler, JobRunner runner) {
            this.scheduler = scheduler;
            this.runner = runner;
        }

        @Override
        public void start() {
            scheduler.start();
            running = true;
            log.info("job worker started");
        }

        @Override
        public void stop() {
            runner.stopAll();
            scheduler.stop();
            running = false;
        }

        @Override
        public boolean isRunning() {
            return running;
        }

        /**
         * Not paused with its context (Spring's test context cache pauses contexts between test classes): a stopped
         * db-scheduler cannot start again, so a paused worker would leave the resumed context without one.
         */
        @Override
        public boolean isPauseable() {
            return false;
        }
    }
}
