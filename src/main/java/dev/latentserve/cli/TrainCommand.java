package dev.latentserve.cli;

import dev.latentserve.datasets.DatasetService;
import dev.latentserve.family.EpochMetrics;
import dev.latentserve.jobs.Job;
import dev.latentserve.jobs.JobRequest;
import dev.latentserve.jobs.JobService;
import dev.latentserve.registry.ModelManifest;
import dev.latentserve.registry.ModelReference;
import dev.latentserve.registry.ModelRegistry;
import dev.latentserve.storage.Directories;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * {@code java -jar latentserve.jar train [--epochs N] [--batch-size N] [--learning-rate X] [--seed N]
 * [--model NAME] [--export DIR]}: trains a VAE on Fashion-MNIST through the same job service the API
 * uses, prints per-epoch throughput and test loss, and optionally copies the new version to
 * {@code DIR/<name>/<version>} (how the shipped model is made).
 */
public final class TrainCommand {

    private TrainCommand() {
    }

    static final String USAGE = "usage: train [--epochs N] [--batch-size N] [--learning-rate X] [--seed N] "
            + "[--model NAME] [--export DIR]: trains a VAE on Fashion-MNIST (apt-get install dataset-fashion-mnist)";

    public static void run(Class<?> application, String[] args) throws Exception {
        Map<String, String> options = options(args);
        Path data = Files.createTempDirectory("latentserve-train");
        try (ConfigurableApplicationContext context = Headless.start(application, data)) {
            context.getBean(DatasetService.class).importFashionMnist();
            JobService jobs = context.getBean(JobService.class);
            String model = options.getOrDefault("model", "fashion-vae");
            Job job = jobs.submit(JobRequest.train(model, "vae", "fashion-mnist-train", "fashion-mnist-test",
                    Integer.parseInt(options.getOrDefault("epochs", "10")),
                    Integer.parseInt(options.getOrDefault("batch-size", "128")),
                    Double.parseDouble(options.getOrDefault("learning-rate", "0.001")),
                    Long.parseLong(options.getOrDefault("seed", "0")), Map.of()));
            Job done = waitFor(jobs, job.id());
            if (!"SUCCEEDED".equals(done.state().name())) {
                System.err.println("training failed: " + done.error());
                System.exit(1);
            }
            for (EpochMetrics epoch : done.progress().history()) {
                System.out.printf("epoch %d train_img_per_s %.0f train_loss %.4f test_loss %.4f (reconstruction %.4f, kl %.4f)%n",
                        epoch.epoch(), epoch.imagesPerSecond(), epoch.trainLoss(), epoch.testLoss(),
                        epoch.testTerms().get("reconstruction"), epoch.testTerms().get("kl"));
            }
            ModelRegistry registry = context.getBean(ModelRegistry.class);
            ModelManifest manifest = registry.resolve(new ModelReference(model, done.resultVersion()));
            if (options.containsKey("export")) {
                Path target = Path.of(options.get("export")).resolve(model).resolve(Integer.toString(manifest.version()));
                Directories.deleteRecursively(target);
                Files.createDirectories(target);
                try (Stream<Path> files = Files.list(registry.directory(manifest))) {
                    for (Path file : files.toList()) {
                        Files.copy(file, target.resolve(file.getFileName()));
                    }
                }
                System.out.println("exported " + manifest.reference() + " to " + target);
            }
        } finally {
            Directories.deleteRecursively(data);
        }
    }

    static Job waitFor(JobService jobs, String id) throws InterruptedException {
        while (true) {
            Job job = jobs.get(id);
            if (job.state().isTerminal()) {
                return job;
            }
            Thread.sleep(500);
        }
    }

    private static Map<String, String> options(String[] args) throws IOException {
        Map<String, String> options = new LinkedHashMap<>();
        List<String> list = List.of(args);
        for (int i = 1; i < list.size(); i++) {
            String arg = list.get(i);
            if (!arg.startsWith("--") || i + 1 >= list.size()) {
                throw new IllegalArgumentException("bad argument " + arg);
            }
            options.put(arg.substring(2), list.get(++i));
        }
        return options;
    }
}
