package dev.latentserve.family;

import java.util.Locale;

/**
 * Paths between two latents: linear interpolation, or spherical linear interpolation (slerp) as White (2016),
 * "Sampling Generative Networks", section 2.1, proposes for latents with a Gaussian prior, whose samples lie near a
 * sphere: slerp(a, b; t) = sin((1 - t) omega) / sin(omega) a + sin(t omega) / sin(omega) b, omega the angle between a and
 * b. Each latent is taken as one vector, however the model lays it out.
 */
public final class Interpolation {

    /**
     * Below this sin(omega) the two vectors are (anti)parallel, slerp's quotients lose their precision (0/0 in the limit),
     * and lerp is taken instead: for parallel vectors of one norm the two paths agree to within rounding.
     */
    static final double PARALLEL = 1e-6;

    private Interpolation() {
    }

    /** How to move between the two ends. */
    public enum Method {
        LERP,
        SLERP;

        /** The method named {@code lerp} or {@code slerp}, in any case. */
        public static Method of(String name) {
            return switch (name.toLowerCase(Locale.ROOT)) {
                case "lerp" -> LERP;
                case "slerp" -> SLERP;
                default -> throw new InvalidInferenceInputException(InvalidInferenceInputException.Kind.OUT_OF_RANGE,
                        "method must be lerp or slerp, not '" + name + "'");
            };
        }

        public String json() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * {@code steps} points from {@code a} to {@code b} at t = i / (steps - 1), both ends included exactly (copies of
     * {@code a} and {@code b}).
     */
    public static float[][] path(float[] a, float[] b, int steps, Method method) {
        if (a.length != b.length || steps < 2) {
            throw new IllegalArgumentException("two ends of one length and at least 2 steps, not " + a.length + ", " + b.length
                    + " and " + steps);
        }
        float[][] points = new float[steps][];
        points[0] = a.clone();
        points[steps - 1] = b.clone();
        for (int i = 1; i < steps - 1; i++) {
            double t = (double) i / (steps - 1);
            points[i] = method == Method.SLERP ? slerp(a, b, t) : lerp(a, b, t);
        }
        return points;
    }

    /** (1 - t) a + t b. */
    public static float[] lerp(float[] a, float[] b, double t) {
        float[] result = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            result[i] = (float) ((1 - t) * a[i] + t * b[i]);
        }
        return result;
    }

    /** White (2016)'s slerp; {@link #lerp} when a or b is zero or they are (anti)parallel. */
    public static float[] slerp(float[] a, float[] b, double t) {
        double dot = 0;
        double normA = 0;
        double normB = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            normA += (double) a[i] * a[i];
            normB += (double) b[i] * b[i];
        }
        if (normA == 0 || normB == 0) {
            return lerp(a, b, t);
        }
        double cosine = Math.max(-1, Math.min(1, dot / Math.sqrt(normA * normB)));
        double omega = Math.acos(cosine);
        double sine = Math.sin(omega);
        if (sine < PARALLEL) {
            return lerp(a, b, t);
        }
        double weightA = Math.sin((1 - t) * omega) / sine;
        double weightB = Math.sin(t * omega) / sine;
        float[] result = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            result[i] = (float) (weightA * a[i] + weightB * b[i]);
        }
        return result;
    }
}
