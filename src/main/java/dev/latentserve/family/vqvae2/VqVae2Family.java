package dev.latentserve.family.vqvae2;

import static dev.latentserve.family.TrainingLoop.imageBatch;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import dev.latentserve.family.Checkpoints;
import dev.latentserve.family.DjlModels;
import dev.latentserve.family.EpochMetrics;
import dev.latentserve.family.LatentSpec;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.ModelFamily;
import dev.latentserve.family.PriorFitting;
import dev.latentserve.family.TrainingLoop;
import dev.latentserve.family.TrainingMonitor;
import dev.latentserve.family.TrainingResult;
import dev.latentserve.family.TrainingSpec;
import dev.latentserve.family.vqvae2.PriorArchitectures.BottomPrior;
import dev.latentserve.family.vqvae2.PriorArchitectures.TopPrior;
import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import dev.latentserve.nn.Adam;
import dev.latentserve.nn.CodeHistogram;
import dev.latentserve.nn.GatedPixelCnn;
import dev.latentserve.nn.GradMode;
import dev.latentserve.nn.Gradients;
import dev.latentserve.nn.Scoped;
import dev.latentserve.nn.TorchDefaultInit;
import dev.latentserve.nn.VectorQuantizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The VQ-VAE-2 family: trains on reconstruction MSE + beta x (commitment of both levels), with EMA codebooks (or the
 * codebook loss) and dead-code restarts per level, fits the top and bottom priors, and serves {@link VqVae2Model}s.
 */
@Component
public final class VqVae2Family implements ModelFamily, PriorFitting {

    static final String NAME = "vqvae2";
    static final String PARAMETERS_PREFIX = "vqvae2";
    static final String TOP_PRIOR_PREFIX = "prior-top";
    static final String BOTTOM_PRIOR_PREFIX = "prior-bottom";
    static final String MSE = "mse";
    static final String COMMITMENT = "commitment";
    static final String NLL = "nll";
    private static final Logger log = LoggerFactory.getLogger(VqVae2Family.class);
    private static final int EVALUATION_BATCH = 500;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, Object> architecture(Map<String, Object> requested, ImageShape shape) {
        return VqVae2Architecture.from(requested, shape).toMap();
    }

    @Override
    public LatentSpec latentSpec(Map<String, Object> architecture, ImageShape shape) {
        VqVae2Architecture parsed = VqVae2Architecture.from(architecture, shape);
        PriorArchitectures priors = PriorArchitectures.fromModel(architecture);
        VqVae2Architecture.Padding padding = parsed.padding(shape);
        Map<String, LatentSpec.CodeHierarchy.Level> levels = new LinkedHashMap<>();
        levels.put(PriorArchitectures.TOP, new LatentSpec.CodeHierarchy.Level(parsed.topCodes(), parsed.topCodeDim(), parsed.topGrid(shape)));
        levels.put(PriorArchitectures.BOTTOM, new LatentSpec.CodeHierarchy.Level(parsed.bottomCodes(), parsed.bottomCodeDim(),
                parsed.bottomGrid(shape)));
        return new LatentSpec.CodeHierarchy(levels, padding.padded(shape), padding.toMap(),
                priors.isComplete() ? PriorArchitectures.TYPE : LatentSpec.NO_PRIOR, priors.levels());
    }

    @Override
    public String lossName() {
        return "loss";
    }

    @Override
    public String lossUnit() {
        return "per image: mean squared pixel error + beta x (top + bottom commitment)";
    }

    @Override
    public TrainingResult train(TrainingSpec spec, ImageData train, ImageData test, TrainingMonitor monitor,
            Checkpoints checkpoints, Path outputDir) throws IOException {
        VqVae2Architecture architecture = VqVae2Architecture.from(spec.architecture(), spec.shape());
        Device device = spec.device();
        GradMode.disableForTraining();
        try (Model model = Model.newInstance(NAME, device)) {
            VqVae2 net = new VqVae2(spec.shape(), architecture);
            model.setBlock(net);
            Adam adam = new Adam((float) spec.learningRate());
            try (Trainer trainer = DjlModels.newTrainer(model, adam, device)) {
                trainer.initialize(imageBatch(spec.batchSize(), spec.shape()));
                TorchDefaultInit.apply(net, spec.seed());
                // Standard normal codebooks, as in the one-level model.
                SplittableRandom random = new SplittableRandom(spec.seed() + 3);
                net.topQuantizer().setCodebook(TrainingLoop.gaussian(random, architecture.topCodes() * architecture.topCodeDim()));
                net.bottomQuantizer().setCodebook(TrainingLoop.gaussian(random,
                        architecture.bottomCodes() * architecture.bottomCodeDim()));
                List<EpochMetrics> history = TrainingLoop.run(spec, train, test, monitor, checkpoints,
                        new HierarchySteps(spec, net, trainer, adam, model, new int[1]));
                model.save(outputDir, PARAMETERS_PREFIX);
                return TrainingResult.of(history, net);
            }
        }
    }

    /** One step: gradients for encoders and decoders, then each level's EMA codebook update and dead-code restarts. */
    private record HierarchySteps(TrainingSpec spec, VqVae2 net, Trainer trainer, Adam optimizer, Model model, int[] restarts)
            implements TrainingLoop.Steps {

        @Override
        public Block block() {
            return net;
        }

        @Override
        public Map<String, Double> step(float[] pixels, int n, SplittableRandom noise, TrainingLoop.StepContext context) {
            VqVae2Architecture architecture = net.architecture();
            try (NDManager scope = trainer.getManager().newSubManager()) {
                NDArray images = scope.create(pixels, imageBatch(n, net.imageShape()));
                NDArray mse;
                NDArray commitment;
                NDList output;
                try (GradientCollector collector = trainer.newGradientCollector()) {
                    output = trainer.forward(new NDList(images));
                    mse = output.get(0).sub(images).square().mean();
                    commitment = output.get(VqVae2.TOP + 2).add(output.get(VqVae2.BOTTOM + 2));
                    NDArray loss = mse.add(commitment.mul(Scoped.scalar(commitment, architecture.beta())));
                    if (!architecture.ema()) {
                        loss = loss.add(output.get(VqVae2.TOP + 3)).add(output.get(VqVae2.BOTTOM + 3));
                    }
                    collector.backward(loss);
                }
                double mseValue = mse.getFloat();
                double commitmentValue = commitment.getFloat();
                context.checkFinite(mseValue + architecture.beta() * commitmentValue, spec.learningRate());
                trainer.step();
                Map<String, Double> terms = new LinkedHashMap<>();
                terms.put(MSE, mseValue * n);
                terms.put(COMMITMENT, commitmentValue * n);
                update("top", net.topQuantizer(), output, VqVae2.TOP, noise, terms, n);
                update("bottom", net.bottomQuantizer(), output, VqVae2.BOTTOM, noise, terms, n);
                return terms;
            }
        }

        private void update(String level, VectorQuantizer quantizer, NDList output, int at, SplittableRandom noise,
                Map<String, Double> terms, int n) {
            VqVae2Architecture architecture = net.architecture();
            NDArray oneHot = output.get(at + 5);
            restarts[0] += quantizer.update(output.get(at + 4), oneHot, (float) architecture.decay(), (float) architecture.epsilon(),
                    (float) architecture.deadCodeThreshold(), noise);
            terms.put(level + "Perplexity", VectorQuantizer.perplexity(oneHot) * n);
            terms.put(level + "UsedCodes", (double) VectorQuantizer.usedCodes(oneHot) * n);
        }

        @Override
        public Map<String, Double> evaluate(ImageData data, long seed) {
            return VqVae2Family.evaluate(model, net, data);
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

    /** Held-out MSE and commitment per image, and each level's perplexity and used codes over the whole set. */
    static Map<String, Double> evaluate(Model model, VqVae2 net, ImageData data) {
        double[] sums = new double[2];
        CodeHistogram top = new CodeHistogram(net.architecture().topCodes());
        CodeHistogram bottom = new CodeHistogram(net.architecture().bottomCodes());
        TrainingLoop.forEachBatch(model.getNDManager(), data, TrainingLoop.identity(data.count()), data.count(), EVALUATION_BATCH,
                (scope, images, from, to) -> {
                    int n = to - from;
                    NDList output = net.forward(new ParameterStore(scope, false), new NDList(images), false);
                    sums[0] += output.get(0).sub(images).square().mean().getFloat() * n;
                    sums[1] += output.get(VqVae2.TOP + 2).add(output.get(VqVae2.BOTTOM + 2)).getFloat() * n;
                    top.add(output.get(VqVae2.TOP + 5));
                    bottom.add(output.get(VqVae2.BOTTOM + 5));
                });
        Map<String, Double> terms = new LinkedHashMap<>();
        terms.put(MSE, sums[0] / data.count());
        terms.put(COMMITMENT, sums[1] / data.count());
        terms.put("topPerplexity", top.perplexity());
        terms.put("topUsedCodes", (double) top.used());
        terms.put("bottomPerplexity", bottom.perplexity());
        terms.put("bottomUsedCodes", (double) bottom.used());
        return terms;
    }

    @Override
    public LoadedModel load(Path versionDir, ImageShape shape, Map<String, Object> architecture, Device device)
            throws IOException {
        VqVae2Architecture parsed = VqVae2Architecture.from(architecture, shape);
        PriorArchitectures priors = PriorArchitectures.fromModel(architecture);
        VqVae2 net = new VqVae2(shape, parsed);
        Model model = DjlModels.load(NAME, net, versionDir, PARAMETERS_PREFIX, device, "VQ-VAE-2 parameters");
        Model top = null;
        Model bottom = null;
        try {
            if (priors.top() != null) {
                top = DjlModels.load(TOP_PRIOR_PREFIX, topPrior(parsed, priors.top(), shape), versionDir, TOP_PRIOR_PREFIX, device,
                        "top prior parameters");
            }
            if (priors.bottom() != null) {
                bottom = DjlModels.load(BOTTOM_PRIOR_PREFIX, bottomPrior(parsed, priors.bottom(), shape), versionDir,
                        BOTTOM_PRIOR_PREFIX, device, "bottom prior parameters");
            }
        } catch (IOException | RuntimeException e) {
            model.close();
            if (top != null) {
                top.close();
            }
            throw e;
        }
        return new VqVae2Model(model, net, top, bottom);
    }

    static GatedPixelCnn topPrior(VqVae2Architecture model, TopPrior prior, ImageShape shape) {
        List<Integer> grid = model.topGrid(shape);
        return new GatedPixelCnn(model.topCodes(), prior.channels(), prior.layers(), prior.kernel(), prior.hidden(),
                new GatedPixelCnn.Options(0, prior.attentionEvery(), prior.heads(), (float) prior.dropout(), grid.get(0), grid.get(1)));
    }

    static ConditionalPixelCnn bottomPrior(VqVae2Architecture model, BottomPrior prior, ImageShape shape) {
        List<Integer> grid = model.bottomGrid(shape);
        return new ConditionalPixelCnn(model.topCodes(), model.bottomCodes(), prior, grid.get(0), grid.get(1));
    }

    @Override
    public Map<String, Object> priorArchitecture(Map<String, Object> requested, Map<String, Object> modelArchitecture,
            ImageShape shape) {
        VqVae2Architecture.from(modelArchitecture, shape);
        return PriorArchitectures.fromRequest(requested).toRequestMap();
    }

    /**
     * Fits the priors of the levels asked for, together; a level not asked for keeps the base version's prior, when it
     * has one. The code maps of a dataset are encoded once and packed per image as its top codes followed by its
     * bottom codes, so that the common loop shuffles and batches both together.
     */
    @Override
    public PriorFit fitPrior(Path baseDir, Map<String, Object> modelArchitecture, TrainingSpec spec, ImageData train,
            ImageData test, TrainingMonitor monitor, Checkpoints checkpoints, Path outputDir) throws IOException {
        ImageShape shape = spec.shape();
        VqVae2Architecture architecture = VqVae2Architecture.from(modelArchitecture, shape);
        PriorArchitectures asked = PriorArchitectures.fromRequest(spec.architecture());
        PriorArchitectures kept = PriorArchitectures.fromModel(modelArchitecture);
        Device device = spec.device();
        GradMode.disableForTraining();
        Grids grids = new Grids(architecture, shape);
        ImageData trainCodes;
        ImageData testCodes;
        VqVae2 net = new VqVae2(shape, architecture);
        try (Model base = DjlModels.load(NAME, net, baseDir, PARAMETERS_PREFIX, device, "the VQ-VAE-2 to fit priors to")) {
            trainCodes = codeMaps(base, net, train, grids);
            testCodes = codeMaps(base, net, test, grids);
        }
        TrainingSpec priorSpec = new TrainingSpec(trainCodes.shape(), spec.architecture(), spec.epochs(), spec.batchSize(),
                spec.learningRate(), spec.seed(), device);
        DjlModels.copySaved(PARAMETERS_PREFIX, baseDir, outputDir);
        List<TrainingResult> results = new ArrayList<>(2);
        if (asked.top() != null) {
            PriorPair top = new PriorPair(topPrior(architecture, asked.top(), shape), null);
            results.add(fitLevel(top, priorSpec, trainCodes, testCodes, monitor, checkpoints.phase(PriorArchitectures.TOP), grids,
                    () -> DjlModels.saveCopy(TOP_PRIOR_PREFIX, top.top(), topPrior(architecture, asked.top(), shape), device, outputDir,
                            TOP_PRIOR_PREFIX, grids.top(1))));
        } else if (kept.top() != null) {
            DjlModels.copySaved(TOP_PRIOR_PREFIX, baseDir, outputDir);
        }
        if (asked.bottom() != null) {
            PriorPair bottom = new PriorPair(null, bottomPrior(architecture, asked.bottom(), shape));
            results.add(fitLevel(bottom, priorSpec, trainCodes, testCodes, monitor, checkpoints.phase(PriorArchitectures.BOTTOM),
                    grids, () -> DjlModels.saveCopy(BOTTOM_PRIOR_PREFIX, bottom.bottom(), bottomPrior(architecture, asked.bottom(), shape),
                            device, outputDir, BOTTOM_PRIOR_PREFIX, grids.bottom(1), grids.top(1))));
        } else if (kept.bottom() != null) {
            DjlModels.copySaved(BOTTOM_PRIOR_PREFIX, baseDir, outputDir);
        }
        Map<String, Object> withPriors = new LinkedHashMap<>(architecture.toMap());
        withPriors.put("prior", asked.orElse(kept).toModelMap());
        return new PriorFit(combined(results), withPriors);
    }

    /**
     * Fits one level's prior. The levels are fitted one after the other, each with its own model, optimiser and
     * checkpoints: trained together in one graph, the two priors diverged to NaN on Fashion-MNIST codes within one or
     * two epochs in three runs of three (at learning rates 1e-3 and 3e-4), while each alone trained cleanly.
     */
    private static TrainingResult fitLevel(PriorPair pair, TrainingSpec spec, ImageData train, ImageData test,
            TrainingMonitor monitor, Checkpoints checkpoints, Grids grids, Save save) throws IOException {
        try (Model model = Model.newInstance("priors", spec.device())) {
            model.setBlock(pair);
            Adam adam = new Adam((float) spec.learningRate());
            try (Trainer trainer = DjlModels.newTrainer(model, adam, spec.device())) {
                trainer.initialize(grids.top(spec.batchSize()), grids.bottom(spec.batchSize()));
                TorchDefaultInit.apply(pair, spec.seed());
                TrainingResult result = TrainingResult.of(TrainingLoop.run(spec, train, test, monitor, checkpoints,
                        new PriorSteps(spec, pair, trainer, adam, model, grids, new int[1])), pair);
                save.run();
                return result;
            }
        }
    }

    /** Writes a fitted prior's file, while its parameters are still alive. */
    @FunctionalInterface
    private interface Save {
        void run() throws IOException;
    }

    /** One history for the levels fitted: each epoch's terms of every level, losses and times added up. */
    private static TrainingResult combined(List<TrainingResult> results) {
        if (results.size() == 1) {
            return results.getFirst();
        }
        List<EpochMetrics> history = new ArrayList<>();
        for (int i = 0; i < results.getFirst().history().size(); i++) {
            double trainLoss = 0;
            double testLoss = 0;
            double seconds = 0;
            Map<String, Double> trainTerms = new LinkedHashMap<>();
            Map<String, Double> testTerms = new LinkedHashMap<>();
            for (TrainingResult result : results) {
                EpochMetrics epoch = result.history().get(i);
                trainLoss += epoch.trainLoss();
                testLoss += epoch.testLoss();
                seconds += 1 / epoch.imagesPerSecond();
                epoch.trainTerms().forEach((name, value) -> trainTerms.merge(name, value, Double::sum));
                epoch.testTerms().forEach((name, value) -> testTerms.merge(name, value, Double::sum));
            }
            history.add(new EpochMetrics(i + 1, trainLoss, testLoss, trainTerms, testTerms, 1 / seconds));
        }
        long parameters = results.stream().mapToLong(TrainingResult::parameterCount).sum();
        return new TrainingResult(history, parameters);
    }

    /** The two code maps' sizes for an architecture and input shape. */
    record Grids(int topHeight, int topWidth, int bottomHeight, int bottomWidth) {

        Grids(VqVae2Architecture architecture, ImageShape shape) {
            this(architecture.topGrid(shape).get(0), architecture.topGrid(shape).get(1), architecture.bottomGrid(shape).get(0),
                    architecture.bottomGrid(shape).get(1));
        }

        int topCells() {
            return topHeight * topWidth;
        }

        int bottomCells() {
            return bottomHeight * bottomWidth;
        }

        Shape top(long n) {
            return new Shape(n, topHeight, topWidth);
        }

        Shape bottom(long n) {
            return new Shape(n, bottomHeight, bottomWidth);
        }

        /** Packed maps (n, top cells + bottom cells) split into (top (n, h, w), bottom (n, h, w)). */
        NDList unpack(NDArray packed) {
            long n = packed.getShape().get(0);
            return new NDList(packed.get(new NDIndex(":, 0:{}", topCells())).reshape(top(n)),
                    packed.get(new NDIndex(":, {}:", topCells())).reshape(bottom(n)));
        }
    }

    /** Each image's top then bottom codes, as a one-channel "image" of code indices. */
    private static ImageData codeMaps(Model model, VqVae2 net, ImageData data, Grids grids) {
        int size = grids.topCells() + grids.bottomCells();
        float[] codes = new float[data.count() * size];
        TrainingLoop.forEachBatch(model.getNDManager(), data, TrainingLoop.identity(data.count()), data.count(), EVALUATION_BATCH,
                (scope, images, from, to) -> {
                    NDList levels = net.encodeCodes(new ParameterStore(scope, false), images);
                    long n = to - from;
                    float[] packed = levels.get(0).reshape(n, -1).concat(levels.get(1).reshape(n, -1), 1)
                            .toType(DataType.FLOAT32, false).toFloatArray();
                    System.arraycopy(packed, 0, codes, from * size, packed.length);
                });
        return ImageData.ofFloats(new ImageShape(1, 1, size), codes);
    }

    /** Maximum likelihood of both levels' maps: in each step, the sum over levels of the mean NLL per code. */
    private record PriorSteps(TrainingSpec spec, PriorPair pair, Trainer trainer, Adam optimizer, Model model, Grids grids,
            int[] skipped) implements TrainingLoop.Steps {

        @Override
        public Block block() {
            return pair;
        }

        @Override
        public Map<String, Double> step(float[] codes, int n, SplittableRandom noise, TrainingLoop.StepContext context) {
            try (NDManager scope = trainer.getManager().newSubManager()) {
                NDList maps = grids.unpack(scope.create(codes, new Shape(n, grids.topCells() + grids.bottomCells()))
                        .toType(DataType.INT64, false));
                Map<String, Double> terms = new LinkedHashMap<>();
                try (GradientCollector collector = trainer.newGradientCollector()) {
                    NDList logits = trainer.forward(maps);
                    NDArray loss = null;
                    int at = 0;
                    double total = 0;
                    for (Level level : levels()) {
                        NDArray nll = GatedPixelCnn.negativeLogLikelihood(logits.get(at++), maps.get(level.index())).sum();
                        NDArray mean = nll.div(Scoped.scalar(nll, (double) n * level.cells()));
                        loss = loss == null ? mean : loss.add(mean);
                        double sum = nll.getFloat();
                        terms.put(level.name() + "Nll", sum);
                        total += sum;
                    }
                    terms.put(NLL, total);
                    collector.backward(loss);
                    context.checkFinite(total / n, spec.learningRate());
                }
                List<String> nonFinite = Gradients.nonFinite(pair.getParameters(), scope);
                if (nonFinite.isEmpty()) {
                    trainer.step();
                } else {
                    // A rare non-finite gradient (seen on the top prior after hundreds of clean steps) would turn every
                    // parameter it reaches into NaN through Adam; drop this step's gradients instead, as loss-scaling
                    // trainers do, and count it. Backpropagation runs from the output, so the last parameters named are
                    // nearest to where the non-finite value arose.
                    skipped[0]++;
                    log.warn("prior step skipped: NLL {} per map, non-finite gradients in {} of {} parameters, last {}",
                            terms.get(NLL) / n, nonFinite.size(), pair.getParameters().size(),
                            nonFinite.subList(Math.max(0, nonFinite.size() - 8), nonFinite.size()));
                    Gradients.clear(pair.getParameters());
                }
                return terms;
            }
        }

        @Override
        public Map<String, Double> epochStatistics() {
            double count = skipped[0];
            skipped[0] = 0;
            return Map.of("skippedSteps", count);
        }

        @Override
        public Map<String, Double> evaluate(ImageData data, long seed) {
            Map<String, Double> sums = new LinkedHashMap<>();
            TrainingLoop.forEachBatch(model.getNDManager(), data, TrainingLoop.identity(data.count()), data.count(), EVALUATION_BATCH,
                    (scope, packed, from, to) -> {
                        NDList maps = grids.unpack(packed.reshape(to - from, -1).toType(DataType.INT64, false));
                        NDList logits = pair.forward(new ParameterStore(scope, false), maps, false);
                        int at = 0;
                        for (Level level : levels()) {
                            double nll = GatedPixelCnn.negativeLogLikelihood(logits.get(at++), maps.get(level.index())).sum().getFloat();
                            sums.merge(level.name() + "Nll", nll, Double::sum);
                            sums.merge(NLL, nll, Double::sum);
                        }
                    });
            Map<String, Double> terms = new LinkedHashMap<>();
            terms.put(NLL, sums.get(NLL) / data.count());
            for (Level level : levels()) {
                double perMap = sums.get(level.name() + "Nll") / data.count();
                terms.put(level.name() + "Nll", perMap);
                terms.put(level.name() + "BitsPerCode", perMap / (level.cells() * Math.log(2)));
            }
            return terms;
        }

        @Override
        public double total(Map<String, Double> perImage) {
            return perImage.getOrDefault(NLL, 0.0);
        }

        private List<Level> levels() {
            List<Level> levels = new java.util.ArrayList<>(2);
            if (pair.top() != null) {
                levels.add(new Level(PriorArchitectures.TOP, 0, grids.topCells()));
            }
            if (pair.bottom() != null) {
                levels.add(new Level(PriorArchitectures.BOTTOM, 1, grids.bottomCells()));
            }
            return levels;
        }
    }

    /** A level being fitted: its name, its index in the unpacked maps, and its number of positions. */
    private record Level(String name, int index, int cells) {
    }
}
