package dev.latentserve.family;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

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

    /**
     * Why slerp between {@code a} and {@code b} is lerp: one of them is the zero vector (it has no direction), or they
     * are (anti)parallel (sin(omega) below {@value #PARALLEL}); null when slerp applies.
     */
    public static @Nullable String lerpReason(float[] a, float[] b) {
        double[] products = products(a, b);
        if (products[1] == 0 || products[2] == 0) {
            return "an end is the zero vector, which has no direction to rotate";
        }
        return Math.sin(omega(products)) < PARALLEL ? "the two ends point the same way or opposite ways (the sine of the "
                + "angle between them is below " + PARALLEL + "), where the rotation slerp follows is undefined" : null;
    }

    /** White (2016)'s slerp; {@link #lerp} where {@link #lerpReason} gives a reason. */
    public static float[] slerp(float[] a, float[] b, double t) {
        if (lerpReason(a, b) != null) {
            return lerp(a, b, t);
        }
        double omega = omega(products(a, b));
        double sine = Math.sin(omega);
        double weightA = Math.sin((1 - t) * omega) / sine;
        double weightB = Math.sin(t * omega) / sine;
        float[] result = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            result[i] = (float) (weightA * a[i] + weightB * b[i]);
        }
        return result;
    }

    /** a.b, |a|^2 and |b|^2, summed in double. */
    private static double[] products(float[] a, float[] b) {
        double[] products = new double[3];
        for (int i = 0; i < a.length; i++) {
            products[0] += (double) a[i] * b[i];
            products[1] += (double) a[i] * a[i];
            products[2] += (double) b[i] * b[i];
        }
        return products;
    }

    /** The angle between a and b from {@link #products}, the cosine clamped to [-1, 1] against rounding. */
    private static double omega(double[] products) {
        return Math.acos(Math.max(-1, Math.min(1, products[0] / Math.sqrt(products[1] * products[2]))));
    }
}
