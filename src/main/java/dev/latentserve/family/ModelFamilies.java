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

    public java.util.Set<String> names() {
        return byName.keySet();
    }
}
