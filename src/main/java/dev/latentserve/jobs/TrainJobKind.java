package dev.latentserve.jobs;

import ai.djl.Device;
import dev.latentserve.datasets.Dataset;
import dev.latentserve.family.CodeUsage;
import dev.latentserve.family.HeldOutScoring;
import dev.latentserve.family.InvalidArchitectureException;
import dev.latentserve.family.LatentSpec;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.ModelFamilies;
import dev.latentserve.family.ModelFamily;
import dev.latentserve.family.TrainingMonitor.Phase;
import dev.latentserve.family.TrainingResult;
import dev.latentserve.registry.ModelManifest;
import dev.latentserve.storage.Names;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/** {@code train}: a new model of a family, trained from scratch and published as its next version. */
@Component
class TrainJobKind implements JobKind {

    static final String NAME = "train";

    private final ModelFamilies families;
    private final JobInputs inputs;
    private final Device device;

    TrainJobKind(ModelFamilies families, JobInputs inputs, Device engineDevice) {
        this.families = families;
        this.inputs = inputs;
        this.device = engineDevice;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public JobRequest validate(JobRequest request) throws IOException {
        Names.check("model name", request.model());
        if (request.family() == null) {
            throw new JobRejectedException("a train job needs a family; known: " + families.names());
        }
        ModelFamily family = families.find(request.family()).orElseThrow(() -> new JobRejectedException(
                "unknown model family '" + request.family() + "'; known: " + families.names()));
        inputs.checkSameFamily(request.model(), family.name());
        Dataset train = inputs.checkDatasets(request);
        Map<String, Object> architecture = family.architecture(
                request.architecture() == null ? Map.of() : request.architecture(), train.shape());
        return new TrainRequest(request.model(), family.name(), TrainingSettings.of(request), architecture).toJobRequest();
    }

    @Override
    public List<Phase> plan(JobRequest request) {
        return JobKind.training(TrainRequest.from(request).settings().epochs());
    }

    @Override
    public JobOutcome run(Job job, JobContext context) throws IOException {
        TrainRequest request = TrainRequest.from(job.request());
        ModelFamily family = families.find(request.family()).orElseThrow(
                () -> new InvalidArchitectureException("unknown model family " + request.family()));
        JobInputs.Data data = inputs.load(request.settings());
        TrainingResult result = family.train(request.settings().spec(data.train().shape(), request.architecture(), device),
                data.train(), data.test(), context.monitor(), context.checkpoints(), context.staging());
        LossReport losses = new LossReport(result, family.lossName(), family.lossUnit());
        Map<String, Object> metrics = losses.manifestMetrics();
        if (family instanceof HeldOutScoring scoring) {
            metrics.put(HeldOutScoring.METRIC, HeldOutScoring.quantiles(
                    scoring.heldOutScores(context.staging(), request.architecture(), data.test(), device)));
        }
        LatentSpec latent = family.latentSpec(request.architecture(), data.train().shape());
        if (!(latent instanceof LatentSpec.Gaussian || latent instanceof LatentSpec.SpatialGaussian)) {
            try (LoadedModel trained = family.load(context.staging(), data.train().shape(), request.architecture(), device)) {
                metrics.putAll(CodeUsage.metrics(trained, latent, data.test()));
            }
        }
        ModelManifest manifest = new ModelManifest(request.model(), 0, family.name(), request.architecture(), data.train().shape(),
                latent, request.settings().manifestEntry(job.id(), NAME, data), metrics, Instant.now());
        return new JobOutcome.Publish(manifest, losses.figures());
    }
}
