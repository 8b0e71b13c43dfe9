package dev.latentserve.cli;

import dev.latentserve.datasets.DatasetService;
import dev.latentserve.jobs.Job;
import dev.latentserve.jobs.JobRequest;
import dev.latentserve.jobs.JobService;
import dev.latentserve.serving.InferenceService;
import dev.latentserve.storage.Directories;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * {@code java -jar latentserve.jar benchmark-sampling [vqvaeEpochs] [priorEpochs]}: trains a VQ-VAE on Fashion-MNIST
 * (28x28 to a 7x7 grid, K=64, D=32) and a gated PixelCNN prior on its codes through the job service, then times
 * {@code sample} for several batch sizes, in process. Prints the test metrics and samples per second.
 */
public final class SamplingBenchmark {

    private SamplingBenchmark() {
    }

    public static void run(Class<?> application, String[] args) throws Exception {
        int vqvaeEpochs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int priorEpochs = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        Path data = Files.createTempDirectory("latentserve-bench");
        try (ConfigurableApplicationContext context = Headless.start(application, data)) {
            context.getBean(DatasetService.class).importFashionMnist();
            JobService jobs = context.getBean(JobService.class);
            Job vqvae = TrainCommand.waitFor(jobs, jobs.submit(JobRequest.train("bench-vqvae", "vqvae", "fashion-mnist-train",
                    "fashion-mnist-test", vqvaeEpochs, 128, 2e-4, 0L, Map.of())).id());
            System.out.println("vqvae " + vqvae.state() + " " + vqvae.progress().history().getLast());
            Job prior = TrainCommand.waitFor(jobs, jobs.submit(JobRequest.fitPrior("bench-vqvae@1",
                    "fashion-mnist-train", "fashion-mnist-test", priorEpochs, 128, 1e-3, 0L, Map.of())).id());
            System.out.println("prior " + prior.state() + " " + prior.progress().history().getLast());
            InferenceService inference = context.getBean(InferenceService.class);
            inference.sample("bench-vqvae", 4, 0L, 1.0, null, Map.of()).join();
            for (int count : new int[] {1, 16, 64}) {
                int repeats = Math.max(1, 64 / count);
                long start = System.nanoTime();
                for (int r = 0; r < repeats; r++) {
                    inference.sample("bench-vqvae", count, (long) r, 1.0, null, Map.of()).join();
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("sample count %d: %.1f samples/s, %.0f ms per request%n", count, count * repeats / seconds,
                        seconds / repeats * 1000);
            }
        } finally {
            Directories.deleteRecursively(data);
        }
    }
}
