package dev.latentserve.family.vqvae;

import static dev.latentserve.family.TrainingLoop.imageBatch;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import dev.latentserve.family.Checkpoints;
import dev.latentserve.family.CodebookFitting;
import dev.latentserve.family.DjlModels;
import dev.latentserve.family.LatentSpec;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.ModelFamily;
import dev.latentserve.family.PriorFitting;
import dev.latentserve.family.SamplingProperties;
import dev.latentserve.family.TrainingCancelledException;
import dev.latentserve.family.TrainingLoop;
import dev.latentserve.family.TrainingMonitor;
import dev.latentserve.family.TrainingResult;
import dev.latentserve.family.TrainingRun;
import dev.latentserve.family.TrainingSpec;
import dev.latentserve.family.vq.CodeMaps;
import dev.latentserve.family.vq.CodePriors;
import dev.latentserve.family.vq.PriorArchitecture;
import dev.latentserve.family.vq.CodebookObjective;
import dev.latentserve.family.vq.QuantizedSteps;
import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import dev.latentserve.nn.Adam;
import dev.latentserve.nn.GatedPixelCnn;
import dev.latentserve.nn.GradMode;
import dev.latentserve.nn.KMeans;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * The VQ-VAE family: trains on reconstruction MSE + beta x commitment (+ the codebook loss, or EMA codebook
 * updates), restarts dead codes, reports codebook perplexity and used codes, and serves {@link VqVaeModel}s.
 */
@Component
public final class VqVaeFamily implements ModelFamily, PriorFitting, CodebookFitting {

    static final String NAME = "vqvae";
    static final String PARAMETERS_PREFIX = "vqvae";
    static final String PRIOR_PREFIX = "prior";
    static final String KMEANS = "kmeans";
    static final String FINE_TUNE = "fine-tune";
    private static final int EVALUATION_BATCH = 500;
    private static final int INIT_KMEANS_ITERATIONS = 20;
    private static final int INIT_KMEANS_VECTORS = 50_000;

    private final SamplingProperties sampling;

    /** With the default sampling settings, for use outside Spring. */
    public VqVaeFamily() {
        this(SamplingProperties.DEFAULTS);
    }

    @Autowired
    public VqVaeFamily(SamplingProperties sampling) {
        this.sampling = sampling;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, Object> architecture(Map<String, Object> requested, ImageShape shape) {
        return VqVaeArchitecture.from(requested, shape).toMap();
    }

    @Override
    public LatentSpec latentSpec(Map<String, Object> architecture, ImageShape shape) {
        VqVaeArchitecture parsed = VqVaeArchitecture.from(architecture, shape);
        String prior = architecture.get("prior") instanceof Map<?, ?> p ? String.valueOf(p.get("type")) : LatentSpec.NO_PRIOR;
        return new LatentSpec.CodeGrid(parsed.codes(), parsed.codeDim(), List.of(parsed.gridHeight(shape), parsed.gridWidth(shape)),
                prior);
    }

    @Override
    public String lossName() {
        return "loss";
    }

    @Override
    public String lossUnit() {
        return "per image: mean squared pixel error + beta x commitment";
    }

    @Override
    public TrainingResult train(TrainingSpec spec, ImageData train, ImageData test, TrainingMonitor monitor,
            Checkpoints checkpoints, Path outputDir) throws IOException {
        VqVaeArchitecture architecture = VqVaeArchitecture.from(spec.architecture(), spec.shape());
        VqVae net = new VqVae(spec.shape(), architecture);
        CodebookObjective objective = CodebookObjective.of(net, architecture.codebookSettings());
        return TrainingRun.of(NAME, net, spec, imageBatch(spec.batchSize(), spec.shape()))
                .initialisedWith(session -> {
                    // Codebook as in the paper's reference code: standard normal entries.
                    net.quantizer().setCodebook(TrainingLoop.gaussian(new SplittableRandom(spec.seed() + 3),
                            architecture.codes() * architecture.codeDim()));
                    if (architecture.kmeansInit() && checkpoints.latest().isEmpty()) {
                        // k-means over the initial encoder's outputs: every code starts where data is.
                        KMeans.Result init = kmeans(session.model(), net, train, INIT_KMEANS_VECTORS, INIT_KMEANS_ITERATIONS,
                                spec.seed(), (iteration, value) -> stopIfCancelled(monitor));
                        net.quantizer().setCodebook(init.centroids());
                    }
                })
                .train(train, test, monitor, checkpoints, session -> new QuantizedSteps(spec, net, objective, session),
                        TrainingRun.saveTo(outputDir, PARAMETERS_PREFIX));
    }

    @Override
    public LoadedModel load(Path versionDir, ImageShape shape, Map<String, Object> architecture, Device device)
            throws IOException {
        VqVaeArchitecture parsed = VqVaeArchitecture.from(architecture, shape);
        VqVae net = new VqVae(shape, parsed);
        Model model = DjlModels.load(NAME, net, versionDir, PARAMETERS_PREFIX, device, "VQ-VAE parameters");
        Model prior = null;
        if (architecture.get("prior") instanceof Map<?, ?> priorArchitecture) {
            try {
                prior = DjlModels.load(PRIOR_PREFIX, priorBlock(parsed, PriorArchitecture.from(stringKeys(priorArchitecture))),
                        versionDir, PRIOR_PREFIX, device, "prior parameters");
            } catch (IOException | RuntimeException e) {
                model.close();
                throw e;
            }
        }
        return new VqVaeModel(model, net, prior, sampling.incremental());
    }

    @Override
    public Map<String, Object> priorArchitecture(Map<String, Object> requested, Map<String, Object> modelArchitecture,
            ImageShape shape) {
        VqVaeArchitecture.from(modelArchitecture, shape);
        return PriorArchitecture.from(requested).toMap();
    }

    @Override
    public PriorFit fitPrior(Path baseDir, Map<String, Object> modelArchitecture, TrainingSpec spec, ImageData train,
            ImageData test, TrainingMonitor monitor, Checkpoints checkpoints, Path outputDir) throws IOException {
        VqVaeArchitecture architecture = VqVaeArchitecture.from(modelArchitecture, spec.shape());
        PriorArchitecture priorArchitecture = PriorArchitecture.from(spec.architecture());
        GradMode.disableForTraining();
        VqVae net = new VqVae(spec.shape(), architecture);
        CodeMaps codes;
        try (Model base = DjlModels.load(NAME, net, baseDir, PARAMETERS_PREFIX, spec.device(), "the VQ-VAE to fit a prior to")) {
            codes = CodeMaps.encode(base.getNDManager(), net, train, test);
        }
        DjlModels.copySaved(PARAMETERS_PREFIX, baseDir, outputDir);
        // One level, so the weight only needs to be positive.
        TrainingResult result = CodePriors.fit(spec, codes, List.of(new CodePriors.Level("", priorBlock(architecture, priorArchitecture),
                checkpoints, 1, TrainingRun.saveTo(outputDir, PRIOR_PREFIX))), monitor);
        Map<String, Object> withPrior = new LinkedHashMap<>(architecture.toMap());
        withPrior.put("prior", priorArchitecture.toMap());
        return new PriorFit(result, withPrior);
    }

    @Override
    public Map<String, Object> codebookFitOptions(Map<String, Object> requested, Map<String, Object> modelArchitecture,
            ImageShape shape) {
        VqVaeArchitecture.from(modelArchitecture, shape);
        return CodebookFitOptions.from(requested).toMap();
    }

    /**
     * Announces the plan (the k-means in Lloyd iterations, then the decoder fine-tuning in steps when asked for), fits the
     * codebook, optionally fine-tunes the decoder, and saves the result.
     */
    @Override
    public CodebookFit fitCodebook(Path baseDir, Map<String, Object> modelArchitecture, TrainingSpec spec, ImageData train,
            ImageData test, TrainingMonitor monitor, Path outputDir) throws IOException {
        VqVaeArchitecture architecture = VqVaeArchitecture.from(modelArchitecture, spec.shape());
        CodebookFitOptions options = CodebookFitOptions.from(spec.architecture());
        Device device = spec.device();
        GradMode.disableForTraining();
        VqVae net = new VqVae(spec.shape(), architecture);
        CodebookObjective objective = CodebookObjective.of(net, architecture.codebookSettings());
        try (Model model = DjlModels.load(NAME, net, baseDir, PARAMETERS_PREFIX, device, "the VQ-VAE whose codebook to fit")) {
            long vectors = (long) kmeansImages(net, train, options.vectors()) * net.levels().getFirst().cells();
            monitor.onPlan(options.plan(architecture, spec.shape(), vectors, Math.min(spec.batchSize(), train.count())));
            Map<String, Double> before = objective.evaluate(model.getNDManager(), net, test);
            long start = System.nanoTime();
            KMeans.Result fit = kmeans(model, net, train, options.vectors(), options.iterations(), spec.seed(), (iteration, value) -> {
                monitor.onStep(new TrainingMonitor.StepProgress(KMEANS, 1, iteration, options.iterations(), value,
                        iteration * vectors / Math.max(1e-9, (System.nanoTime() - start) / 1e9)));
                stopIfCancelled(monitor);
            });
            net.quantizer().setCodebook(fit.centroids());
            Map<String, Double> afterKmeans = objective.evaluate(model.getNDManager(), net, test);
            Map<String, Double> after = afterKmeans;
            if (options.fineTuneSteps() > 0) {
                fineTuneDecoder(model, net, spec, options.fineTuneSteps(), train, monitor);
                after = objective.evaluate(model.getNDManager(), net, test);
            }
            DjlModels.saveCopy(NAME, net, new VqVae(net.imageShape(), architecture), device, outputDir, PARAMETERS_PREFIX,
                    imageBatch(1, net.imageShape()));
            Map<String, Object> metrics = new LinkedHashMap<>();
            metrics.put("kmeans", Map.of("initialObjective", fit.initialObjective(), "finalObjective", fit.finalObjective(),
                    "iterations", fit.iterations()));
            metrics.put("before", before);
            metrics.put("afterKmeans", afterKmeans);
            metrics.put("after", after);
            metrics.put("mseChange", after.get(CodebookObjective.MSE) - before.get(CodebookObjective.MSE));
            metrics.put("perplexityChange", after.get(CodebookObjective.PERPLEXITY) - before.get(CodebookObjective.PERPLEXITY));
            Map<String, Object> newArchitecture = new LinkedHashMap<>(architecture.toMap());
            return new CodebookFit(newArchitecture, metrics);
        }
    }

    /** Adam on the reconstruction error with everything but the decoder frozen: the codes stay as fitted. */
    private static void fineTuneDecoder(Model model, VqVae net, TrainingSpec spec, int steps, ImageData train,
            TrainingMonitor monitor) {
        Adam adam = new Adam((float) spec.learningRate());
        try (Trainer trainer = DjlModels.newTrainer(model, adam, spec.device())) {
            // After newTrainer, which unfreezes every trainable parameter of a loaded model.
            Set<Parameter> decoder = net.decoderParameters();
            for (Parameter p : net.getParameters().values()) {
                p.freeze(!decoder.contains(p));
            }
            SplittableRandom random = new SplittableRandom(spec.seed() + 7);
            int[] order = TrainingLoop.identity(train.count());
            long start = System.nanoTime();
            for (int step = 0; step < steps; step++) {
                stopIfCancelled(monitor);
                int[] batch = new int[Math.min(spec.batchSize(), train.count())];
                for (int i = 0; i < batch.length; i++) {
                    batch[i] = order[random.nextInt(order.length)];
                }
                try (NDManager scope = trainer.getManager().newSubManager()) {
                    NDArray images = scope.create(train.gather(batch, 0, batch.length), imageBatch(batch.length, net.imageShape()));
                    NDArray mse;
                    try (GradientCollector collector = trainer.newGradientCollector()) {
                        VqVae.Output output = VqVae.Output.of(trainer.forward(new NDList(images)));
                        mse = output.reconstruction().sub(images).square().mean();
                        collector.backward(mse);
                    }
                    double loss = mse.getFloat();
                    new TrainingLoop.StepContext(1, step).checkFinite(loss, spec.learningRate());
                    trainer.step();
                    monitor.onStep(new TrainingMonitor.StepProgress(FINE_TUNE, 1, step + 1, steps, loss,
                            (step + 1.0) * batch.length / ((System.nanoTime() - start) / 1e9)));
                }
            }
        }
    }

    private static void stopIfCancelled(TrainingMonitor monitor) {
        if (monitor.isCancelled()) {
            throw new TrainingCancelledException();
        }
    }

    /** How many training images k-means encodes to have up to {@code maxVectors} encoder outputs. */
    private static int kmeansImages(VqVae net, ImageData data, int maxVectors) {
        int cells = net.levels().getFirst().cells();
        return Math.min(data.count(), Math.max(1, (maxVectors + cells - 1) / cells));
    }

    /** k-means over the encoder outputs of {@link #kmeansImages} randomly chosen training images. */
    private static KMeans.Result kmeans(Model model, VqVae net, ImageData data, int maxVectors, int iterations, long seed,
            KMeans.IterationListener listener) {
        VqVaeArchitecture architecture = net.architecture();
        int cells = net.levels().getFirst().cells();
        int imageCount = kmeansImages(net, data, maxVectors);
        SplittableRandom random = new SplittableRandom(seed + 11);
        int[] chosen = TrainingLoop.identity(data.count());
        for (int i = 0; i < imageCount; i++) {
            int j = i + random.nextInt(data.count() - i);
            int swap = chosen[i];
            chosen[i] = chosen[j];
            chosen[j] = swap;
        }
        int dimension = architecture.codeDim();
        float[] vectors = new float[imageCount * cells * dimension];
        TrainingLoop.forEachBatch(model.getNDManager(), data, chosen, imageCount, EVALUATION_BATCH, (scope, images, from, to) -> {
            NDArray flat = net.encode(new ParameterStore(scope, false), images, false).transpose(0, 2, 3, 1).reshape(-1, dimension);
            float[] batch = flat.toFloatArray();
            System.arraycopy(batch, 0, vectors, from * cells * dimension, batch.length);
        });
        try (NDManager scope = model.getNDManager().newSubManager()) {
            NDArray points = scope.create(vectors, new Shape((long) imageCount * cells, dimension));
            return KMeans.fit(points, architecture.codes(), iterations, random, listener);
        }
    }

    static GatedPixelCnn priorBlock(VqVaeArchitecture model, PriorArchitecture prior) {
        return prior.block(model.codes());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> stringKeys(Map<?, ?> map) {
        return (Map<String, Object>) map;
    }

}
