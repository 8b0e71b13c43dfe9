package dev.latentserve.security;

import dev.latentserve.api.ProblemWriter;
import jakarta.servlet.DispatcherType;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationConverter;
import org.springframework.security.oauth2.server.resource.web.BearerTokenResolver;
import org.springframework.security.oauth2.server.resource.web.DefaultBearerTokenResolver;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.AnonymousAuthenticationFilter;
import org.springframework.security.web.context.SecurityContextHolderFilter;
import org.springframework.security.web.firewall.RequestRejectedHandler;

/**
 * The API's doors. Public: health, info, Prometheus metrics, the OpenAPI document and Swagger UI. Scope inference:
 * sample, encode, decode, reconstruct, and reading models. Scope admin: everything else (datasets, jobs, deleting
 * versions, the other actuator endpoints). The Open Inference Protocol under {@code /v2} alike: its health public, its
 * metadata and inference for scope inference. Callers authenticate with an API key or, when
 * {@code spring.security.oauth2.resourceserver.jwt.*} is configured, a JWT whose scope claim holds
 * {@code <jwt-scope-prefix>inference} or {@code <jwt-scope-prefix>admin}. Every refusal is an RFC 9457 problem.
 */
@Configuration
// Web processes only: the command-line tools (train, benchmarks) have no HttpSecurity.
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
class SecurityConfiguration {

    private static final String[] PUBLIC = {"/actuator/health", "/actuator/health/**", "/actuator/info", "/actuator/prometheus",
            "/v3/api-docs", "/v3/api-docs/**", "/swagger-ui.html", "/swagger-ui/**", "/error",
            // The console's static files: it asks for the key in the page and sends it with each API call.
            "/console", "/console/**", "/webjars/**",
            // The Open Inference Protocol's probes, public like actuator health.
            "/v2/health/live", "/v2/health/ready"};
    private static final String[] INFERENCE_POST = {"/v1/models/*/sample", "/v1/models/*/encode", "/v1/models/*/decode",
            "/v1/models/*/reconstruct", "/v1/models/*/interpolate", "/v1/models/*/complete", "/v1/models/*/score"};

    @Bean
    SecurityFilterChain api(HttpSecurity http, SecurityProperties properties, ApiKeys keys, RateLimiter limiter,
            ProblemWriter problems, ObjectProvider<JwtDecoder> jwtDecoder) throws Exception {
        http.csrf(AbstractHttpConfigurer::disable)
                .httpBasic(AbstractHttpConfigurer::disable)
                .formLogin(AbstractHttpConfigurer::disable)
                .logout(AbstractHttpConfigurer::disable)
                .requestCache(AbstractHttpConfigurer::disable)
                .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .exceptionHandling(exceptions -> exceptions
                        .authenticationEntryPoint((request, response, e) -> problems.write(request, response,
                                HttpStatus.UNAUTHORIZED, "unauthorized", "Authentication required", "send an API key as X-API-Key "
                                        + "(or Authorization: Bearer <key>), or a JWT bearer token where one is accepted", null))
                        .accessDeniedHandler((request, response, e) -> problems.write(request, response, HttpStatus.FORBIDDEN,
                                "forbidden", "Scope missing", "this caller may not " + request.getMethod() + " "
                                        + request.getRequestURI() + "; it needs the " + needed(request) + " scope", null)))
                .addFilterBefore(new RequestSizeFilter(properties.maxRequestBytes(), problems), SecurityContextHolderFilter.class);
        if (!properties.enabled()) {
            http.authorizeHttpRequests(authorize -> authorize.anyRequest().permitAll());
            return http.build();
        }
        String inference = Scope.INFERENCE.authority();
        String admin = Scope.ADMIN.authority();
        http.addFilterBefore(new ApiKeyFilter(keys, problems), AnonymousAuthenticationFilter.class)
                .addFilterAfter(new RateLimitFilter(limiter, properties.rateLimit(), problems), AnonymousAuthenticationFilter.class)
                .authorizeHttpRequests(authorize -> authorize
                        // Async (DeferredResult) and error dispatches carry on a request already authorised.
                        .dispatcherTypeMatchers(DispatcherType.ASYNC, DispatcherType.ERROR).permitAll()
                        .requestMatchers(PUBLIC).permitAll()
                        .requestMatchers(HttpMethod.POST, INFERENCE_POST).hasAnyAuthority(inference, admin)
                        // A version's archive is its weights: taking them elsewhere is an administrator's decision.
                        .requestMatchers(HttpMethod.GET, "/v1/models/*/versions/*/archive").hasAuthority(admin)
                        .requestMatchers(HttpMethod.GET, "/v1/models", "/v1/models/**").hasAnyAuthority(inference, admin)
                        // The Open Inference Protocol has nothing to administer: all of it but its health is inference.
                        .requestMatchers("/v2", "/v2/**").hasAnyAuthority(inference, admin)
                        .anyRequest().hasAuthority(admin));
        JwtDecoder decoder = jwtDecoder.getIfAvailable();
        if (decoder != null) {
            DefaultBearerTokenResolver bearer = new DefaultBearerTokenResolver();
            // A bearer token that is not a JWT is an API key, which ApiKeyFilter has dealt with.
            BearerTokenResolver jwtsOnly = request -> {
                String token = bearer.resolve(request);
                return token != null && ApiKeyFilter.looksLikeJwt(token) ? token : null;
            };
            JwtAuthenticationConverter converter = new JwtAuthenticationConverter();
            converter.setJwtGrantedAuthoritiesConverter(jwt -> scopes(jwt, properties.jwtScopePrefix()));
            http.oauth2ResourceServer(resourceServer -> resourceServer.bearerTokenResolver(jwtsOnly)
                    .authenticationEntryPoint((request, response, e) -> problems.write(request, response, HttpStatus.UNAUTHORIZED,
                            "unauthorized", "Invalid bearer token", e.getMessage(), null))
                    .jwt(jwt -> jwt.decoder(decoder).jwtAuthenticationConverter(converter)));
        }
        return http.build();
    }

    private static String needed(jakarta.servlet.http.HttpServletRequest request) {
        String path = request.getRequestURI();
        boolean inference = path.startsWith("/v1/models") && (("GET".equals(request.getMethod()) && !path.endsWith("/archive"))
                || path.matches("/v1/models/[^/]+/(sample|encode|decode|reconstruct|complete|interpolate|score)"))
                || path.equals("/v2") || path.startsWith("/v2/models/");
        return inference ? "inference (or admin)" : "admin";
    }

    /** The JWT's scopes ("scope" or "scp" claim) that name ours, as the same authorities API keys get. */
    private static Collection<GrantedAuthority> scopes(Jwt jwt, String prefix) {
        List<String> claimed = new ArrayList<>();
        Object scope = jwt.getClaims().get("scope");
        if (scope instanceof String text) {
            claimed.addAll(List.of(text.split(" ")));
        }
        if (jwt.getClaims().get("scp") instanceof Collection<?> list) {
            list.forEach(item -> claimed.add(String.valueOf(item)));
        }
        List<GrantedAuthority> authorities = new ArrayList<>();
        for (Scope known : Scope.values()) {
            if (claimed.contains(prefix + known.name().toLowerCase(java.util.Locale.ROOT))) {
                authorities.add(new SimpleGrantedAuthority(known.authority()));
            }
        }
        return authorities;
    }

    /** Requests Spring Security's firewall refuses (encoded slashes, "..", ...) get a 400 problem too. */
    @Bean
    RequestRejectedHandler rejectedRequests(ProblemWriter problems) {
        return (request, response, e) -> problems.write(request, response, HttpStatus.BAD_REQUEST, "rejected-request",
                "Request rejected", "the request path is not allowed: " + e.getMessage(), null);
    }

    /**
     * Tomcat refuses an encoded slash ({@code %2F}) in a path with its own HTML page. Let it through, so that Spring
     * Security's firewall refuses it with a problem instead; nothing downstream decodes it into a path separator.
     */
    @Bean
    TomcatConnectorCustomizer encodedSlashesReachTheFirewall() {
        return connector -> connector.setEncodedSolidusHandling("passthrough");
    }

    /** No user names and passwords here: stops Spring Boot from generating a default user and logging its password. */
    @Bean
    UserDetailsService noPasswordUsers() {
        return new InMemoryUserDetailsManager();
    }
}
