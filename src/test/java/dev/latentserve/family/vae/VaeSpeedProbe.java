package dev.latentserve.family.vae;

import dev.latentserve.datasets.DatasetTestAccess;
import dev.latentserve.family.EpochMetrics;
import dev.latentserve.family.TrainingMonitor;
import dev.latentserve.family.TrainingSpec;
import dev.latentserve.image.ImageData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

public class VaeSpeedProbe {
    public static void main(String[] args) throws Exception {
        int limit = Integer.parseInt(args[0]);
        int epochs = Integer.parseInt(args[1]);
        ImageData train = DatasetTestAccess.readIdx(Path.of("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"), limit);
        ImageData test = DatasetTestAccess.readIdx(Path.of("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"), 10000);
        VaeFamily family = new VaeFamily();
        TrainingSpec spec = new TrainingSpec(train.shape(), family.architecture(Map.of(), train.shape()), epochs, 128, 1e-3, 0, ai.djl.Device.cpu());
        Path out = Files.createTempDirectory("vae");
        var result = family.train(spec, train, test, new TrainingMonitor() {
            public void onStep(StepProgress p) { }
            public void onEpoch(EpochMetrics m) { System.out.println(m); }
            public boolean isCancelled() { return false; }
        }, out);
        System.out.println(result.parameterCount());
    }
}
