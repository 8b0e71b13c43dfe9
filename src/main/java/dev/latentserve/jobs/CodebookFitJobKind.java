package dev.latentserve.jobs;

import ai.djl.Device;
import dev.latentserve.family.CodeUsage;
import dev.latentserve.family.CodebookFitting;
import dev.latentserve.family.HeldOutQuantiles;
import dev.latentserve.family.InvalidArchitectureException;
import dev.latentserve.family.LatentSpec;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.ModelFamilies;
import dev.latentserve.family.ModelFamily;
import dev.latentserve.family.TrainingMonitor.Phase;
import dev.latentserve.registry.ModelManifest;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * {@code fit-codebook}: refits the codebook of a version of a family with {@link CodebookFitting} (k-means over encoder
 * outputs, then optionally fine-tunes the decoder) and publishes the result as the model's next version.
 */
@Component
class CodebookFitJobKind implements JobKind {

    static final String NAME = "fit-codebook";
    private static final String MANIFEST_ENTRY = "codebookFit";

    private final ModelFamilies families;
    private final JobInputs inputs;
    private final Device device;

    CodebookFitJobKind(ModelFamilies families, JobInputs inputs, Device engineDevice) {
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
        CodebookFitting fitting = inputs.capability(base, CodebookFitting.class, "codebooks are fitted to models with a codebook");
        Map<String, Object> options = fitting.codebookFitOptions(request.architecture() == null ? Map.of() : request.architecture(),
                base.architecture(), base.inputShape());
        return new FitRequest(NAME, base.reference(), base.family(), TrainingSettings.of(request), options).toJobRequest();
    }

    /** One pass until the family announces its phases: a codebook fit takes no epochs, whatever the request says. */
    @Override
    public List<Phase> plan(JobRequest request) {
        return List.of(new Phase(Phase.TRAIN, "steps", 1, 1));
    }

    @Override
    public JobOutcome run(Job job, JobContext context) throws IOException {
        FitRequest request = FitRequest.from(job.request());
        ModelManifest base = inputs.baseVersion(request.baseVersion());
        CodebookFitting fitting = families.capability(base.family(), CodebookFitting.class).orElseThrow(
                () -> new InvalidArchitectureException("model " + base.reference() + " has no codebook to fit"));
        JobInputs.Data data = inputs.load(request.settings());
        // One pass: the options say how many k-means iterations and fine-tune steps, not the request's epochs.
        TrainingSettings settings = request.settings();
        CodebookFitting.CodebookFit fit = fitting.fitCodebook(inputs.directory(base), base.architecture(),
                settings.withEpochs(1).spec(base.inputShape(), request.options(), device),
                data.train(), data.test(), context.monitor(), context.staging());
        Map<String, Object> training = new LinkedHashMap<>(base.training());
        Map<String, Object> fitTraining = settings.manifestEntry(job.id(), NAME, data);
        fitTraining.put("baseVersion", base.reference());
        fitTraining.put("options", request.options());
        training.put(MANIFEST_ENTRY, fitTraining);
        // A prior fitted to the old codes means nothing for the new ones: the new version has none.
        training.remove(PriorFitJobKind.MANIFEST_ENTRY);
        Map<String, Object> metrics = new LinkedHashMap<>(base.metrics());
        metrics.put(MANIFEST_ENTRY, fit.metrics());
        metrics.remove(PriorFitJobKind.MANIFEST_ENTRY);
        metrics.remove(HeldOutQuantiles.CODES_METRIC);
        ModelFamily family = families.find(base.family()).orElseThrow();
        LatentSpec latent = family.latentSpec(fit.architecture(), base.inputShape());
        // The refitted codebook is used differently: count again.
        try (LoadedModel fitted = family.load(context.staging(), base.inputShape(), fit.architecture(), device)) {
            metrics.putAll(CodeUsage.metrics(fitted, latent, data.test()));
        }
        ModelManifest manifest = new ModelManifest(base.name(), 0, base.family(), fit.architecture(), base.inputShape(), latent,
                training, metrics, Instant.now());
        return new JobOutcome.Publish(manifest, fit.metrics());
    }
}
