package dev.latentserve.family;

import java.util.Map;
import java.util.Set;

/** Reading hyperparameters from a request's JSON map, with ranges and messages that say what to fix. */
public final class Hyperparameters {

    private Hyperparameters() {
    }

    /** Refuses keys outside {@code known}, so a typo is an error rather than a silently used default. */
    public static void checkKeys(Map<String, Object> requested, Set<String> known, String what) {
        for (String key : requested.keySet()) {
            if (!known.contains(key)) {
                throw new InvalidArchitectureException("unknown " + what + " field '" + key + "'; known: " + known);
            }
        }
    }

    public static int integer(Map<String, Object> map, String key, int fallback, int min, int max) {
        Object value = map.get(key);
        if (value == null) {
            return fallback;
        }
        if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.intValue() < min
                || n.intValue() > max) {
            throw new InvalidArchitectureException(key + " must be an integer within " + min + ".." + max + ", not " + describe(value));
        }
        return n.intValue();
    }

    public static double real(Map<String, Object> map, String key, double fallback, double min, double max) {
        Object value = map.get(key);
        if (value == null) {
            return fallback;
        }
        if (!(value instanceof Number n) || !(n.doubleValue() >= min && n.doubleValue() <= max)) {
            throw new InvalidArchitectureException(key + " must be a number within [" + min + ", " + max + "], not " + describe(value));
        }
        return n.doubleValue();
    }

    /** A JSON value as the client sent it: a string in quotes (so "3" is not mistaken for the number 3). */
    public static String describe(Object value) {
        return value instanceof String text ? "the string \"" + text + "\"" : String.valueOf(value);
    }
}
