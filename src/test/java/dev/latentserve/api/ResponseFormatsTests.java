package dev.latentserve.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.http.MediaType;

/** RFC 9110 12.5.1 negotiation between JSON and PNG, for the Accept headers clients send. */
class ResponseFormatsTests {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "''                                                     | application/json",
            "*/*                                                    | application/json",
            "image/*;q=0.9, */*;q=0.1                               | image/png",
            "image/png                                              | image/png",
            "application/json                                       | application/json",
            "application/json;q=0.5, image/png                      | image/png",
            "image/png, application/json                            | application/json",
            "image/png;q=0, */*                                     | application/json",
            "*/*;q=0.1, image/png;q=0.2                             | image/png",
            "image/*, application/*                                 | application/json",
            "image/avif,image/webp,image/apng,image/*,*/*;q=0.8     | image/png",
            "text/html,application/xhtml+xml,*/*;q=0.8              | application/json",
            "application/json;q=0.3, image/*;q=0.4, image/png;q=0.2 | application/json"})
    void theBestOfferedTypeWins(String accept, String expected) {
        assertThat(ResponseFormats.choose(accept, ResponseFormats.JSON_OR_PNG)).isEqualTo(MediaType.parseMediaType(expected));
    }

    @Test
    void anAcceptThatAllowsNothingOfferedIs406AndAMalformedOneIs400() {
        assertThatThrownBy(() -> ResponseFormats.choose("image/webp, text/plain", ResponseFormats.JSON_OR_PNG))
                .isInstanceOf(ResponseFormats.NotAcceptableException.class).hasMessageContaining("application/json, image/png");
        assertThatThrownBy(() -> ResponseFormats.choose("*/*;q=0", ResponseFormats.JSON_OR_PNG))
                .isInstanceOf(ResponseFormats.NotAcceptableException.class);
        assertThatThrownBy(() -> ResponseFormats.choose("this is ;; not a media type", List.of(MediaType.APPLICATION_JSON)))
                .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.type()).isEqualTo("invalid-accept-header"));
    }
}
