package dev.latentserve.registry;

import dev.latentserve.storage.InvalidNameException;
import dev.latentserve.storage.Names;
import org.jspecify.annotations.Nullable;

/** {@code name} (its newest version) or {@code name@version}, as requests address models. */
public record ModelReference(String name, @Nullable Integer version) {

    public static ModelReference parse(String text) {
        int at = text.indexOf('@');
        if (at < 0) {
            return new ModelReference(Names.check("model name", text), null);
        }
        String name = Names.check("model name", text.substring(0, at));
        String version = text.substring(at + 1);
        try {
            int parsed = Integer.parseInt(version);
            if (parsed < 1) {
                throw new NumberFormatException();
            }
            return new ModelReference(name, parsed);
        } catch (NumberFormatException e) {
            throw new InvalidNameException("model version '" + version + "' must be a positive integer, as in " + name + "@1");
        }
    }

    @Override
    public String toString() {
        return version == null ? name : name + "@" + version;
    }
}
