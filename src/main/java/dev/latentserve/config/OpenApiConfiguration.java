package dev.latentserve.config;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.info.License;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import io.swagger.v3.oas.models.servers.Server;
import java.util.List;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The OpenAPI document's title, description and credentials; Swagger UI is at /swagger-ui.html, where "Authorize"
 * takes an API key (or a JWT) for the calls it tries out.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

    static final String API_KEY = "apiKey";
    static final String BEARER = "bearer";

    @Bean
    OpenAPI latentServeOpenApi() {
        return new OpenAPI().info(new Info()
                        .title("latentserve")
                        .version("v1")
                        .description("Trains and serves latent-variable image models (VAE, VQ-VAE, VQ-VAE-2). Models are "
                                + "addressed as {name} (its newest version) or {name}@{version}. Errors are RFC 9457 problem "
                                + "documents. Every /v1 call needs an API key (X-API-Key) or a JWT bearer token: scope "
                                + "inference for sample, encode, decode, reconstruct, complete and reading models, admin for the rest.")
                        .license(new License().name("Apache License 2.0").identifier("Apache-2.0")))
                // Relative: the document is right wherever the service is reached (behind a gateway, on another port).
                .servers(List.of(new Server().url("/").description("this service")))
                .components(new Components()
                        .addSecuritySchemes(API_KEY, new SecurityScheme().type(SecurityScheme.Type.APIKEY)
                                .in(SecurityScheme.In.HEADER).name("X-API-Key").description("An API key of this service"))
                        .addSecuritySchemes(BEARER, new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("bearer")
                                .bearerFormat("JWT").description("A JWT with the scope latentserve.inference or latentserve.admin, "
                                        + "where the service is configured to accept them")))
                .addSecurityItem(new SecurityRequirement().addList(API_KEY))
                .addSecurityItem(new SecurityRequirement().addList(BEARER));
    }

    /**
     * Every /v1 operation needs credentials, so each can answer 401; said once here rather than on every method. The
     * problem schema is the one the operations' own error responses use.
     */
    @Bean
    OpenApiCustomizer unauthorizedResponses() {
        return api -> {
            if (api.getPaths() == null) {
                return;
            }
            ApiResponse unauthorized = new ApiResponse().description("No credentials, or an API key or token the service does "
                    + "not accept").content(new Content().addMediaType("application/problem+json",
                            new MediaType().schema(new Schema<>().$ref("#/components/schemas/ProblemDetail"))));
            api.getPaths().forEach((path, item) -> {
                if (path.startsWith("/v1/")) {
                    for (Operation operation : item.readOperations()) {
                        operation.getResponses().putIfAbsent("401", unauthorized);
                    }
                }
            });
        };
    }
}
