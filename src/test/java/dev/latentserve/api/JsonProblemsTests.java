package dev.latentserve.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

class JsonProblemsTests {

    /** Read as the application reads bodies (config.JsonConfiguration). */
    private static final JsonMapper JSON = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT).enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    private static final List<String> INTERNALS = List.of("`", "JsonToken", "Feature", "Cannot deserialize", "REDACTED", "(code ",
            "dev.latentserve", "java.util", "java.lang", "Source:", "START_", "VALUE_");

    record Sample(@Nullable Integer count, @Nullable Long seed, @Nullable Double temperature) {
    }

    record Decode(List<float[]> latents, float[] @Nullable [] pixels) {
    }

    record Job(String type, @Nullable Integer epochs, @Nullable Map<String, Object> architecture, @Nullable Sample sample) {
    }

    private static String detail(Class<?> type, String body) {
        JacksonException failure = catchThrowableOfType(JacksonException.class, () -> JSON.readValue(body, type));
        assertThat(failure).as(body).isNotNull();
        String detail = JsonProblems.describe(failure);
        assertThat(detail).as(body).isNotNull();
        assertThat(detail).as(body).doesNotContain(INTERNALS);
        return detail;
    }

    @Test
    void anArrayWhereTheBodyTakesAnObjectSaysBoth() {
        assertThat(detail(Sample.class, "[1,2]")).isEqualTo("the body (line 1, column 1) takes a JSON object, not an array");
    }

    @Test
    void aBodyCutShortSaysItEndsTooEarly() {
        assertThat(detail(Sample.class, "{\"count\": 2")).startsWith("the JSON ends too early (line 1, column 12)")
                .contains("not closed");
    }

    @Test
    void aWrongTypeNamesTheFieldWhatItTakesAndWhatCame() {
        assertThat(detail(Sample.class, "{\"count\": 2, \"seed\": true}"))
                .isEqualTo("field 'seed' (line 1, column 22) takes a whole number from -9223372036854775808 to 9223372036854775807, not true");
        assertThat(detail(Decode.class, "{\"latents\": {\"a\": 1}}")).isEqualTo("field 'latents' (line 1, column 13) takes an array, not an object");
        assertThat(detail(Job.class, "{\"type\": \"train\", \"architecture\": [1]}"))
                .isEqualTo("field 'architecture' (line 1, column 35) takes a JSON object, not an array");
        assertThat(detail(Decode.class, "{\"latents\": [], \"pixels\": [[0.1, null]]}")).startsWith("field 'pixels[0][1]'")
                .endsWith("takes a finite number within ±3.4e38, not null");
    }

    @Test
    void syntaxErrorsSayWhatWasFoundAndWhatJsonNeedsThere() {
        assertThat(detail(Sample.class, "{'count': 2}")).isEqualTo(
                "the body is not valid JSON (line 1, column 2): unexpected character ''' where a field name in double quotes should be");
        assertThat(detail(Sample.class, "{\"count\": 2,}")).isEqualTo(
                "the body is not valid JSON (line 1, column 13): unexpected character '}' where a field name in double quotes should be");
        assertThat(detail(Sample.class, "{\"count\": 2 \"seed\": 1}")).contains("unexpected character '\"'",
                "a comma between fields or the closing }");
        assertThat(detail(Sample.class, "{\"count\": 2, \"temperature\": NaN}")).endsWith("NaN is not a JSON number; send a finite number");
        assertThat(detail(Sample.class, "{\"count\": 2} trailing")).contains("unexpected word 'trailing'",
                "nothing may follow the body's closing bracket");
    }

    @Test
    void numbersOutOfRangeQuoteTheValueSent() {
        assertThat(detail(Sample.class, "{\n \"count\": 2147483648}"))
                .isEqualTo("field 'count' (line 2, column 21): the value 2147483648 is out of range; it takes a whole number from "
                        + "-2147483648 to 2147483647");
        assertThat(detail(Job.class, "{\"type\": \"train\", \"epochs\": 1e400}")).contains("'epochs'",
                "a number beyond the range of a double");
    }

    @Test
    void anUnknownFieldIsNamedWithTheFieldsTheBodyTakes() {
        assertThat(detail(Sample.class, "{\"count\": 1, \"cuont\": 2}"))
                .isEqualTo("field 'cuont' (line 1, column 25) is not one the body takes; it takes count, seed, temperature");
        assertThat(detail(Job.class, "{\"type\": \"t\", \"sample\": {\"cuont\": 2}}"))
                .startsWith("field 'cuont'").contains("is not one field 'sample' takes; it takes count, seed, temperature");
    }

    @Test
    void duplicatesControlCharactersAndBrokenTextAreSaidPlainly() {
        assertThat(detail(Sample.class, "{\"count\": 1, \"count\": 2}")).endsWith("field 'count' is given twice; send each field once");
        assertThat(detail(Decode.class, "{\"latents\": [}")).isEqualTo("the body is not valid JSON (line 1, column 14): unexpected "
                + "character '}' where a value or the closing ] of the array should be");
        assertThat(detail(Job.class, "{\"architecture\": {]}")).endsWith("unexpected character ']' where a field or the closing } "
                + "of the object should be");
        assertThat(detail(Job.class, "{\"type\": \"a\u0001b\"}")).contains("a control character, U+0001", "\\u0001");
        assertThat(JsonProblems.describe(catchThrowableOfType(JacksonException.class, () -> JSON.readValue(
                new byte[] {'{', '"', 't', 'y', 'p', 'e', '"', ':', '"', (byte) 0xff, '"', '}'}, Job.class))))
                .contains("not valid UTF-8");
        assertThat(detail(Job.class, "{\"type\": \"t\", \"architecture\": {\"a\": " + "[".repeat(600) + "]".repeat(600) + "}}")).contains("breaks a limit")
                .doesNotContain("from a");
    }

    /** Every malformed body, read into every kind of request, gets a detail free of Jackson's internals. */
    @ParameterizedTest
    @ValueSource(strings = {"[1,2]", "{\"count\": 2", "{", "}", "{'count': 2}", "{\"count\": 2,}", "{\"count\": \"two\"}",
            "{\"count\": true}", "{\"count\": [1]}", "{\"count\": {}}", "{\"count\": null, \"count\": 1}", "{\"seed\": 1.5}",
            "{\"temperature\": NaN}", "{\"temperature\": Infinity}", "{\"temperature\": -Infinity}", "{\"count\": 2} x",
            "{\"latents\": [[0, \"x\"]]}", "{\"latents\": 5}", "{\"latents\": [[null]]}", "{\"pixels\": [[0.1, null]]}",
            "{\"architecture\": [1]}", "{\"architecture\": \"a\"}", "{\"sample\": {\"count\": \"a\"}}", "{\"sample\": []}",
            "{\"epochs\": 1e400}", "{\"type\": 1, \"type\": 2}", "\"text\"", "42", "{\"a\" 1}", "{\"a\": tru}", "{\"a\": 01}",
            "{\"a\": .5}", "{\"a\": \"\\x\"}", "{\"a\": \"tab\tin string\"}", "{\"a\": 1e}", "{\"a\": [1,,2]}", "{\"a\": [1 2]}", "{\"a\": [}", "{\"a\": {]}",
            "{\"count\": 99999999999999999999999}", "{\"seed\": 99999999999999999999999}", "/* c */ {}", "{\"a\": 1} {\"b\": 2}"})
    void noDetailShowsJacksonsInternals(String body) {
        for (Class<?> type : List.of(Sample.class, Decode.class, Job.class)) {
            try {
                JSON.readValue(body, type);
            } catch (JacksonException e) {
                String detail = JsonProblems.describe(e);
                assertThat(detail).as(body + " as " + type.getSimpleName()).isNotNull().doesNotContain(INTERNALS);
            }
        }
    }
}
