package dev.latentserve;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class LatentServeApplication {

    public static void main(String[] args) {
        SpringApplication.run(LatentServeApplication.class, args);
    }
}
