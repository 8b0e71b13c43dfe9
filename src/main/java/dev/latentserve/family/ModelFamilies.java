package dev.latentserve.family;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.springframework.stereotype.Component;

/** Every {@link ModelFamily} bean, by name. */
@Component
public class ModelFamilies {

    private final Map<String, ModelFamily> byName = new TreeMap<>();

    ModelFamilies(List<ModelFamily> families) {
        families.forEach(family -> byName.put(family.name(), family));
    }

    public Optional<ModelFamily> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The named family, if it offers {@code capability} (such as {@link PriorFitting}). */
    public <T> Optional<T> capability(String name, Class<T> capability) {
        return find(name).filter(capability::isInstance).map(capability::cast);
    }

    /** Every family, in name order. */
    public List<ModelFamily> all() {
        return List.copyOf(byName.values());
    }

    public java.util.Set<String> names() {
        return byName.keySet();
    }

    /** The names of the families that offer {@code capability}, for messages that say which models take a job. */
    public java.util.List<String> namesOffering(Class<?> capability) {
        return byName.values().stream().filter(capability::isInstance).map(ModelFamily::name).toList();
    }
}
