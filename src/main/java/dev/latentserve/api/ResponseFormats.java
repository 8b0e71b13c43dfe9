package dev.latentserve.api;

import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;

/** Picks PNG or JSON from an Accept header: PNG only when the client prefers it. */
public final class ResponseFormats {

    private ResponseFormats() {
    }

    public static boolean prefersPng(@Nullable String accept) {
        if (accept == null || accept.isBlank()) {
            return false;
        }
        List<MediaType> types;
        try {
            types = MediaType.parseMediaTypes(accept);
        } catch (InvalidMediaTypeException e) {
            return false;
        }
        return types.stream()
                .sorted(Comparator.comparingDouble(MediaType::getQualityValue).reversed())
                .filter(t -> t.isCompatibleWith(MediaType.IMAGE_PNG) || t.isCompatibleWith(MediaType.APPLICATION_JSON))
                .findFirst()
                .map(t -> !t.isWildcardType() && !t.isWildcardSubtype() && t.isCompatibleWith(MediaType.IMAGE_PNG))
                .orElse(false);
    }
}
