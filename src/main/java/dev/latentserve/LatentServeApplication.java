package dev.latentserve;

import dev.latentserve.cli.Commands;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class LatentServeApplication {

    public static void main(String[] args) throws Exception {
        if (!Commands.run(LatentServeApplication.class, args)) {
            SpringApplication.run(LatentServeApplication.class, args);
        }
    }
}
