package dev.latentserve.cli;

import dev.latentserve.datasets.DatasetService;
import dev.latentserve.image.ImageCodec;
import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import dev.latentserve.jobs.Job;
import dev.latentserve.jobs.JobRequest;
import dev.latentserve.jobs.JobService;
import dev.latentserve.serving.ImageInput;
import dev.latentserve.serving.InferenceResults;
import dev.latentserve.serving.InferenceService;
import dev.latentserve.storage.Directories;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code java -jar latentserve.jar benchmark-hierarchy [epochs] [priorEpochs] [outDir] [K,Ktop,Kbottom] [families]
 * [lr] [seed]}: trains a VQ-VAE and a VQ-VAE-2 (or only the families named, comma-separated) on Fashion-MNIST at a
 * similar code budget with the same optimiser settings (Adam at learning rate {@code lr}, default 1e-3; seed
 * {@code seed}, default 0), fits their priors, and prints each one's held-out reconstruction MSE and sampling speed.
 * Writes sample grids and reconstructions as PNG files into {@code outDir}. Everything goes through the job and
 * inference services, in process. With 0 prior epochs it only trains and compares the reconstructions.
 *
 * <p>Code budgets (default 128,32,16): the VQ-VAE has a 7x7 grid of K codes, 49 x log2 K bits per image (343 for
 * K = 128); the VQ-VAE-2 a 4x4 top grid of Ktop and an 8x8 bottom grid of Kbottom, 16 x log2 Ktop + 64 x log2 Kbottom
 * bits (336 for 32 and 16).
 */
public final class HierarchyBenchmark {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int SHOWN = 64;

    private HierarchyBenchmark() {
    }

    public static void run(Class<?> application, String[] args) throws Exception {
        int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int priorEpochs = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        Path out = Files.createDirectories(Path.of(args.length > 3 ? args[3] : "benchmark-hierarchy"));
        Path data = Files.createTempDirectory("latentserve-hierarchy");
        try (ConfigurableApplicationContext context = Headless.start(application, data)) {
            DatasetService datasets = context.getBean(DatasetService.class);
            datasets.importFashionMnist();
            JobService jobs = context.getBean(JobService.class);
            InferenceService inference = context.getBean(InferenceService.class);
            ImageData test = datasets.load("fashion-mnist-test");
            String[] codes = (args.length > 4 ? args[4] : "128,32,16").split(",");
            List<String> families = List.of((args.length > 5 ? args[5] : "vqvae,vqvae2").split(","));
            double learningRate = args.length > 6 ? Double.parseDouble(args[6]) : 1e-3;
            long seed = args.length > 7 ? Long.parseLong(args[7]) : 0L;
            if (families.contains("vqvae")) {
                report(jobs, inference, test, out, "vqvae", Map.of("codes", Integer.parseInt(codes[0]), "codeDim", 32), Map.of(),
                        epochs, learningRate, seed, priorEpochs);
            }
            if (families.contains("vqvae2")) {
                report(jobs, inference, test, out, "vqvae2", Map.of("topCodes", Integer.parseInt(codes[1]), "topCodeDim", 32,
                        "bottomCodes", Integer.parseInt(codes[2]), "bottomCodeDim", 32), Map.of(), epochs, learningRate,
                        seed, priorEpochs);
            }
        } finally {
            Directories.deleteRecursively(data);
        }
    }

    private static void report(JobService jobs, InferenceService inference, ImageData test, Path out, String family,
            Map<String, Object> architecture, Map<String, Object> prior, int epochs, double learningRate, long seed,
            int priorEpochs) throws Exception {
        String model = "cmp-" + family;
        Job trained = TrainCommand.waitFor(jobs, jobs.submit(JobRequest.train(model, family, "fashion-mnist-train",
                "fashion-mnist-test", epochs, 128, learningRate, seed, architecture)).id());
        System.out.println(family + " " + trained.state() + " " + trained.error());
        trained.progress().history().forEach(epoch -> System.out.printf("%s epoch %d: %.0f img/s, test %s%n", family, epoch.epoch(),
                epoch.imagesPerSecond(), epoch.testTerms()));
        if (priorEpochs == 0) {
            return;
        }
        Job fitted = TrainCommand.waitFor(jobs, jobs.submit(JobRequest.fitPrior(model + "@1", "fashion-mnist-train",
                "fashion-mnist-test", priorEpochs, 128, 3e-4, 0L, prior)).id());
        System.out.println(family + " prior " + fitted.state() + " " + fitted.error());
        fitted.progress().history().forEach(epoch -> System.out.printf("%s prior epoch %d: %.0f maps/s, test %s%n", family,
                epoch.epoch(), epoch.imagesPerSecond(), epoch.testTerms()));

        ImageShape shape = test.shape();
        List<ImageInput> inputs = new ArrayList<>();
        List<float[]> originals = new ArrayList<>();
        for (int i = 0; i < SHOWN / 2; i++) {
            float[] pixels = new float[shape.size()];
            test.copyImage(i, pixels, 0);
            inputs.add(new ImageInput.Pixels(pixels));
            originals.add(pixels);
        }
        InferenceResults.Reconstructed reconstructed = inference.reconstruct(model, inputs, 0L).join();
        List<float[]> pairs = new ArrayList<>();
        for (int i = 0; i < originals.size(); i++) {
            pairs.add(originals.get(i));
            pairs.add(reconstructed.reconstructions().get(i).pixels());
        }
        Files.write(out.resolve(family + "-reconstructions.png"), ImageCodec.grid(shape, pairs, 16));

        inference.sample(model, 2, 0L, 1.0, null, Map.of()).join();
        for (int count : new int[] {1, 16, 64}) {
            int repeats = Math.max(1, 32 / count);
            long start = System.nanoTime();
            InferenceResults.SampleOutcome last = null;
            for (int r = 0; r < repeats; r++) {
                last = inference.sample(model, count, (long) r, 1.0, null, Map.of()).join();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("%s sample count %d: %.1f samples/s, %.0f ms per request%n", family, count, count * repeats / seconds,
                    seconds / repeats * 1000);
            if (count == SHOWN && last instanceof InferenceResults.Sampled sampled) {
                Files.write(out.resolve(family + "-samples.png"), ImageCodec.grid(shape, List.of(sampled.samples().images()), 8));
            }
        }
        Job sampleJob = TrainCommand.waitFor(jobs, jobs.submit(JobRequest.sample(model, 1L,
                new JobRequest.SampleSpec(256, 1.0, null, null))).id());
        JsonNode result = JSON.readTree(jobs.result(sampleJob.id(), false));
        System.out.printf("%s sample job of 256: %s, %.1f samples/s%n", family, sampleJob.state(),
                result.get("samplesPerSecond").asDouble());
    }
}
