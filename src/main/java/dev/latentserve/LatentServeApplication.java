package dev.latentserve;

import dev.latentserve.cli.EngineBenchmark;
import dev.latentserve.cli.HierarchyBenchmark;
import dev.latentserve.cli.PrepareEngine;
import dev.latentserve.cli.SamplingBenchmark;
import dev.latentserve.cli.TrainCommand;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class LatentServeApplication {

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("prepare-engine")) {
            PrepareEngine.run();
            return;
        }
        if (args.length > 0 && args[0].equals("train")) {
            TrainCommand.run(args);
            return;
        }
        if (args.length > 0 && args[0].equals("benchmark-engine")) {
            EngineBenchmark.run(args);
            return;
        }
        if (args.length > 0 && args[0].equals("benchmark-sampling")) {
            SamplingBenchmark.run(args);
            return;
        }
        if (args.length > 0 && args[0].equals("benchmark-hierarchy")) {
            HierarchyBenchmark.run(args);
            return;
        }
        SpringApplication.run(LatentServeApplication.class, args);
    }
}
