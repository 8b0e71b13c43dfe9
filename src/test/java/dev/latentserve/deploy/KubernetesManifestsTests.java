package dev.latentserve.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * Every manifest under {@code k8s/} read into the typed Kubernetes model (fabric8): a kind the model does not know, a
 * field it does not know (caught as an "additional property") or a value of the wrong type fails. Then the parts that
 * must agree with the application: probe paths and ports, environment variable names, the security context.
 */
class KubernetesManifestsTests {

    private static final Path K8S = Path.of("k8s");
    private final ConfigurationNames properties = new ConfigurationNames();

    @Test
    void everyManifestIsAKnownKindWithOnlyKnownFields() throws IOException {
        List<Path> files = manifests();
        assertThat(files).hasSizeGreaterThanOrEqualTo(12);
        for (Path file : files) {
            for (HasMetadata resource : read(file)) {
                if (isKServe(resource)) {
                    // Custom resources the model does not know: checked field by field below.
                    continue;
                }
                assertThat(resource).as("%s: kind %s is not in the Kubernetes model", file, resource.getKind())
                        .isNotInstanceOf(GenericKubernetesResource.class);
                List<String> unknown = new ArrayList<>();
                unknownFields(resource, resource.getKind(), unknown, new IdentityHashMap<>());
                assertThat(unknown).as("%s: fields the Kubernetes schema does not have", file).isEmpty();
                assertThat(resource.getMetadata().getName()).as("%s: metadata.name", file).isNotBlank();
            }
        }
    }

    /** The check above can fail: a misspelt field and an unknown kind are caught. */
    @Test
    void aMisspeltFieldOrAnUnknownKindIsCaught() {
        HasMetadata typo = (HasMetadata) Serialization.unmarshal("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: x}
                spec:
                  selector: {matchLabels: {a: b}}
                  template:
                    metadata: {labels: {a: b}}
                    spec:
                      containers:
                        - name: x
                          image: x
                          imagePullPolcy: Always
                """);
        List<String> unknown = new ArrayList<>();
        unknownFields(typo, "Deployment", unknown, new IdentityHashMap<>());
        assertThat(unknown).singleElement().asString().contains("imagePullPolcy");
        Object unknownKind = Serialization.unmarshal("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: x}\n");
        assertThat(unknownKind).isInstanceOf(GenericKubernetesResource.class);
    }

    @Test
    void theKustomizationListsEveryTopLevelManifest() throws IOException {
        Map<String, Object> kustomization = new Yaml().load(Files.readString(K8S.resolve("kustomization.yaml")));
        @SuppressWarnings("unchecked")
        List<String> resources = (List<String>) kustomization.get("resources");
        try (Stream<Path> top = Files.list(K8S)) {
            List<String> present = top.map(path -> path.getFileName().toString())
                    .filter(name -> name.endsWith(".yaml") && !name.equals("kustomization.yaml")).sorted().toList();
            assertThat(resources).containsExactlyInAnyOrderElementsOf(present);
        }
    }

    @Test
    void deploymentsProbeTheActuatorHealthGroupsOnTheServicePortAndRunLockedDown() throws IOException {
        List<Deployment> deployments = all(Deployment.class);
        assertThat(deployments).extracting(d -> d.getMetadata().getName()).containsExactlyInAnyOrder("latentserve-api",
                "latentserve-worker");
        Map<String, Object> application = new Yaml().load(Files.readString(Path.of("src/main/resources/application.yml")));
        assertThat(nested(application, "management", "endpoint", "health", "probes", "enabled")).as("probe groups on")
                .isEqualTo(true);
        assertThat(nested(application, "server", "port")).as("the default port, 8080, serves").isNull();
        for (Deployment deployment : deployments) {
            var pod = deployment.getSpec().getTemplate().getSpec();
            assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
            assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(10001L);
            assertThat(deployment.getSpec().getSelector().getMatchLabels())
                    .isEqualTo(Map.copyOf(deployment.getSpec().getTemplate().getMetadata().getLabels()));
            Container container = pod.getContainers().getFirst();
            assertThat(container.getPorts()).singleElement().satisfies(port -> {
                assertThat(port.getContainerPort()).isEqualTo(8080);
                assertThat(port.getName()).isEqualTo("http");
            });
            assertThat(container.getStartupProbe().getHttpGet().getPath()).isEqualTo("/actuator/health/liveness");
            assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/actuator/health/liveness");
            assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/actuator/health/readiness");
            for (var probe : List.of(container.getStartupProbe(), container.getLivenessProbe(), container.getReadinessProbe())) {
                assertThat(probe.getHttpGet().getPort().getStrVal()).isEqualTo("http");
            }
            var security = container.getSecurityContext();
            assertThat(security.getReadOnlyRootFilesystem()).isTrue();
            assertThat(security.getAllowPrivilegeEscalation()).isFalse();
            assertThat(security.getCapabilities().getDrop()).containsExactly("ALL");
            assertThat(container.getResources().getRequests()).containsKeys("cpu", "memory");
            assertThat(container.getResources().getLimits()).containsKeys("cpu", "memory");
            assertThat(container.getVolumeMounts()).extracting(m -> m.getMountPath()).contains("/data", "/tmp");
            for (EnvVar env : container.getEnv()) {
                assertThat(properties.binds(env.getName())).as("%s sets no property", env.getName()).isTrue();
            }
            assertThat(container.getEnvFrom()).extracting(source -> source.getConfigMapRef() != null
                    ? source.getConfigMapRef().getName() : source.getSecretRef().getName())
                    .containsExactlyInAnyOrder("latentserve-config", "latentserve-secrets");
        }
    }

    @Test
    void configMapAndSecretSetOnlyPropertiesTheApplicationReads() throws IOException {
        assertThat(properties.size()).as("metadata found").isGreaterThan(100);
        ConfigMap config = all(ConfigMap.class).getFirst();
        Secret secret = all(Secret.class).getFirst();
        for (String name : config.getData().keySet()) {
            assertThat(properties.binds(name)).as("ConfigMap key %s", name).isTrue();
        }
        for (String name : secret.getStringData().keySet()) {
            assertThat(properties.binds(name)).as("Secret key %s", name).isTrue();
        }
        assertThat(secret.getStringData()).containsKeys("SPRING_DATASOURCE_URL", "SPRING_DATASOURCE_USERNAME",
                "SPRING_DATASOURCE_PASSWORD", "LATENTSERVE_SECURITY_ADMIN_KEY");
        assertThat(secret.getStringData().get("LATENTSERVE_SECURITY_ADMIN_KEY")).as("no key ships").isEmpty();
    }

    @Test
    void autoscalingDisruptionBudgetAndRoutesPointAtTheApi() throws IOException {
        HorizontalPodAutoscaler hpa = all(HorizontalPodAutoscaler.class).getFirst();
        assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo("latentserve-api");
        assertThat(hpa.getSpec().getMetrics()).anySatisfy(metric -> assertThat(metric.getResource().getName()).isEqualTo("cpu"));
        PodDisruptionBudget pdb = all(PodDisruptionBudget.class).getFirst();
        assertThat(pdb.getSpec().getSelector().getMatchLabels()).containsEntry("app.kubernetes.io/component", "api");
        HTTPRoute route = all(HTTPRoute.class).getFirst();
        assertThat(route.getSpec().getRules().getFirst().getBackendRefs().getFirst().getName()).isEqualTo("latentserve");
        Ingress ingress = all(Ingress.class).getFirst();
        assertThat(ingress.getMetadata().getAnnotations()).containsKey("nginx.ingress.kubernetes.io/proxy-body-size");
    }

    /**
     * The optional KServe manifests: a ServingRuntime with the service's image and volume that speaks the Open Inference
     * Protocol (v2), probed on its /v2 health endpoints, and an InferenceService that uses it. Their spec fields are
     * KServe's (ServingRuntimeSpec of serving.kserve.io/v1alpha1); the container and volumes in them are read into the
     * typed Kubernetes model like every other manifest's.
     */
    @Test
    void theKServeRuntimeSpeaksTheOpenInferenceProtocolAndProbesItsHealth() throws IOException {
        GenericKubernetesResource runtime = kserve("kserve-servingruntime.yaml");
        assertThat(runtime.getApiVersion()).isEqualTo("serving.kserve.io/v1alpha1");
        assertThat(runtime.getKind()).isEqualTo("ServingRuntime");
        Map<String, Object> spec = map(runtime.getAdditionalProperties().get("spec"));
        assertThat(spec.keySet()).as("ServingRuntimeSpec fields").isSubsetOf("affinity", "annotations", "builtInAdapter",
                "containers", "disabled", "grpcDataEndpoint", "grpcEndpoint", "httpDataEndpoint", "imagePullSecrets", "labels",
                "multiModel", "nodeSelector", "protocolVersions", "replicas", "storageHelper", "supportedModelFormats",
                "tolerations", "volumes");
        assertThat(spec.get("protocolVersions")).isEqualTo(List.of("v2"));
        assertThat(spec.get("multiModel")).isEqualTo(false);
        List<Container> containers = typed(spec.get("containers"), Container.class);
        List<Volume> volumes = typed(spec.get("volumes"), Volume.class);
        assertThat(containers).singleElement();
        Container container = containers.getFirst();
        assertThat(container.getImage()).isEqualTo(all(Deployment.class).getFirst().getSpec().getTemplate().getSpec()
                .getContainers().getFirst().getImage());
        assertThat(container.getPorts()).singleElement().satisfies(port -> assertThat(port.getContainerPort()).isEqualTo(8080));
        assertThat(container.getStartupProbe().getHttpGet().getPath()).isEqualTo("/v2/health/live");
        assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/v2/health/live");
        assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/v2/health/ready");
        for (var probe : List.of(container.getStartupProbe(), container.getLivenessProbe(), container.getReadinessProbe())) {
            assertThat(probe.getHttpGet().getPort().getIntVal()).isEqualTo(8080);
        }
        assertThat(container.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        for (EnvVar env : container.getEnv()) {
            assertThat(properties.binds(env.getName())).as("%s sets no property", env.getName()).isTrue();
        }
        assertThat(container.getEnv()).anySatisfy(env -> {
            assertThat(env.getName()).isEqualTo("LATENTSERVE_ROLES");
            assertThat(env.getValue()).isEqualTo("api");
        });
        assertThat(container.getEnvFrom()).hasSize(2);
        assertThat(container.getVolumeMounts()).extracting(m -> m.getMountPath()).contains("/data", "/tmp");
        assertThat(volumes).anySatisfy(volume -> assertThat(volume.getPersistentVolumeClaim().getClaimName())
                .isEqualTo("latentserve-data"));

        GenericKubernetesResource service = kserve("kserve-inferenceservice.yaml");
        assertThat(service.getApiVersion()).isEqualTo("serving.kserve.io/v1beta1");
        assertThat(service.getKind()).isEqualTo("InferenceService");
        Map<String, Object> model = map(map(map(service.getAdditionalProperties().get("spec")).get("predictor")).get("model"));
        assertThat(model.get("runtime")).isEqualTo(runtime.getMetadata().getName());
        assertThat(model.get("protocolVersion")).isEqualTo("v2");
        assertThat(map(model.get("modelFormat")).get("name"))
                .isEqualTo(map(((List<?>) spec.get("supportedModelFormats")).getFirst()).get("name"));
    }

    private static boolean isKServe(HasMetadata resource) {
        return resource.getApiVersion() != null && resource.getApiVersion().startsWith("serving.kserve.io/");
    }

    private static GenericKubernetesResource kserve(String file) throws IOException {
        List<HasMetadata> resources = read(K8S.resolve("optional").resolve(file));
        assertThat(resources).singleElement().isInstanceOf(GenericKubernetesResource.class);
        return (GenericKubernetesResource) resources.getFirst();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        assertThat(value).isInstanceOf(Map.class);
        return (Map<String, Object>) value;
    }

    /** Items of a custom resource's list read into the Kubernetes model, failing on any field it does not have. */
    private static <T> List<T> typed(Object list, Class<T> type) {
        assertThat(list).isInstanceOf(List.class);
        List<T> items = new ArrayList<>();
        for (Object item : (List<?>) list) {
            T typedItem = Serialization.unmarshal(Serialization.asJson(item), type);
            List<String> unknown = new ArrayList<>();
            unknownFields(typedItem, type.getSimpleName(), unknown, new IdentityHashMap<>());
            assertThat(unknown).as("fields the Kubernetes schema does not have").isEmpty();
            items.add(typedItem);
        }
        return items;
    }

    private static List<Path> manifests() throws IOException {
        try (Stream<Path> files = Files.walk(K8S)) {
            return files.filter(path -> path.toString().endsWith(".yaml") && !path.endsWith("kustomization.yaml")).sorted().toList();
        }
    }

    private static List<HasMetadata> read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            Object parsed = Serialization.unmarshal(in);
            return parsed instanceof List<?> list ? list.stream().map(HasMetadata.class::cast).toList() : List.of((HasMetadata) parsed);
        }
    }

    private static <T extends HasMetadata> List<T> all(Class<T> type) throws IOException {
        List<T> found = new ArrayList<>();
        for (Path file : manifests()) {
            read(file).stream().filter(type::isInstance).map(type::cast).forEach(found::add);
        }
        assertThat(found).as("manifests of kind %s", type.getSimpleName()).isNotEmpty();
        return found;
    }

    /** Walks the fabric8 model objects; a field the schema lacks lands in their "additional properties". */
    private static void unknownFields(Object node, String path, List<String> unknown, Map<Object, Boolean> seen) {
        if (node == null || seen.put(node, true) != null) {
            return;
        }
        if (node instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                unknownFields(item, path + "[" + i++ + "]", unknown, seen);
            }
            return;
        }
        if (node instanceof Map<?, ?> map) {
            map.forEach((key, value) -> unknownFields(value, path + "." + key, unknown, seen));
            return;
        }
        if (!node.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method getter : node.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || !getter.getName().startsWith("get") || getter.getName().equals("getClass")) {
                continue;
            }
            try {
                Object value = getter.invoke(node);
                if (getter.getName().equals("getAdditionalProperties")) {
                    if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                        unknown.add(path + ": " + extra.keySet());
                    }
                } else if (!Set.of("getMetadata").contains(getter.getName()) || value != null) {
                    unknownFields(value, path + "." + getter.getName().substring(3), unknown, seen);
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static Object nested(Map<String, Object> map, String... keys) {
        Object at = map;
        for (String key : keys) {
            if (!(at instanceof Map<?, ?> level)) {
                return null;
            }
            at = level.get(key);
        }
        return at;
    }
}
