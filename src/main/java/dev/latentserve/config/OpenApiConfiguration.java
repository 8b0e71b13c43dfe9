package dev.latentserve.config;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.info.License;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The OpenAPI document's title and description; Swagger UI is at /swagger-ui.html. */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

    @Bean
    OpenAPI latentServeOpenApi() {
        return new OpenAPI().info(new Info()
                .title("latentserve")
                .version("v1")
                .description("Trains and serves latent-variable image models (VAE). Models are addressed as {name} "
                        + "(its newest version) or {name}@{version}. Errors are RFC 9457 problem documents.")
                .license(new License().name("Apache-2.0")));
    }
}
