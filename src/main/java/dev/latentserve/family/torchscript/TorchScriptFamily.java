package dev.latentserve.family.torchscript;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.latentserve.family.Checkpoints;
import dev.latentserve.family.DjlModels;
import dev.latentserve.family.Importing;
import dev.latentserve.family.InvalidArchitectureException;
import dev.latentserve.family.InvalidImportException;
import dev.latentserve.family.LatentSpec;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.ModelFamily;
import dev.latentserve.family.PriorFitting;
import dev.latentserve.family.SamplingProperties;
import dev.latentserve.family.TrainingMonitor;
import dev.latentserve.family.TrainingResult;
import dev.latentserve.family.TrainingRun;
import dev.latentserve.family.TrainingSpec;
import dev.latentserve.family.torchscript.Descriptor.Kind;
import dev.latentserve.family.vq.CodeMaps;
import dev.latentserve.family.vq.CodePriors;
import dev.latentserve.family.vq.CodebookLevel;
import dev.latentserve.family.vq.PriorArchitecture;
import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import dev.latentserve.nn.GradMode;
import dev.latentserve.nn.VectorQuantizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The family of imported models: VAEs and VQ-VAEs trained elsewhere (in PyTorch) and brought in as TorchScript, an
 * {@code encoder.pt} and a {@code decoder.pt}, with a VQ-VAE's {@code codebook.npy} and the descriptor
 * {@code latentserve-model.json} ({@link Descriptor} describes its fields and what they mean).
 *
 * <p>{@link #inspect} checks a version folder completely ({@link ImportProbe}); the registry then publishes it with the
 * returned architecture: the descriptor with every field given, plus, for a VQ-VAE, {@code "codebook": {"codes": K,
 * "codeDim": D}} and, once fitted, the prior under {@code "prior"}. Versions are not trained here ({@link #train} refuses);
 * an imported VQ-VAE takes a fit-prior job, which fits the gated PixelCNN prior of the VQ-VAE family to its codes and
 * publishes a version that samples.
 */
@Component
public final class TorchScriptFamily implements ModelFamily, Importing, PriorFitting {

    static final String NAME = "torchscript";
    static final String PRIOR_PREFIX = "prior";
    static final String CODEBOOK = "codebook";
    static final String PRIOR = "prior";
    private static final String NOT_TRAINED_HERE = "imported models are not trained here: the torchscript family serves "
            + "models trained elsewhere; import one with POST /v1/models/{name}/versions";
    private static final long MAX_DESCRIPTOR_BYTES = 1 << 20;
    private static final JsonMapper JSON = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private final SamplingProperties sampling;

    /** With the default sampling settings, for use outside Spring. */
    public TorchScriptFamily() {
        this(SamplingProperties.DEFAULTS);
    }

    @Autowired
    public TorchScriptFamily(SamplingProperties sampling) {
        this.sampling = sampling;
    }

    @Override
    public String name() {
        return NAME;
    }

    /** @throws InvalidArchitectureException always: imported models are not built from hyperparameters here */
    @Override
    public Map<String, Object> architecture(Map<String, Object> requested, ImageShape shape) {
        throw new InvalidArchitectureException(NOT_TRAINED_HERE);
    }

    /**
     * {@link LatentSpec.Gaussian} for a VAE's latent [d], {@link LatentSpec.SpatialGaussian} for [c, h, w], and a
     * {@link LatentSpec.CodeGrid} for a VQ-VAE, whose prior is the fitted prior's type or {@value LatentSpec#NO_PRIOR}.
     */
    @Override
    public LatentSpec latentSpec(Map<String, Object> architecture, ImageShape shape) {
        Stored stored = Stored.of(architecture);
        return latentSpec(stored.descriptor(), stored.codebook(), stored.prior() == null ? LatentSpec.NO_PRIOR : PriorArchitecture.TYPE);
    }

    private static LatentSpec latentSpec(Descriptor descriptor, @Nullable CodebookSize codebook, String prior) {
        List<Integer> latent = descriptor.latentShape();
        if (descriptor.kind() == Kind.VQVAE) {
            return new LatentSpec.CodeGrid(codebook.codes(), codebook.codeDim(), latent, prior);
        }
        return latent.size() == 1 ? new LatentSpec.Gaussian(latent.getFirst())
                : new LatentSpec.SpatialGaussian(latent.get(0), latent.subList(1, 3));
    }

    @Override
    public String lossName() {
        return "negativeElbo";
    }

    @Override
    public String lossUnit() {
        return "nats per image";
    }

    /** @throws InvalidArchitectureException always: imported models are trained elsewhere */
    @Override
    public TrainingResult train(TrainingSpec spec, ImageData train, ImageData test, TrainingMonitor monitor, Checkpoints checkpoints,
            Path outputDir) {
        throw new InvalidArchitectureException(NOT_TRAINED_HERE);
    }

    /**
     * Reads the descriptor, loads both modules and runs them on probe batches ({@link ImportProbe}).
     *
     * @throws InvalidImportException for a missing or malformed file, or modules that do not answer as declared
     */
    @Override
    public Imported inspect(Path dir, Device device) throws IOException {
        Descriptor descriptor = readDescriptor(dir);
        Codebook codebook = descriptor.kind() == Kind.VQVAE ? Codebook.read(dir) : null;
        GradMode.disableOnThisThread();
        TorchScriptModule encoder = TorchScriptModule.load(dir, Answers.ENCODER, device);
        try (Model encoderModel = encoder.model()) {
            TorchScriptModule decoder = TorchScriptModule.load(dir, Answers.DECODER, device);
            try (Model decoderModel = decoder.model(); NDManager scope = encoderModel.getNDManager().newSubManager()) {
                ImportProbe.check(descriptor, encoder, decoder, codebook == null ? null : quantizer(codebook, scope), scope);
            }
        }
        CodebookSize size = codebook == null ? null : new CodebookSize(codebook.codes(), codebook.dimension());
        Stored stored = new Stored(descriptor, size, null);
        return new Imported(descriptor.inputShape(), stored.toMap(), latentSpec(descriptor, size, LatentSpec.NO_PRIOR), stored.files());
    }

    /**
     * {@code latentserve-model.json}, {@code encoder.pt}, {@code decoder.pt}, a VQ-VAE's {@code codebook.npy} and, once a
     * prior is fitted, its parameters {@code prior-0000.params}.
     */
    @Override
    public List<String> files(Map<String, Object> architecture) {
        return Stored.of(architecture).files();
    }

    @Override
    public LoadedModel load(Path versionDir, ImageShape shape, Map<String, Object> architecture, Device device) throws IOException {
        Stored stored = Stored.of(architecture);
        Descriptor descriptor = stored.descriptor();
        if (!descriptor.inputShape().equals(shape)) {
            throw new IOException("the version in " + versionDir + " takes " + descriptor.inputShape() + " images by its "
                    + "architecture, not " + shape + " as its manifest says");
        }
        List<Model> loaded = new ArrayList<>();
        try {
            TorchScriptModule encoder = TorchScriptModule.load(versionDir, Answers.ENCODER, device);
            loaded.add(encoder.model());
            TorchScriptModule decoder = TorchScriptModule.load(versionDir, Answers.DECODER, device);
            loaded.add(decoder.model());
            if (descriptor.kind() == Kind.VAE) {
                return new ImportedVae(descriptor, encoder, decoder);
            }
            Codebook codebook = codebook(versionDir, stored);
            Model prior = null;
            if (stored.prior() != null) {
                prior = DjlModels.load(PRIOR_PREFIX, PriorArchitecture.from(stored.prior()).block(codebook.codes()), versionDir,
                        PRIOR_PREFIX, device, "prior parameters");
            }
            return new ImportedVqVae(descriptor, encoder, decoder, quantizer(codebook, encoder.model().getNDManager()), prior,
                    sampling.incremental());
        } catch (IOException | RuntimeException e) {
            loaded.forEach(Model::close);
            throw e;
        }
    }

    /**
     * The VQ-VAE family's prior, with its defaults.
     *
     * @throws InvalidArchitectureException for an imported VAE, whose Gaussian latents are sampled without one
     */
    @Override
    public Map<String, Object> priorArchitecture(Map<String, Object> requested, Map<String, Object> modelArchitecture,
            ImageShape shape) {
        requireCodes(Stored.of(modelArchitecture));
        return PriorArchitecture.from(requested).toMap();
    }

    /**
     * Encodes the images to code maps with the imported encoder and codebook, fits the prior to them, and writes the
     * version's files with the prior's parameters into {@code outputDir}.
     */
    @Override
    public PriorFit fitPrior(Path baseDir, Map<String, Object> modelArchitecture, TrainingSpec spec, ImageData train, ImageData test,
            TrainingMonitor monitor, Checkpoints checkpoints, Path outputDir) throws IOException {
        Stored stored = requireCodes(Stored.of(modelArchitecture));
        Descriptor descriptor = stored.descriptor();
        PriorArchitecture priorArchitecture = PriorArchitecture.from(spec.architecture());
        GradMode.disableForTraining();
        Codebook codebook = codebook(baseDir, stored);
        CodeMaps codes;
        TorchScriptModule encoder = TorchScriptModule.load(baseDir, Answers.ENCODER, spec.device());
        try (Model model = encoder.model()) {
            NDManager manager = model.getNDManager();
            VectorQuantizer quantizer = quantizer(codebook, manager);
            PixelSpace pixels = new PixelSpace(descriptor);
            List<Integer> grid = descriptor.latentShape();
            codes = CodeMaps.encode(manager, List.of(new CodebookLevel("", quantizer, grid.get(0), grid.get(1))),
                    (scope, images) -> List.of(quantizer.encode(Answers.encoderOutputs(descriptor, codebook.dimension(),
                            encoder.forward(scope, pixels.normalise(images)), (int) images.getShape().get(0)))), train, test);
        }
        Stored withoutPrior = new Stored(descriptor, stored.codebook(), null);
        for (String file : withoutPrior.files()) {
            Files.copy(baseDir.resolve(file), outputDir.resolve(file));
        }
        // One level, so the weight only needs to be positive.
        TrainingResult result = CodePriors.fit(spec, codes, List.of(new CodePriors.Level("", priorArchitecture.block(codebook.codes()),
                checkpoints, 1, TrainingRun.saveTo(outputDir, PRIOR_PREFIX))), monitor);
        return new PriorFit(result, new Stored(descriptor, stored.codebook(), priorArchitecture.toMap()).toMap());
    }

    private static Stored requireCodes(Stored stored) {
        if (stored.descriptor().kind() != Kind.VQVAE) {
            throw new InvalidArchitectureException("this imported model is a VAE, whose Gaussian latents are sampled from "
                    + "N(0, I) without a fitted prior; priors are fitted to models with discrete codes (imported VQ-VAEs, "
                    + "families vqvae and vqvae2)");
        }
        return stored;
    }

    /** The codebook of a published version, which must still have the size its manifest records. */
    private static Codebook codebook(Path dir, Stored stored) throws IOException {
        Codebook codebook = Codebook.read(dir);
        CodebookSize size = stored.codebook();
        if (codebook.codes() != size.codes() || codebook.dimension() != size.codeDim()) {
            throw new IOException(Codebook.FILE + " in " + dir + " holds (" + codebook.codes() + ", " + codebook.dimension()
                    + "); the version's manifest records (" + size.codes() + ", " + size.codeDim() + ")");
        }
        return codebook;
    }

    /** The codebook as the project's vector quantiser (nearest code, lookup), its arrays owned by {@code manager}. */
    private static VectorQuantizer quantizer(Codebook codebook, NDManager manager) {
        VectorQuantizer quantizer = new VectorQuantizer(codebook.codes(), codebook.dimension(), false);
        quantizer.initialize(manager, DataType.FLOAT32, new Shape(1, codebook.dimension(), 1, 1));
        quantizer.setCodebook(codebook.vectors());
        return quantizer;
    }

    private static Descriptor readDescriptor(Path dir) throws IOException {
        Path path = dir.resolve(Descriptor.FILE);
        if (!Files.isRegularFile(path)) {
            throw new InvalidImportException("the version has no " + Descriptor.FILE + "; an import holds it next to encoder.pt "
                    + "and decoder.pt at its top level");
        }
        if (Files.size(path) > MAX_DESCRIPTOR_BYTES) {
            throw new InvalidImportException(Descriptor.FILE + " is larger than " + MAX_DESCRIPTOR_BYTES + " bytes");
        }
        Object json;
        try {
            json = JSON.readValue(Files.readString(path), Object.class);
        } catch (JacksonException e) {
            throw new InvalidImportException(Descriptor.FILE + " is not valid JSON: " + e.getOriginalMessage());
        } catch (java.nio.charset.MalformedInputException e) {
            throw new InvalidImportException(Descriptor.FILE + " is not UTF-8 text");
        }
        if (!(json instanceof Map<?, ?> map)) {
            throw new InvalidImportException(Descriptor.FILE + " must hold a JSON object, not " + Descriptor.describe(json));
        }
        @SuppressWarnings("unchecked")
        Map<String, ?> fields = (Map<String, ?>) map;
        return Descriptor.parse(fields, Descriptor.FILE);
    }

    /** K codes of D numbers. */
    record CodebookSize(int codes, int codeDim) {
    }

    /**
     * A version's architecture as its manifest records it: the descriptor's fields, and for a VQ-VAE the codebook's size and,
     * once fitted, the prior's architecture.
     */
    private record Stored(Descriptor descriptor, @Nullable CodebookSize codebook, @Nullable Map<String, Object> prior) {

        static Stored of(Map<String, Object> architecture) {
            Map<String, Object> fields = new LinkedHashMap<>(architecture);
            Object codebook = fields.remove(CODEBOOK);
            Object prior = fields.remove(PRIOR);
            Descriptor descriptor = Descriptor.parse(fields, "the version's architecture");
            CodebookSize size = null;
            if (descriptor.kind() == Kind.VQVAE) {
                if (!(codebook instanceof Map<?, ?> map && map.get("codes") instanceof Number k && map.get("codeDim") instanceof Number d)) {
                    throw new InvalidImportException("the version's architecture has no codebook size "
                            + "{\"codes\": K, \"codeDim\": D}: " + codebook);
                }
                size = new CodebookSize(k.intValue(), d.intValue());
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> priorArchitecture = prior instanceof Map<?, ?> map ? (Map<String, Object>) map : null;
            return new Stored(descriptor, size, priorArchitecture);
        }

        Map<String, Object> toMap() {
            Map<String, Object> map = descriptor.toMap();
            if (codebook != null) {
                Map<String, Object> size = new LinkedHashMap<>();
                size.put("codes", codebook.codes());
                size.put("codeDim", codebook.codeDim());
                map.put(CODEBOOK, size);
            }
            if (prior != null) {
                map.put(PRIOR, prior);
            }
            return map;
        }

        List<String> files() {
            List<String> files = new ArrayList<>(List.of(Descriptor.FILE, Answers.ENCODER, Answers.DECODER));
            if (codebook != null) {
                files.add(Codebook.FILE);
            }
            if (prior != null) {
                files.add(PRIOR_PREFIX + "-0000.params");
            }
            return files;
        }
    }
}
