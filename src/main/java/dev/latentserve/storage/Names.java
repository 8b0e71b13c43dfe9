package dev.latentserve.storage;

import java.util.regex.Pattern;

/**
 * Identifiers that become folder names (datasets, models): lower-case letters, digits, '.', '_' and '-',
 * starting with a letter or digit. Anything else, '..' and '/' included, never reaches the file system.
 */
public final class Names {

    private static final Pattern SAFE = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    private Names() {
    }

    public static boolean isSafe(String name) {
        return SAFE.matcher(name).matches() && !name.contains("..");
    }

    /** @throws InvalidNameException when {@code name} is not {@link #isSafe safe} */
    public static String check(String what, String name) {
        if (!isSafe(name)) {
            throw new InvalidNameException(what + " '" + name + "' is not allowed: use 1-64 lower-case letters, digits, "
                    + "'.', '_' or '-', starting with a letter or digit");
        }
        return name;
    }
}
