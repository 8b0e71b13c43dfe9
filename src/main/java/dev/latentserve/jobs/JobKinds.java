package dev.latentserve.jobs;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.springframework.stereotype.Component;

/** Every {@link JobKind} bean, by name: the one place a job's {@code type} is looked up. */
@Component
class JobKinds {

    private final Map<String, JobKind> byName = new TreeMap<>();

    JobKinds(List<JobKind> kinds) {
        for (JobKind kind : kinds) {
            JobKind other = byName.putIfAbsent(kind.name(), kind);
            if (other != null) {
                throw new IllegalStateException("job kinds " + other.getClass().getName() + " and " + kind.getClass().getName()
                        + " are both named '" + kind.name() + "'");
            }
        }
    }

    Optional<JobKind> find(String type) {
        return Optional.ofNullable(byName.get(type));
    }

    /**
     * The kind of a submitted request.
     *
     * @throws JobRejectedException naming the known types, when {@code type} is none of them
     */
    JobKind get(String type) {
        return find(type).orElseThrow(() -> new JobRejectedException("job type '" + type + "' is not supported; use "
                + known()));
    }

    /** The known types in words: {@code 'a', 'b' or 'c'}. */
    private String known() {
        List<String> names = byName.keySet().stream().map(name -> "'" + name + "'").toList();
        return names.size() == 1 ? names.getFirst()
                : names.subList(0, names.size() - 1).stream().collect(Collectors.joining(", ")) + " or " + names.getLast();
    }
}
