package dev.latentserve.api;

import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;

/**
 * Content negotiation for endpoints that answer JSON or PNG, by RFC 9110 section 12.5.1: each type the endpoint
 * offers gets the quality of the most specific media range in {@code Accept} that matches it ({@code image/png}
 * before {@code image/*} before {@code *}{@code /*}); the type with the highest quality wins, q=0 means "not this",
 * and on a tie the endpoint's own order decides (JSON first), so {@code *}{@code /*} gets JSON and
 * {@code image/*;q=0.9, *}{@code /*;q=0.1} gets PNG.
 *
 * <p>Spring MVC's own negotiation picks the first concrete acceptable type without asking whether a converter can write
 * the body (a JSON record "negotiated" to image/png was a 500); controllers therefore set the type chosen here on the
 * response explicitly.
 */
public final class ResponseFormats {

    /** What the JSON-or-PNG endpoints offer, in their order of preference. */
    public static final List<MediaType> JSON_OR_PNG = List.of(MediaType.APPLICATION_JSON, MediaType.IMAGE_PNG);

    /** NumPy's npy file: one array ({@code np.load}). */
    public static final String NPY_VALUE = "application/x-npy";
    public static final MediaType NPY = MediaType.parseMediaType(NPY_VALUE);
    /** NumPy's npz archive: a zip of npy files, one per named array ({@code np.load(f)["name"]}). */
    public static final String NPZ_VALUE = "application/x-npz";
    public static final MediaType NPZ = MediaType.parseMediaType(NPZ_VALUE);
    /** An npz archive under the zip type, which is what it is; for clients that know no npz type. */
    public static final String ZIP_VALUE = "application/zip";
    public static final MediaType ZIP = MediaType.parseMediaType(ZIP_VALUE);

    /** What endpoints that answer images offer: JSON, one PNG grid, or one npy array (N, C, H, W). */
    public static final List<MediaType> IMAGES = List.of(MediaType.APPLICATION_JSON, MediaType.IMAGE_PNG, NPY);
    /** What endpoints that answer arrays offer: JSON, one npy array, or an npz archive of several under either type. */
    public static final List<MediaType> ARRAYS = List.of(MediaType.APPLICATION_JSON, NPY, NPZ, ZIP);

    private static final int MAX_RANGES = 50;

    private ResponseFormats() {
    }

    /**
     * The best of {@code offered} for this Accept header (absent or blank: the first offered).
     *
     * @throws NotAcceptableException when the header accepts none of them (HTTP 406)
     * @throws BadRequestException when the header is not a list of media ranges (HTTP 400)
     */
    public static MediaType choose(@Nullable String accept, List<MediaType> offered) {
        if (accept == null || accept.isBlank()) {
            return offered.getFirst();
        }
        List<MediaType> ranges = parse(accept);
        MediaType best = null;
        double bestQuality = 0;
        for (MediaType type : offered) {
            double quality = quality(type, ranges);
            if (quality > bestQuality) {
                best = type;
                bestQuality = quality;
            }
        }
        if (best == null) {
            throw new NotAcceptableException(accept, offered);
        }
        return best;
    }

    /** Whether PNG is the best of JSON and PNG for this Accept header; throws as {@link #choose} does. */
    public static boolean prefersPng(@Nullable String accept) {
        return MediaType.IMAGE_PNG.equals(choose(accept, JSON_OR_PNG));
    }

    /** The quality the most specific matching range gives {@code type}; 0 when none matches. */
    private static double quality(MediaType type, List<MediaType> ranges) {
        MediaType match = null;
        for (MediaType range : ranges) {
            if (range.includes(type) && (match == null || specificity(range) > specificity(match))) {
                match = range;
            }
        }
        return match == null ? 0 : match.getQualityValue();
    }

    private static int specificity(MediaType range) {
        if (range.isWildcardType()) {
            return 0;
        }
        long parameters = range.getParameters().keySet().stream().filter(name -> !name.equalsIgnoreCase("q")).count();
        return range.isWildcardSubtype() ? 1 : 2 + (int) parameters;
    }

    /**
     * Parses an Accept header.
     *
     * @throws BadRequestException when it is malformed
     */
    public static List<MediaType> parse(String accept) {
        List<MediaType> ranges;
        try {
            ranges = MediaType.parseMediaTypes(accept);
        } catch (IllegalArgumentException e) { // InvalidMediaTypeException among them
            throw new BadRequestException("invalid-accept-header", "Invalid Accept header",
                    "the Accept header '" + accept + "' is not a list of media ranges (" + ContentTypes.reason(e)
                            + "); send for example Accept: application/json or Accept: image/png");
        }
        if (ranges.size() > MAX_RANGES) {
            // Spring MVC's own negotiation refuses longer lists (a parsing-cost guard); say so instead of "nothing fits".
            throw new BadRequestException("invalid-accept-header", "Invalid Accept header", "the Accept header lists "
                    + ranges.size() + " media ranges; at most " + MAX_RANGES + " are read");
        }
        return ranges;
    }

    /**
     * Why Spring MVC's negotiation found no type to answer with: a malformed Accept (400), or one that allows none of
     * {@code offered} (406; JSON when Spring names none).
     */
    public static ProblemException notAcceptable(@Nullable String accept, List<MediaType> offered) {
        List<MediaType> types = offered.isEmpty() ? List.of(MediaType.APPLICATION_JSON) : offered;
        if (accept != null) {
            try {
                parse(accept);
            } catch (BadRequestException malformed) {
                return malformed;
            }
        }
        return new NotAcceptableException(accept, types);
    }

    /** No type this endpoint answers with is acceptable to the client (HTTP 406). */
    public static final class NotAcceptableException extends ProblemException {

        public NotAcceptableException(@Nullable String accept, List<MediaType> offered) {
            super(HttpStatus.NOT_ACCEPTABLE, "not-acceptable", "No acceptable response type", "Accept: " + accept
                    + " allows none of the types this endpoint answers with: "
                    + String.join(", ", offered.stream().map(MediaType::toString).toList()));
        }
    }
}
