package dev.latentserve.jobs;

import ai.djl.Device;
import dev.latentserve.family.HeldOutQuantiles;
import dev.latentserve.family.InvalidArchitectureException;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.ModelFamilies;
import dev.latentserve.family.ModelFamily;
import dev.latentserve.family.PriorFitting;
import dev.latentserve.family.TrainingMonitor.Phase;
import dev.latentserve.registry.ModelManifest;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * {@code fit-prior}: fits autoregressive priors to the codes of a version of a family with {@link PriorFitting} and
 * publishes the version with its priors as the model's next version. When the new version can score images (a VQ-VAE-2
 * needs both levels' priors), its manifest also gets the quantiles of {@code -log p(codes)} over the job's test images,
 * the same images its test loss is measured on ({@link HeldOutQuantiles}), for /score's percentile.
 */
@Component
class PriorFitJobKind implements JobKind {

    static final String NAME = "fit-prior";
    /** The manifest's {@code training} and {@code metrics} entry of the prior fit. */
    static final String MANIFEST_ENTRY = "prior";

    private final ModelFamilies families;
    private final JobInputs inputs;
    private final Device device;

    PriorFitJobKind(ModelFamilies families, JobInputs inputs, Device engineDevice) {
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
        ModelManifest base = inputs.checkBaseVersion(request);
        PriorFitting fitting = inputs.capability(base, PriorFitting.class, "priors are fitted to models with discrete codes");
        Map<String, Object> prior = fitting.priorArchitecture(request.architecture() == null ? Map.of() : request.architecture(),
                base.architecture(), base.inputShape());
        return new FitRequest(NAME, base.reference(), base.family(), TrainingSettings.of(request), prior).toJobRequest();
    }

    @Override
    public List<Phase> plan(JobRequest request) {
        return JobKind.training(FitRequest.from(request).settings().epochs());
    }

    @Override
    public JobOutcome run(Job job, JobContext context) throws IOException {
        FitRequest request = FitRequest.from(job.request());
        ModelManifest base = inputs.baseVersion(request.baseVersion());
        PriorFitting fitting = families.capability(base.family(), PriorFitting.class).orElseThrow(
                () -> new InvalidArchitectureException("model " + base.reference() + " has no discrete codes to fit a prior to"));
        JobInputs.Data data = inputs.load(request.settings());
        PriorFitting.PriorFit fit = fitting.fitPrior(inputs.directory(base), base.architecture(),
                request.settings().spec(base.inputShape(), request.options(), device), data.train(), data.test(), context.monitor(),
                context.checkpoints(), context.staging());
        Map<String, Object> training = new LinkedHashMap<>(base.training());
        Map<String, Object> priorTraining = request.settings().manifestEntry(job.id(), NAME, data);
        priorTraining.put("baseVersion", base.reference());
        training.put(MANIFEST_ENTRY, priorTraining);
        LossReport losses = new LossReport(fit.result(), "nll", "nats per code map");
        Map<String, Object> metrics = new LinkedHashMap<>(base.metrics());
        metrics.put(MANIFEST_ENTRY, losses.manifestMetrics());
        ModelFamily family = families.find(base.family()).orElseThrow();
        // The base's quantiles belong to its priors, not to these.
        metrics.remove(HeldOutQuantiles.CODES_METRIC);
        try (LoadedModel fitted = family.load(context.staging(), base.inputShape(), fit.architecture(), device)) {
            metrics.putAll(HeldOutQuantiles.metrics(fitted, data.test()));
        }
        ModelManifest manifest = new ModelManifest(base.name(), 0, base.family(), fit.architecture(), base.inputShape(),
                family.latentSpec(fit.architecture(), base.inputShape()), training, metrics, Instant.now());
        return new JobOutcome.Publish(manifest, losses.figures());
    }
}
