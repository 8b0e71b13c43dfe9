package dev.latentserve.family.vqvae2;

import static dev.latentserve.family.TrainingLoop.imageBatch;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import dev.latentserve.family.Checkpoints;
import dev.latentserve.family.DjlModels;
import dev.latentserve.family.LatentSpec;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.ModelFamily;
import dev.latentserve.family.PriorFitting;
import dev.latentserve.family.SamplingProperties;
import dev.latentserve.family.TrainingLoop;
import dev.latentserve.family.TrainingMonitor;
import dev.latentserve.family.TrainingResult;
import dev.latentserve.family.TrainingRun;
import dev.latentserve.family.TrainingSpec;
import dev.latentserve.family.vq.CodeMaps;
import dev.latentserve.family.vq.CodePriors;
import dev.latentserve.family.vq.CodebookObjective;
import dev.latentserve.family.vq.QuantizedSteps;
import dev.latentserve.family.vqvae2.PriorArchitectures.BottomPrior;
import dev.latentserve.family.vqvae2.PriorArchitectures.TopPrior;
import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import dev.latentserve.nn.GatedPixelCnn;
import dev.latentserve.nn.GradMode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.springframework.beans.factory.annotation.Autowired;
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

    private final SamplingProperties sampling;

    /** With the default sampling settings, for use outside Spring. */
    public VqVae2Family() {
        this(SamplingProperties.DEFAULTS);
    }

    @Autowired
    public VqVae2Family(SamplingProperties sampling) {
        this.sampling = sampling;
    }

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
        VqVae2 net = new VqVae2(spec.shape(), architecture);
        CodebookObjective objective = CodebookObjective.of(net, architecture.codebookSettings());
        return TrainingRun.of(NAME, net, spec, imageBatch(spec.batchSize(), spec.shape()))
                .initialisedWith(session -> {
                    // Standard normal codebooks, as in the one-level model.
                    SplittableRandom random = new SplittableRandom(spec.seed() + 3);
                    net.topQuantizer().setCodebook(TrainingLoop.gaussian(random, architecture.topCodes() * architecture.topCodeDim()));
                    net.bottomQuantizer().setCodebook(TrainingLoop.gaussian(random,
                            architecture.bottomCodes() * architecture.bottomCodeDim()));
                })
                .train(train, test, monitor, checkpoints, session -> new QuantizedSteps(spec, net, objective, session),
                        TrainingRun.saveTo(outputDir, PARAMETERS_PREFIX));
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
        return new VqVae2Model(model, net, top, bottom, sampling.incremental());
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
     * Fits the priors of the levels asked for, top first ({@link CodePriors#fit}: one level after the other, each with
     * its own checkpoint phase); a level not asked for keeps the base version's prior, when it has one.
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
        VqVae2 net = new VqVae2(shape, architecture);
        CodeMaps codes;
        try (Model base = DjlModels.load(NAME, net, baseDir, PARAMETERS_PREFIX, device, "the VQ-VAE-2 to fit priors to")) {
            codes = CodeMaps.encode(base.getNDManager(), net, train, test);
        }
        DjlModels.copySaved(PARAMETERS_PREFIX, baseDir, outputDir);
        // Each level weighs in the plan by its forward multiply-adds per code map, from its grid positions and layer
        // settings (PriorArchitectures): with the defaults at 28x28 the bottom's 64 positions come to 4.2 times the top's
        // 16 (the top's attention adds less than the bottom's conditioning). Measured (BENCHMARKS.md, run 3): 1,000 top
        // maps/s against 230-310 bottom maps/s, 3.2 to 4.3 times as long per epoch.
        List<CodePriors.Level> levels = new ArrayList<>(2);
        if (asked.top() != null) {
            TopPrior settings = asked.top();
            PriorPair top = new PriorPair(topPrior(architecture, settings, shape), null);
            levels.add(new CodePriors.Level(PriorArchitectures.TOP, top, checkpoints.phase(PriorArchitectures.TOP),
                    settings.multiplyAddsPerMap(architecture.topCodes(), grids.topHeight(), grids.topWidth()),
                    session -> DjlModels.saveCopy(TOP_PRIOR_PREFIX, top.top(), topPrior(architecture, settings, shape), device,
                            outputDir, TOP_PRIOR_PREFIX, grids.top(1))));
        } else if (kept.top() != null) {
            DjlModels.copySaved(TOP_PRIOR_PREFIX, baseDir, outputDir);
        }
        if (asked.bottom() != null) {
            BottomPrior settings = asked.bottom();
            PriorPair bottom = new PriorPair(null, bottomPrior(architecture, settings, shape));
            levels.add(new CodePriors.Level(PriorArchitectures.BOTTOM, bottom, checkpoints.phase(PriorArchitectures.BOTTOM),
                    settings.multiplyAddsPerMap(architecture.topCodes(), architecture.bottomCodes(), grids.bottomHeight(),
                            grids.bottomWidth()),
                    session -> DjlModels.saveCopy(BOTTOM_PRIOR_PREFIX, bottom.bottom(), bottomPrior(architecture, settings, shape),
                            device, outputDir, BOTTOM_PRIOR_PREFIX, grids.bottom(1), grids.top(1))));
        } else if (kept.bottom() != null) {
            DjlModels.copySaved(BOTTOM_PRIOR_PREFIX, baseDir, outputDir);
        }
        TrainingResult result = CodePriors.fit(spec, codes, levels, monitor);
        Map<String, Object> withPriors = new LinkedHashMap<>(architecture.toMap());
        withPriors.put("prior", asked.orElse(kept).toModelMap());
        return new PriorFit(result, withPriors);
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
    }
}
