package dev.latentserve.testing;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads request bodies as Spring MVC does: the {@link JsonMapper} that Spring Boot's Jackson auto-configuration builds
 * (the application adds no customizers or {@code spring.jackson.*} settings), then Bean Validation.
 */
public final class RequestBodies {

    private static final JsonMapper JSON = springJsonMapper();
    private static final Validator VALIDATOR = Validation.buildDefaultValidatorFactory().getValidator();

    private RequestBodies() {
    }

    /**
     * The fuzzing contract for a JSON body: it is refused by Jackson ({@link JacksonException}), or it becomes a record
     * whose validation gives violations or none; no other exception may come out.
     */
    public static <T> void readAndValidate(byte[] body, Class<T> type) {
        T request;
        try {
            request = JSON.readValue(body, type);
        } catch (JacksonException refused) {
            return;
        }
        if (request == null) {
            return; // a JSON null: Spring answers a missing body itself, before validation
        }
        for (ConstraintViolation<T> violation : VALIDATOR.validate(request)) {
            assertThat(violation.getMessage()).isNotBlank();
        }
    }

    private static JsonMapper springJsonMapper() {
        AtomicReference<JsonMapper> mapper = new AtomicReference<>();
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class))
                .run(context -> mapper.set(context.getBean(JsonMapper.class)));
        return mapper.get();
    }
}
