package dev.latentserve.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.ArgumentMatchers.isNull;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;

import dev.latentserve.api.ProblemWriter;
import dev.latentserve.config.StorageProperties;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mockito.ArgumentCaptor;
import org.springframework.http.HttpStatus;
import org.springframework.mock.web.MockFilterChain;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

/** A refused key is told why: the retired generated admin key gets its own reason, other strangers the usual one. */
class ApiKeyFilterTests {

    private static final String GENERATED_KEY = "generated-at-first-start-0123456789abcdef0123";

    @TempDir
    Path root;

    @Test
    void theRetiredGeneratedKeyIsRefusedWithItsReason() throws Exception {
        String detail = refusal(GENERATED_KEY, "Retired API key");
        assertThat(detail).contains("generated at first start").contains("retired because a key with the admin scope is now "
                + "configured").doesNotContain(GENERATED_KEY);
    }

    @Test
    void anUnknownKeyIsRefusedAsBefore() throws Exception {
        assertThat(refusal("not-a-key-of-this-service-0123456789abcdef", "Unknown API key"))
                .isEqualTo("the API key sent is not one of this service's keys");
    }

    /** The detail of the 401 that a request with {@code key} gets, once an admin key has retired the generated one. */
    private String refusal(String key, String title) throws Exception {
        Files.createDirectories(root.resolve("secrets"));
        Files.writeString(root.resolve("secrets").resolve("admin-api-key"), GENERATED_KEY + "\n");
        ApiKeys keys = new ApiKeys(new SecurityProperties(true, "configured-admin-key-0123456789abcdef0123456789", Map.of(), null,
                new SecurityProperties.RateLimit(200, 400), 16_777_216, "latentserve."), new StorageProperties(root));
        ProblemWriter problems = mock(ProblemWriter.class);
        MockHttpServletRequest request = new MockHttpServletRequest("GET", "/v1/jobs");
        request.addHeader(ApiKeyFilter.HEADER, key);
        MockHttpServletResponse response = new MockHttpServletResponse();
        MockFilterChain chain = new MockFilterChain();
        new ApiKeyFilter(keys, problems).doFilter(request, response, chain);
        ArgumentCaptor<String> detail = ArgumentCaptor.forClass(String.class);
        verify(problems).write(any(), any(), eq(HttpStatus.UNAUTHORIZED), eq("unauthorized"), eq(title), detail.capture(), isNull());
        assertThat(chain.getRequest()).as("the request goes no further").isNull();
        return detail.getValue();
    }
}
