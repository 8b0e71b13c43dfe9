package dev.latentserve.family.vqvae;

import static dev.latentserve.family.TrainingLoop.imageBatch;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.Block;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import dev.latentserve.family.Checkpoints;
import dev.latentserve.family.CodebookFitting;
import dev.latentserve.family.DjlModels;
import dev.latentserve.family.EpochMetrics;
import dev.latentserve.family.LatentSpec;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.ModelFamily;
import dev.latentserve.family.PriorFitting;
import dev.latentserve.family.TrainingCancelledException;
import dev.latentserve.family.TrainingLoop;
import dev.latentserve.family.TrainingMonitor;
import dev.latentserve.family.TrainingResult;
import dev.latentserve.family.TrainingSpec;
import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import dev.latentserve.nn.Adam;
import dev.latentserve.nn.CodeHistogram;
import dev.latentserve.nn.GatedPixelCnn;
import dev.latentserve.nn.GradMode;
import dev.latentserve.nn.KMeans;
import dev.latentserve.nn.Scoped;
import dev.latentserve.nn.TorchDefaultInit;
import dev.latentserve.nn.VectorQuantizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.springframework.stereotype.Component;

/**
 * The VQ-VAE family: trains on reconstruction MSE + beta x commitment (+ the codebook loss, or EMA codebook
 * updates), restarts dead codes, reports codebook perplexity and used codes, and serves {@link VqVaeModel}s.
 */
@Component
public final class VqVaeFamily implements ModelFamily, PriorFitting, CodebookFitting {

    static final String NAME = "vqvae";
    static final String PARAMETERS_PREFIX = "vqvae";
    static final String MSE = "mse";
    static final String COMMITMENT = "commitment";
    static final String PERPLEXITY = "perplexity";
    static final String USED_CODES = "usedCodes";
    static final String PRIOR_PREFIX = "prior";
    static final String NLL = "nll";
    static final String BITS_PER_CODE = "bitsPerCode";
    private static final int EVALUATION_BATCH = 500;
    private static final int INIT_KMEANS_ITERATIONS = 20;
    private static final int INIT_KMEANS_VECTORS = 50_000;

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
        Device device = spec.device();
        GradMode.disableForTraining();
        try (Model model = Model.newInstance(NAME, device)) {
            VqVae net = new VqVae(spec.shape(), architecture);
            model.setBlock(net);
            Adam adam = new Adam((float) spec.learningRate());
            try (Trainer trainer = DjlModels.newTrainer(model, adam, device)) {
                trainer.initialize(imageBatch(spec.batchSize(), spec.shape()));
                TorchDefaultInit.apply(net, spec.seed());
                // Codebook as in the paper's reference code: standard normal entries.
                net.quantizer().setCodebook(TrainingLoop.gaussian(new SplittableRandom(spec.seed() + 3),
                        architecture.codes() * architecture.codeDim()));
                if (architecture.kmeansInit() && checkpoints.latest().isEmpty()) {
                    // k-means over the initial encoder's outputs: every code starts where data is.
                    KMeans.Result init = kmeans(model, net, train, INIT_KMEANS_VECTORS, INIT_KMEANS_ITERATIONS, spec.seed());
                    net.quantizer().setCodebook(init.centroids());
                }
                List<EpochMetrics> history = TrainingLoop.run(spec, train, test, monitor, checkpoints,
                        new VqSteps(spec, net, trainer, adam, model, new int[1]));
                model.save(outputDir, PARAMETERS_PREFIX);
                return TrainingResult.of(history, net);
            }
        }
    }

    /** One VQ-VAE step: gradients for encoder and decoder, then the EMA codebook update and dead-code restarts. */
    private record VqSteps(TrainingSpec spec, VqVae net, Trainer trainer, Adam optimizer, Model model, int[] restarts)
            implements TrainingLoop.Steps {

        @Override
        public Block block() {
            return net;
        }

        @Override
        public Map<String, Double> step(float[] pixels, int n, SplittableRandom noise, TrainingLoop.StepContext context) {
            VqVaeArchitecture architecture = net.architecture();
            VectorQuantizer quantizer = net.quantizer();
            try (NDManager scope = trainer.getManager().newSubManager()) {
                NDArray images = scope.create(pixels, imageBatch(n, net.imageShape()));
                NDArray mse;
                NDArray commitment;
                NDList output;
                try (GradientCollector collector = trainer.newGradientCollector()) {
                    output = trainer.forward(new NDList(images));
                    mse = output.get(0).sub(images).square().mean();
                    commitment = output.get(3);
                    NDArray loss = mse.add(commitment.mul(Scoped.scalar(commitment, architecture.beta())));
                    if (!quantizer.isEma()) {
                        loss = loss.add(output.get(4));
                    }
                    collector.backward(loss);
                }
                double mseValue = mse.getFloat();
                double commitmentValue = commitment.getFloat();
                context.checkFinite(mseValue + architecture.beta() * commitmentValue, spec.learningRate());
                trainer.step();
                NDArray oneHot = output.get(6);
                restarts[0] += quantizer.update(output.get(5), oneHot, (float) architecture.decay(), (float) architecture.epsilon(),
                        (float) architecture.deadCodeThreshold(), noise);
                Map<String, Double> terms = new LinkedHashMap<>();
                terms.put(MSE, mseValue * n);
                terms.put(COMMITMENT, commitmentValue * n);
                terms.put(PERPLEXITY, VectorQuantizer.perplexity(oneHot) * n);
                terms.put(USED_CODES, (double) VectorQuantizer.usedCodes(oneHot) * n);
                return terms;
            }
        }

        @Override
        public Map<String, Double> evaluate(ImageData data, long seed) {
            return VqVaeFamily.evaluate(model, net, data);
        }

        @Override
        public double total(Map<String, Double> perImage) {
            return perImage.getOrDefault(MSE, 0.0) + net.architecture().beta() * perImage.getOrDefault(COMMITMENT, 0.0);
        }

        @Override
        public Map<String, Double> epochStatistics() {
            double restarted = restarts[0];
            restarts[0] = 0;
            return Map.of("deadCodeRestarts", restarted);
        }
    }

    /**
     * Held-out reconstruction MSE and commitment per image, and the perplexity and number of used codes of
     * the code histogram over the whole set.
     */
    static Map<String, Double> evaluate(Model model, VqVae net, ImageData data) {
        double[] sums = new double[2];
        CodeHistogram histogram = new CodeHistogram(net.architecture().codes());
        TrainingLoop.forEachBatch(model.getNDManager(), data, TrainingLoop.identity(data.count()), data.count(), EVALUATION_BATCH,
                (scope, images, from, to) -> {
                    int n = to - from;
                    NDList output = net.forward(new ParameterStore(scope, false), new NDList(images), false);
                    sums[0] += output.get(0).sub(images).square().mean().getFloat() * n;
                    sums[1] += output.get(3).getFloat() * n;
                    histogram.add(output.get(6));
                });
        Map<String, Double> terms = new LinkedHashMap<>();
        terms.put(MSE, sums[0] / data.count());
        terms.put(COMMITMENT, sums[1] / data.count());
        terms.put(PERPLEXITY, histogram.perplexity());
        terms.put(USED_CODES, (double) histogram.used());
        return terms;
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
        return new VqVaeModel(model, net, prior);
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
        Device device = spec.device();
        GradMode.disableForTraining();
        ImageData trainCodes;
        ImageData testCodes;
        VqVae net = new VqVae(spec.shape(), architecture);
        try (Model base = DjlModels.load(NAME, net, baseDir, PARAMETERS_PREFIX, device, "the VQ-VAE to fit a prior to")) {
            trainCodes = codeMaps(base, net, train);
            testCodes = codeMaps(base, net, test);
        }
        ImageShape grid = trainCodes.shape();
        TrainingSpec priorSpec = new TrainingSpec(grid, spec.architecture(), spec.epochs(), spec.batchSize(), spec.learningRate(),
                spec.seed(), device);
        try (Model model = Model.newInstance(PRIOR_PREFIX, device)) {
            GatedPixelCnn prior = priorBlock(architecture, priorArchitecture);
            model.setBlock(prior);
            Adam adam = new Adam((float) spec.learningRate());
            try (Trainer trainer = DjlModels.newTrainer(model, adam, device)) {
                trainer.initialize(new Shape(spec.batchSize(), grid.height(), grid.width()));
                TorchDefaultInit.apply(prior, spec.seed());
                List<EpochMetrics> history = TrainingLoop.run(priorSpec, trainCodes, testCodes, monitor, checkpoints,
                        new PriorSteps(priorSpec, prior, trainer, adam, model));
                DjlModels.copySaved(PARAMETERS_PREFIX, baseDir, outputDir);
                model.save(outputDir, PRIOR_PREFIX);
                Map<String, Object> withPrior = new LinkedHashMap<>(architecture.toMap());
                withPrior.put("prior", priorArchitecture.toMap());
                return new PriorFit(TrainingResult.of(history, prior), withPrior);
            }
        }
    }

    @Override
    public Map<String, Object> codebookFitOptions(Map<String, Object> requested, Map<String, Object> modelArchitecture,
            ImageShape shape) {
        VqVaeArchitecture.from(modelArchitecture, shape);
        return CodebookFitOptions.from(requested).toMap();
    }

    @Override
    public CodebookFit fitCodebook(Path baseDir, Map<String, Object> modelArchitecture, TrainingSpec spec, ImageData train,
            ImageData test, TrainingMonitor monitor, Path outputDir) throws IOException {
        VqVaeArchitecture architecture = VqVaeArchitecture.from(modelArchitecture, spec.shape());
        CodebookFitOptions options = CodebookFitOptions.from(spec.architecture());
        Device device = spec.device();
        GradMode.disableForTraining();
        VqVae net = new VqVae(spec.shape(), architecture);
        try (Model model = DjlModels.load(NAME, net, baseDir, PARAMETERS_PREFIX, device, "the VQ-VAE whose codebook to fit")) {
            Map<String, Double> before = evaluate(model, net, test);
            KMeans.Result fit = kmeans(model, net, train, options.vectors(), options.iterations(), spec.seed());
            net.quantizer().setCodebook(fit.centroids());
            Map<String, Double> afterKmeans = evaluate(model, net, test);
            Map<String, Double> after = afterKmeans;
            if (options.fineTuneSteps() > 0) {
                fineTuneDecoder(model, net, spec, options.fineTuneSteps(), train, monitor);
                after = evaluate(model, net, test);
            }
            DjlModels.saveCopy(NAME, net, new VqVae(net.imageShape(), architecture), device, outputDir, PARAMETERS_PREFIX,
                    imageBatch(1, net.imageShape()));
            Map<String, Object> metrics = new LinkedHashMap<>();
            metrics.put("kmeans", Map.of("initialObjective", fit.initialObjective(), "finalObjective", fit.finalObjective(),
                    "iterations", fit.iterations()));
            metrics.put("before", before);
            metrics.put("afterKmeans", afterKmeans);
            metrics.put("after", after);
            metrics.put("mseChange", after.get(MSE) - before.get(MSE));
            metrics.put("perplexityChange", after.get(PERPLEXITY) - before.get(PERPLEXITY));
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
                if (monitor.isCancelled()) {
                    throw new TrainingCancelledException();
                }
                int[] batch = new int[Math.min(spec.batchSize(), train.count())];
                for (int i = 0; i < batch.length; i++) {
                    batch[i] = order[random.nextInt(order.length)];
                }
                try (NDManager scope = trainer.getManager().newSubManager()) {
                    NDArray images = scope.create(train.gather(batch, 0, batch.length), imageBatch(batch.length, net.imageShape()));
                    NDArray mse;
                    try (GradientCollector collector = trainer.newGradientCollector()) {
                        NDList output = trainer.forward(new NDList(images));
                        mse = output.get(0).sub(images).square().mean();
                        collector.backward(mse);
                    }
                    double loss = mse.getFloat();
                    new TrainingLoop.StepContext(1, step).checkFinite(loss, spec.learningRate());
                    trainer.step();
                    monitor.onStep(new TrainingMonitor.StepProgress(1, step + 1, steps, loss,
                            (step + 1.0) * batch.length / ((System.nanoTime() - start) / 1e9)));
                }
            }
        }
    }

    /** k-means over up to {@code maxVectors} encoder outputs of randomly chosen training images. */
    private static KMeans.Result kmeans(Model model, VqVae net, ImageData data, int maxVectors, int iterations, long seed) {
        VqVaeArchitecture architecture = net.architecture();
        int cells = architecture.gridHeight(net.imageShape()) * architecture.gridWidth(net.imageShape());
        int imageCount = Math.min(data.count(), Math.max(1, (maxVectors + cells - 1) / cells));
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
            return KMeans.fit(points, architecture.codes(), iterations, random);
        }
    }

    static GatedPixelCnn priorBlock(VqVaeArchitecture model, PriorArchitecture prior) {
        return new GatedPixelCnn(model.codes(), prior.channels(), prior.layers(), prior.kernel(), prior.hidden());
    }

    /**
     * The dataset encoded once into code maps, held as one-channel "images" whose values are code indices, so
     * that the common training loop can batch and shuffle them.
     */
    private static ImageData codeMaps(Model model, VqVae net, ImageData data) {
        ImageShape grid = new ImageShape(1, net.architecture().gridHeight(net.imageShape()),
                net.architecture().gridWidth(net.imageShape()));
        float[] codes = new float[data.count() * grid.size()];
        TrainingLoop.forEachBatch(model.getNDManager(), data, TrainingLoop.identity(data.count()), data.count(), EVALUATION_BATCH,
                (scope, images, from, to) -> {
                    NDArray ze = net.encode(new ParameterStore(scope, false), images, false);
                    float[] batch = net.quantizer().encode(ze).toType(DataType.FLOAT32, false).toFloatArray();
                    System.arraycopy(batch, 0, codes, from * grid.size(), batch.length);
                });
        return ImageData.ofFloats(grid, codes);
    }

    /** Maximum likelihood of the code maps under the prior: mean NLL per code in each step. */
    private record PriorSteps(TrainingSpec spec, GatedPixelCnn prior, Trainer trainer, Adam optimizer, Model model)
            implements TrainingLoop.Steps {

        @Override
        public Block block() {
            return prior;
        }

        @Override
        public Map<String, Double> step(float[] codes, int n, SplittableRandom noise, TrainingLoop.StepContext context) {
            ImageShape grid = spec.shape();
            try (NDManager scope = trainer.getManager().newSubManager()) {
                NDArray maps = scope.create(codes, new Shape(n, grid.height(), grid.width())).toType(
                        ai.djl.ndarray.types.DataType.INT64, false);
                NDArray nll;
                try (GradientCollector collector = trainer.newGradientCollector()) {
                    NDArray logits = trainer.forward(new NDList(maps)).singletonOrThrow();
                    nll = GatedPixelCnn.negativeLogLikelihood(logits, maps).sum();
                    collector.backward(nll.div(Scoped.scalar(nll, (double) n * grid.size())));
                }
                double sum = nll.getFloat();
                context.checkFinite(sum / n, spec.learningRate());
                trainer.step();
                return Map.of(NLL, sum);
            }
        }

        @Override
        public Map<String, Double> evaluate(ImageData data, long seed) {
            ImageShape grid = spec.shape();
            double[] total = new double[1];
            TrainingLoop.forEachBatch(model.getNDManager(), data, TrainingLoop.identity(data.count()), data.count(), EVALUATION_BATCH,
                    (scope, images, from, to) -> {
                        NDArray maps = images.reshape(to - from, grid.height(), grid.width()).toType(DataType.INT64, false);
                        NDArray logits = prior.forward(new ParameterStore(scope, false), new NDList(maps), false).singletonOrThrow();
                        total[0] += GatedPixelCnn.negativeLogLikelihood(logits, maps).sum().getFloat();
                    });
            double sum = total[0];
            double perMap = sum / data.count();
            return Map.of(NLL, perMap, BITS_PER_CODE, perMap / (grid.size() * Math.log(2)));
        }

        @Override
        public double total(Map<String, Double> perImage) {
            return perImage.getOrDefault(NLL, 0.0);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> stringKeys(Map<?, ?> map) {
        return (Map<String, Object>) map;
    }

}
