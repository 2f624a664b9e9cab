package io.adgrid.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import io.fabric8.kubernetes.api.model.networking.v1.HTTPIngressPath;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBackend;
import io.fabric8.kubernetes.api.model.networking.v1.IngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.IngressTLS;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every manifest under {@code base/} and {@code overlays/} parses into the fabric8 Kubernetes model
 * (no unknown field, no unknown kind), and what each kustomization builds hangs together: selectors
 * match pod labels, Services select a workload on ports its containers declare, probes use declared
 * ports, every ConfigMap/Secret key referenced exists, the grid nodes shut down gracefully and every
 * AdGrid container runs with the JVM flags of the parent pom.
 */
class ManifestConsistencyTest {

    /** What {@code base} expects the deployer to create (k8s/README.md says how): Secret name to keys. */
    private static final Map<String, Set<String>> EXTERNAL_SECRETS = Map.of(
            "adgrid-db", Set.of("ADGRID_DB_URL", "ADGRID_DB_USER", "ADGRID_DB_PASSWORD"),
            "adgrid-admin", Set.of("ADGRID_ADMIN_TOKEN"));

    private static final Set<String> ROLES = Set.of("node", "gateway", "reporting");
    private static final Pattern SECRET_LOOKING = Pattern.compile("(?i).*(PASSWORD|TOKEN|SECRET|CREDENTIAL|DB_URL|DB_USER).*");
    private static final Pattern ENV_REFERENCE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final int GRID_NODE_GRACE_SECONDS = 120;

    private static Path module;
    private static List<KustomizeBuild.Result> builds;

    /** A pod-owning object and its pod template. */
    record Workload(HasMetadata owner, PodTemplateSpec template, LabelSelector selector) {
        String id() {
            return owner.getKind() + "/" + owner.getMetadata().getName();
        }

        Map<String, String> podLabels() {
            Map<String, String> l = template.getMetadata() == null ? null : template.getMetadata().getLabels();
            return l == null ? Map.of() : l;
        }

        List<Container> containers() {
            return template.getSpec().getContainers();
        }
    }

    @BeforeAll
    static void buildEveryKustomization() throws IOException {
        module = Files.isDirectory(Path.of("base")) ? Path.of("") : Path.of("k8s");
        List<Path> dirs = new ArrayList<>();
        dirs.add(module.resolve("base"));
        try (Stream<Path> overlays = Files.list(module.resolve("overlays"))) {
            overlays.filter(d -> Files.exists(d.resolve("kustomization.yaml"))).sorted().forEach(dirs::add);
        }
        assertThat(dirs).as("base and at least one overlay").hasSizeGreaterThan(1);
        builds = new ArrayList<>();
        for (Path dir : dirs) {
            builds.add(KustomizeBuild.build(dir));
        }
    }

    // ---------------------------------------------------------------- files

    @Test
    void everyManifestParsesIntoTheKubernetesModelWithoutUnknownFields() throws IOException {
        List<String> problems = new ArrayList<>();
        List<Path> manifests = manifestFiles();
        assertThat(manifests).isNotEmpty();
        for (Path file : manifests) {
            List<JsonNode> docs = KustomizeBuild.documents(file);
            if (docs.isEmpty()) {
                problems.add(file + ": no document");
            }
            for (int i = 0; i < docs.size(); i++) {
                String where = file + " document " + (i + 1);
                try {
                    HasMetadata object = KustomizeBuild.toModel(docs.get(i), where);
                    if (object.getMetadata() == null || object.getMetadata().getName() == null) {
                        problems.add(where + ": no metadata.name");
                    }
                    unknownFields(object, where + " " + object.getKind(), problems, new IdentityHashMap<>());
                } catch (AssertionError | IllegalArgumentException e) {
                    problems.add(where + ": " + e.getMessage());
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void kustomizationsListOnlyFilesThatExist() throws IOException {
        List<String> problems = new ArrayList<>();
        for (Path k : kustomizationFiles()) {
            Path dir = k.getParent();
            JsonNode kustomization = KustomizeBuild.kustomization(dir);
            List<String> listed = new ArrayList<>();
            kustomization.path("resources").forEach(r -> listed.add(r.asText()));
            kustomization.path("patches").forEach(p -> {
                if (p.hasNonNull("path")) {
                    listed.add(p.get("path").asText());
                }
            });
            for (String generators : List.of("secretGenerator", "configMapGenerator")) {
                for (JsonNode g : kustomization.path(generators)) {
                    g.path("envs").forEach(e -> listed.add(e.asText()));
                    g.path("files").forEach(f -> listed.add(f.asText().substring(f.asText().indexOf('=') + 1)));
                }
            }
            for (String entry : listed) {
                Path p = dir.resolve(entry).normalize();
                if (!Files.exists(p)) {
                    problems.add(k + " lists '" + entry + "', which does not exist");
                } else if (Files.isDirectory(p) && !Files.exists(p.resolve("kustomization.yaml"))) {
                    problems.add(k + " lists directory '" + entry + "', which has no kustomization.yaml");
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void everyManifestFileIsPartOfAKustomization() throws IOException {
        Set<Path> referenced = new HashSet<>();
        builds.forEach(b -> b.referencedFiles().forEach(f -> referenced.add(f.toAbsolutePath().normalize())));
        List<Path> unlisted = Stream.concat(manifestFiles().stream(), kustomizationFiles().stream())
                .filter(f -> !referenced.contains(f.toAbsolutePath().normalize())).toList();
        assertThat(unlisted).as("manifests no kustomization applies").isEmpty();
    }

    // ---------------------------------------------------------------- selectors and Services

    @Test
    void workloadSelectorsMatchTheirOwnPodsAndNoOtherWorkloads() {
        List<String> problems = new ArrayList<>();
        for (KustomizeBuild.Result build : builds) {
            List<Workload> workloads = workloads(build);
            assertThat(workloads).as("workloads of " + build.dir()).isNotEmpty();
            for (Workload w : workloads) {
                Map<String, String> selector = matchLabels(w.selector(), w.id(), problems);
                if (selector.isEmpty()) {
                    problems.add(build.dir() + ": " + w.id() + " has an empty selector");
                } else if (!selects(selector, w.podLabels())) {
                    problems.add(build.dir() + ": " + w.id() + " selector " + selector + " does not match its pod labels " + w.podLabels());
                }
                for (Workload other : workloads) {
                    if (other != w && !selector.isEmpty() && selects(selector, other.podLabels())) {
                        problems.add(build.dir() + ": " + w.id() + " selector " + selector + " also matches the pods of " + other.id());
                    }
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void everyServiceSelectsAWorkloadOnPortsItsContainersDeclare() {
        List<String> problems = new ArrayList<>();
        for (KustomizeBuild.Result build : builds) {
            for (Service service : build.all(Service.class)) {
                String id = build.dir() + ": Service/" + service.getMetadata().getName();
                Map<String, String> selector = service.getSpec().getSelector();
                if (selector == null || selector.isEmpty()) {
                    problems.add(id + " has no selector");
                    continue;
                }
                List<Workload> selected = workloads(build).stream().filter(w -> selects(selector, w.podLabels())).toList();
                if (selected.isEmpty()) {
                    problems.add(id + " selector " + selector + " matches no workload's pods");
                }
                if (service.getSpec().getPorts() == null || service.getSpec().getPorts().isEmpty()) {
                    problems.add(id + " has no ports");
                    continue;
                }
                for (ServicePort port : service.getSpec().getPorts()) {
                    IntOrString target = port.getTargetPort() != null ? port.getTargetPort() : new IntOrString(port.getPort());
                    for (Workload w : selected) {
                        if (!declaresPort(w.containers(), target)) {
                            problems.add(id + " port " + port.getPort() + " targets " + describe(target)
                                    + ", which no container of " + w.id() + " declares");
                        }
                    }
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void probesUseThePortsTheirContainerDeclares() {
        List<String> problems = new ArrayList<>();
        for (KustomizeBuild.Result build : builds) {
            for (Workload w : workloads(build)) {
                for (Container c : w.containers()) {
                    String id = build.dir() + ": " + w.id() + " container " + c.getName();
                    Map<String, Probe> probes = new LinkedHashMap<>();
                    probes.put("startupProbe", c.getStartupProbe());
                    probes.put("readinessProbe", c.getReadinessProbe());
                    probes.put("livenessProbe", c.getLivenessProbe());
                    for (Map.Entry<String, Probe> p : probes.entrySet()) {
                        Probe probe = p.getValue();
                        if (probe == null) {
                            continue;
                        }
                        IntOrString port = null;
                        if (probe.getHttpGet() != null) {
                            port = probe.getHttpGet().getPort();
                            if (!probe.getHttpGet().getPath().startsWith("/")) {
                                problems.add(id + " " + p.getKey() + " path does not start with /");
                            }
                        } else if (probe.getTcpSocket() != null) {
                            port = probe.getTcpSocket().getPort();
                        } else if (probe.getGrpc() != null) {
                            port = new IntOrString(probe.getGrpc().getPort());
                        }
                        if (port != null && !declaresPort(List.of(c), port)) {
                            problems.add(id + " " + p.getKey() + " uses " + describe(port) + ", which the container does not declare");
                        }
                        if (port == null && probe.getExec() == null) {
                            problems.add(id + " " + p.getKey() + " has no action");
                        }
                    }
                    if (isAdGrid(c) && c.getReadinessProbe() == null) {
                        problems.add(id + " has no readiness probe");
                    }
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void prometheusScrapeAnnotationsPointAtADeclaredPort() {
        List<String> problems = new ArrayList<>();
        int scraped = 0;
        for (KustomizeBuild.Result build : builds) {
            for (Workload w : workloads(build)) {
                Map<String, String> annotations = w.template().getMetadata().getAnnotations();
                if (annotations == null || !"true".equals(annotations.get("prometheus.io/scrape"))) {
                    continue;
                }
                scraped++;
                String id = build.dir() + ": " + w.id();
                String port = annotations.get("prometheus.io/port");
                String path = annotations.get("prometheus.io/path");
                if (port == null || !declaresPort(w.containers(), new IntOrString(Integer.parseInt(port)))) {
                    problems.add(id + " prometheus.io/port " + port + " is not a container port");
                }
                if (path == null || !path.startsWith("/")) {
                    problems.add(id + " prometheus.io/path " + path + " is not a path");
                }
            }
        }
        assertThat(scraped).as("workloads with Prometheus scrape annotations").isPositive();
        assertThat(problems).isEmpty();
    }

    @Test
    void statefulSetsHaveAHeadlessGoverningServiceSelectingTheirPods() {
        List<String> problems = new ArrayList<>();
        for (KustomizeBuild.Result build : builds) {
            for (StatefulSet set : build.all(StatefulSet.class)) {
                String id = build.dir() + ": StatefulSet/" + set.getMetadata().getName();
                Service governing = build.named(Service.class, set.getSpec().getServiceName());
                if (governing == null) {
                    problems.add(id + " serviceName " + set.getSpec().getServiceName() + " is no Service");
                    continue;
                }
                if (!"None".equals(governing.getSpec().getClusterIP())) {
                    problems.add(id + " governing Service " + governing.getMetadata().getName() + " is not headless");
                }
                if (!selects(governing.getSpec().getSelector(), set.getSpec().getTemplate().getMetadata().getLabels())) {
                    problems.add(id + " governing Service does not select its pods");
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void ingressBackendsAreServicePorts() {
        List<String> problems = new ArrayList<>();
        int backends = 0;
        for (KustomizeBuild.Result build : builds) {
            for (Ingress ingress : build.all(Ingress.class)) {
                String id = build.dir() + ": Ingress/" + ingress.getMetadata().getName();
                List<IngressBackend> all = new ArrayList<>();
                if (ingress.getSpec().getDefaultBackend() != null) {
                    all.add(ingress.getSpec().getDefaultBackend());
                }
                for (IngressRule rule : ingress.getSpec().getRules()) {
                    for (HTTPIngressPath path : rule.getHttp().getPaths()) {
                        all.add(path.getBackend());
                    }
                }
                for (IngressBackend backend : all) {
                    backends++;
                    Service service = build.named(Service.class, backend.getService().getName());
                    if (service == null) {
                        problems.add(id + " routes to Service " + backend.getService().getName() + ", which does not exist");
                        continue;
                    }
                    String portName = backend.getService().getPort().getName();
                    Integer portNumber = backend.getService().getPort().getNumber();
                    boolean found = service.getSpec().getPorts().stream().anyMatch(p ->
                            portName != null ? portName.equals(p.getName()) : portNumber != null && portNumber.equals(p.getPort()));
                    if (!found) {
                        problems.add(id + " routes to port " + (portName != null ? portName : portNumber) + " of Service "
                                + service.getMetadata().getName() + ", which has no such port");
                    }
                }
                if (ingress.getSpec().getTls() != null) {
                    for (IngressTLS tls : ingress.getSpec().getTls()) {
                        if (build.named(Secret.class, tls.getSecretName()) == null) {
                            problems.add(id + " TLS Secret " + tls.getSecretName() + " does not exist");
                        }
                    }
                }
            }
        }
        assertThat(backends).as("Ingress backends").isPositive();
        assertThat(problems).isEmpty();
    }

    // ---------------------------------------------------------------- ConfigMaps and Secrets

    @Test
    void everyReferencedConfigMapAndSecretKeyExists() {
        for (KustomizeBuild.Result build : builds) {
            Map<String, Set<String>> missingSecrets = new HashMap<>();
            List<String> problems = new ArrayList<>();
            for (Workload w : workloads(build)) {
                for (Container c : w.containers()) {
                    String id = w.id() + " container " + c.getName();
                    for (EnvVar env : c.getEnv() == null ? List.<EnvVar>of() : c.getEnv()) {
                        if (env.getValueFrom() == null) {
                            continue;
                        }
                        var cm = env.getValueFrom().getConfigMapKeyRef();
                        if (cm != null && !Boolean.TRUE.equals(cm.getOptional())) {
                            ConfigMap map = build.named(ConfigMap.class, cm.getName());
                            if (map == null) {
                                problems.add(id + " env " + env.getName() + ": ConfigMap " + cm.getName() + " does not exist");
                            } else if (!keys(map).contains(cm.getKey())) {
                                problems.add(id + " env " + env.getName() + ": ConfigMap " + cm.getName() + " has no key " + cm.getKey());
                            }
                        }
                        var sk = env.getValueFrom().getSecretKeyRef();
                        if (sk != null && !Boolean.TRUE.equals(sk.getOptional())) {
                            Secret secret = build.named(Secret.class, sk.getName());
                            if (secret == null) {
                                missingSecrets.computeIfAbsent(sk.getName(), n -> new TreeSet<>()).add(sk.getKey());
                            } else if (!keys(secret).contains(sk.getKey())) {
                                problems.add(id + " env " + env.getName() + ": Secret " + sk.getName() + " has no key " + sk.getKey());
                            }
                        }
                    }
                    for (EnvFromSource from : c.getEnvFrom() == null ? List.<EnvFromSource>of() : c.getEnvFrom()) {
                        if (from.getConfigMapRef() != null && !Boolean.TRUE.equals(from.getConfigMapRef().getOptional())
                                && build.named(ConfigMap.class, from.getConfigMapRef().getName()) == null) {
                            problems.add(id + " envFrom: ConfigMap " + from.getConfigMapRef().getName() + " does not exist");
                        }
                        if (from.getSecretRef() != null && !Boolean.TRUE.equals(from.getSecretRef().getOptional())
                                && build.named(Secret.class, from.getSecretRef().getName()) == null) {
                            missingSecrets.computeIfAbsent(from.getSecretRef().getName(), n -> new TreeSet<>());
                        }
                    }
                }
                for (Volume v : w.template().getSpec().getVolumes() == null ? List.<Volume>of() : w.template().getSpec().getVolumes()) {
                    if (v.getConfigMap() != null && !Boolean.TRUE.equals(v.getConfigMap().getOptional())) {
                        ConfigMap map = build.named(ConfigMap.class, v.getConfigMap().getName());
                        if (map == null) {
                            problems.add(w.id() + " volume " + v.getName() + ": ConfigMap " + v.getConfigMap().getName() + " does not exist");
                        } else {
                            for (KeyToPath item : v.getConfigMap().getItems() == null ? List.<KeyToPath>of() : v.getConfigMap().getItems()) {
                                if (!keys(map).contains(item.getKey())) {
                                    problems.add(w.id() + " volume " + v.getName() + ": ConfigMap has no key " + item.getKey());
                                }
                            }
                        }
                    }
                    if (v.getSecret() != null && !Boolean.TRUE.equals(v.getSecret().getOptional())) {
                        Secret secret = build.named(Secret.class, v.getSecret().getSecretName());
                        if (secret == null) {
                            missingSecrets.computeIfAbsent(v.getSecret().getSecretName(), n -> new TreeSet<>());
                        }
                    }
                }
            }
            boolean isBase = build.dir().getFileName().toString().equals("base");
            if (isBase) {
                // base leaves exactly the documented Secrets to the deployer.
                assertThat(missingSecrets).as(build.dir() + ": Secrets base expects from outside").isEqualTo(
                        sorted(EXTERNAL_SECRETS));
            } else {
                assertThat(missingSecrets).as(build.dir() + ": referenced Secrets (or keys) that do not exist").isEmpty();
            }
            assertThat(problems).as(build.dir().toString()).isEmpty();
        }
    }

    @Test
    void theReadmeTellsWhichSecretsToCreate() throws IOException {
        String readme = Files.readString(module.resolve("README.md"));
        for (Map.Entry<String, Set<String>> secret : EXTERNAL_SECRETS.entrySet()) {
            assertThat(readme).contains(secret.getKey());
            for (String key : secret.getValue()) {
                assertThat(readme).contains(key);
            }
        }
    }

    @Test
    void credentialsComeFromSecretsAndNeverSitInAConfigMap() {
        List<String> problems = new ArrayList<>();
        for (KustomizeBuild.Result build : builds) {
            for (ConfigMap map : build.all(ConfigMap.class)) {
                for (String key : keys(map)) {
                    if (SECRET_LOOKING.matcher(key).matches()) {
                        problems.add(build.dir() + ": ConfigMap " + map.getMetadata().getName() + " holds " + key);
                    }
                    if (!ENV_NAME.matcher(key).matches()) {
                        problems.add(build.dir() + ": ConfigMap " + map.getMetadata().getName() + " key " + key + " is no environment variable name");
                    }
                }
            }
            for (Workload w : workloads(build)) {
                for (Container c : w.containers()) {
                    for (EnvVar env : c.getEnv() == null ? List.<EnvVar>of() : c.getEnv()) {
                        boolean fromSecret = env.getValueFrom() != null && env.getValueFrom().getSecretKeyRef() != null;
                        if (SECRET_LOOKING.matcher(env.getName()).matches() && !fromSecret) {
                            problems.add(build.dir() + ": " + w.id() + " sets " + env.getName() + " other than from a Secret");
                        }
                    }
                    if (isAdGrid(c)) {
                        for (String needed : List.of("ADGRID_DB_URL", "ADGRID_DB_USER", "ADGRID_DB_PASSWORD")) {
                            if (c.getEnv().stream().noneMatch(e -> e.getName().equals(needed))) {
                                problems.add(build.dir() + ": " + w.id() + " gets no " + needed);
                            }
                        }
                    }
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void environmentReferencesNameVariablesDefinedBefore() {
        List<String> problems = new ArrayList<>();
        for (KustomizeBuild.Result build : builds) {
            for (Workload w : workloads(build)) {
                for (Container c : w.containers()) {
                    Set<String> defined = new HashSet<>(envFromKeys(build, c));
                    for (EnvVar env : c.getEnv() == null ? List.<EnvVar>of() : c.getEnv()) {
                        if (env.getValue() != null) {
                            Matcher m = ENV_REFERENCE.matcher(env.getValue());
                            while (m.find()) {
                                if (!defined.contains(m.group(1))) {
                                    problems.add(build.dir() + ": " + w.id() + " " + env.getName() + " refers to $(" + m.group(1)
                                            + "), which is not defined before it (Kubernetes would keep the text as it is)");
                                }
                            }
                        }
                        defined.add(env.getName());
                    }
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    // ---------------------------------------------------------------- AdGrid roles

    @Test
    void everyAdGridRoleRunsOnceInEveryBuild() {
        for (KustomizeBuild.Result build : builds) {
            List<String> roles = workloads(build).stream().flatMap(w -> w.containers().stream())
                    .filter(ManifestConsistencyTest::isAdGrid).map(ManifestConsistencyTest::role).toList();
            assertThat(roles).as(build.dir() + ": AdGrid roles").containsExactlyInAnyOrderElementsOf(ROLES);
        }
    }

    @Test
    void gridMembersFindEachOtherThroughTheHeadlessServiceOfTheGridNodes() {
        List<String> problems = new ArrayList<>();
        for (KustomizeBuild.Result build : builds) {
            Workload nodes = workloadOfRole(build, "node");
            if (!(nodes.owner() instanceof StatefulSet)) {
                problems.add(build.dir() + ": the node role runs in a " + nodes.owner().getKind() + ", not a StatefulSet");
            }
            for (Workload w : workloads(build)) {
                for (Container c : w.containers()) {
                    if (!isAdGrid(c)) {
                        continue;
                    }
                    String id = build.dir() + ": " + w.id();
                    Optional<String> dns = env(build, c, "ADGRID_KUBERNETES_SERVICE_DNS");
                    if (dns.isEmpty()) {
                        problems.add(id + " has no ADGRID_KUBERNETES_SERVICE_DNS");
                        continue;
                    }
                    String serviceName = dns.get().split("\\.")[0];
                    Service service = build.named(Service.class, serviceName);
                    if (service == null) {
                        problems.add(id + " ADGRID_KUBERNETES_SERVICE_DNS names Service " + serviceName + ", which does not exist");
                        continue;
                    }
                    if (!"None".equals(service.getSpec().getClusterIP())) {
                        problems.add(id + " discovery Service " + serviceName + " is not headless (DNS would give one virtual IP)");
                    }
                    if (!Boolean.TRUE.equals(service.getSpec().getPublishNotReadyAddresses())) {
                        problems.add(id + " discovery Service " + serviceName + " hides members until they are ready");
                    }
                    if (!selects(service.getSpec().getSelector(), nodes.podLabels())) {
                        problems.add(id + " discovery Service " + serviceName + " does not select the grid-node pods");
                    }
                    for (Workload other : workloads(build)) {
                        if (!other.id().equals(nodes.id()) && selects(service.getSpec().getSelector(), other.podLabels())) {
                            problems.add(id + " discovery Service " + serviceName + " also selects " + other.id());
                        }
                    }
                    String rest = dns.get().substring(serviceName.length());
                    if (!rest.isEmpty() && !rest.equals(".$(POD_NAMESPACE).svc.cluster.local")) {
                        problems.add(id + " ADGRID_KUBERNETES_SERVICE_DNS " + dns.get() + " is not <service>.$(POD_NAMESPACE).svc.cluster.local");
                    }
                    Optional<EnvVar> namespace = c.getEnv().stream().filter(e -> e.getName().equals("POD_NAMESPACE")).findFirst();
                    if (!rest.isEmpty() && (namespace.isEmpty() || namespace.get().getValueFrom() == null
                            || !"metadata.namespace".equals(namespace.get().getValueFrom().getFieldRef().getFieldPath()))) {
                        problems.add(id + " POD_NAMESPACE does not come from metadata.namespace");
                    }
                    if (c.getPorts().stream().noneMatch(p -> p.getContainerPort() == 5701)) {
                        problems.add(id + " declares no Hazelcast port 5701");
                    }
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    /**
     * Issue 20: open-source Hazelcast lets whoever reaches 5701 join. Every AdGrid pod binds its own pod
     * IP (never every interface), is selected by an ingress NetworkPolicy, and every rule of those
     * policies that opens 5701 admits AdGrid pods only (no ipBlock, no namespace, no other workload).
     */
    @Test
    void onlyAdGridPodsReachTheGridPortAndMembersBindTheirPodIp() {
        List<String> problems = new ArrayList<>();
        for (KustomizeBuild.Result build : builds) {
            List<NetworkPolicy> policies = build.all(NetworkPolicy.class);
            for (Workload w : workloads(build)) {
                String id = build.dir() + ": " + w.id();
                boolean adGrid = w.containers().stream().anyMatch(ManifestConsistencyTest::isAdGrid);
                if (!adGrid) {
                    continue;
                }
                for (Container c : w.containers()) {
                    Optional<EnvVar> podIp = c.getEnv().stream().filter(e -> e.getName().equals("POD_IP")).findFirst();
                    if (isAdGrid(c) && (podIp.isEmpty() || podIp.get().getValueFrom() == null
                            || !"status.podIP".equals(podIp.get().getValueFrom().getFieldRef().getFieldPath()))) {
                        problems.add(id + " POD_IP (the address Hazelcast binds) does not come from status.podIP");
                    }
                }
                List<NetworkPolicy> guarding = policies.stream()
                        .filter(p -> selects(p.getSpec().getPodSelector().getMatchLabels(), w.podLabels()))
                        .filter(p -> p.getSpec().getPolicyTypes().contains("Ingress")).toList();
                if (guarding.isEmpty()) {
                    problems.add(id + " is selected by no ingress NetworkPolicy: anyone can reach its Hazelcast port");
                }
                for (NetworkPolicy p : guarding) {
                    for (NetworkPolicyIngressRule rule : p.getSpec().getIngress()) {
                        boolean opensGrid = rule.getPorts() == null || rule.getPorts().isEmpty() || rule.getPorts().stream()
                                .anyMatch(port -> port.getPort() == null || Integer.valueOf(5701).equals(port.getPort().getIntVal()));
                        if (!opensGrid) {
                            continue;
                        }
                        if (rule.getFrom() == null || rule.getFrom().isEmpty()) {
                            problems.add(id + ": NetworkPolicy " + p.getMetadata().getName() + " opens 5701 to everyone");
                        }
                        for (NetworkPolicyPeer peer : rule.getFrom() == null ? List.<NetworkPolicyPeer>of() : rule.getFrom()) {
                            if (peer.getIpBlock() != null || peer.getNamespaceSelector() != null || peer.getPodSelector() == null) {
                                problems.add(id + ": NetworkPolicy " + p.getMetadata().getName() + " opens 5701 beyond this namespace's pods");
                                continue;
                            }
                            for (Workload other : workloads(build)) {
                                if (selects(peer.getPodSelector().getMatchLabels(), other.podLabels())
                                        && other.containers().stream().noneMatch(ManifestConsistencyTest::isAdGrid)) {
                                    problems.add(id + ": NetworkPolicy " + p.getMetadata().getName() + " lets " + other.id() + " reach 5701");
                                }
                            }
                        }
                    }
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void gridNodesShutDownGracefullyOneAtATime() {
        List<String> problems = new ArrayList<>();
        for (KustomizeBuild.Result build : builds) {
            Workload nodes = workloadOfRole(build, "node");
            String id = build.dir() + ": " + nodes.id();
            Long grace = nodes.template().getSpec().getTerminationGracePeriodSeconds();
            if (grace == null || grace < GRID_NODE_GRACE_SECONDS) {
                problems.add(id + " terminationGracePeriodSeconds " + grace + " < " + GRID_NODE_GRACE_SECONDS);
            }
            Container c = nodes.containers().stream().filter(ManifestConsistencyTest::isAdGrid).findFirst().orElseThrow();
            List<String> flags = flags(env(build, c, "JDK_JAVA_OPTIONS").orElse(""));
            for (String f : flags) {
                if (f.startsWith("-Dhazelcast.graceful.shutdown.max.wait=")) {
                    long maxWait = Long.parseLong(f.substring(f.indexOf('=') + 1));
                    if (grace != null && maxWait >= grace) {
                        problems.add(id + " Hazelcast may wait " + maxWait + " s to shut down, longer than the grace period " + grace + " s");
                    }
                }
                if (f.startsWith("-Dhazelcast.shutdownhook")) {
                    problems.add(id + " sets " + f + ": AdGrid shuts the member down itself after flushing (GracefulShutdown)");
                }
            }
            List<PodDisruptionBudget> budgets = build.all(PodDisruptionBudget.class).stream()
                    .filter(b -> selects(b.getSpec().getSelector().getMatchLabels(), nodes.podLabels())).toList();
            if (budgets.size() != 1) {
                problems.add(id + " is covered by " + budgets.size() + " PodDisruptionBudgets, not 1");
            } else {
                IntOrString max = budgets.get(0).getSpec().getMaxUnavailable();
                if (max == null || !Integer.valueOf(1).equals(max.getIntVal())) {
                    problems.add(id + " PodDisruptionBudget maxUnavailable is " + describe(max) + ", not 1");
                }
            }
            if (nodes.owner() instanceof StatefulSet set && "Parallel".equals(set.getSpec().getPodManagementPolicy())) {
                problems.add(id + " podManagementPolicy Parallel would remove several members at once on scale-down");
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void disruptionBudgetsAndAutoscalersTargetExistingWorkloads() {
        List<String> problems = new ArrayList<>();
        for (KustomizeBuild.Result build : builds) {
            for (PodDisruptionBudget budget : build.all(PodDisruptionBudget.class)) {
                Map<String, String> selector = matchLabels(budget.getSpec().getSelector(), budget.getMetadata().getName(), problems);
                long covered = workloads(build).stream().filter(w -> selects(selector, w.podLabels())).count();
                if (covered != 1) {
                    problems.add(build.dir() + ": PodDisruptionBudget/" + budget.getMetadata().getName() + " covers " + covered + " workloads, not 1");
                }
            }
            List<HorizontalPodAutoscaler> autoscalers = build.all(HorizontalPodAutoscaler.class);
            if (autoscalers.isEmpty()) {
                problems.add(build.dir() + ": no HorizontalPodAutoscaler");
            }
            for (HorizontalPodAutoscaler hpa : autoscalers) {
                String id = build.dir() + ": HorizontalPodAutoscaler/" + hpa.getMetadata().getName();
                var ref = hpa.getSpec().getScaleTargetRef();
                Optional<Workload> target = workloads(build).stream()
                        .filter(w -> w.owner().getKind().equals(ref.getKind()) && w.owner().getMetadata().getName().equals(ref.getName()))
                        .findFirst();
                if (target.isEmpty()) {
                    problems.add(id + " scales " + ref.getKind() + "/" + ref.getName() + ", which does not exist");
                    continue;
                }
                if (target.get().owner() instanceof Deployment d && d.getSpec().getReplicas() != null) {
                    problems.add(id + ": " + target.get().id() + " sets replicas, which every apply would reset against the autoscaler");
                }
                if (hpa.getSpec().getMinReplicas() == null || hpa.getSpec().getMinReplicas() > hpa.getSpec().getMaxReplicas()) {
                    problems.add(id + " minReplicas " + hpa.getSpec().getMinReplicas() + " vs maxReplicas " + hpa.getSpec().getMaxReplicas());
                }
                for (MetricSpec metric : hpa.getSpec().getMetrics()) {
                    if ("Resource".equals(metric.getType()) && "Utilization".equals(metric.getResource().getTarget().getType())) {
                        String resource = metric.getResource().getName();
                        for (Container c : target.get().containers()) {
                            if (c.getResources() == null || c.getResources().getRequests() == null
                                    || !c.getResources().getRequests().containsKey(resource)) {
                                problems.add(id + " scales on " + resource + " utilization but container " + c.getName()
                                        + " requests no " + resource);
                            }
                        }
                    }
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void everyAdGridContainerRunsWithTheJvmFlagsOfThePomAndSizedMemory() throws IOException {
        List<String> pomFlags = pomJvmFlags();
        assertThat(pomFlags).as("adgrid.jvm.flags of the parent pom").isNotEmpty();
        List<String> problems = new ArrayList<>();
        for (KustomizeBuild.Result build : builds) {
            for (Workload w : workloads(build)) {
                for (Container c : w.containers()) {
                    if (!isAdGrid(c)) {
                        continue;
                    }
                    String id = build.dir() + ": " + w.id() + " container " + c.getName();
                    if (!ROLES.contains(role(c))) {
                        problems.add(id + " runs role " + role(c) + ", not one of " + ROLES);
                    }
                    List<String> flags = flags(env(build, c, "JDK_JAVA_OPTIONS").orElse(""));
                    for (String f : pomFlags) {
                        if (!flags.contains(f)) {
                            problems.add(id + " JVM lacks " + f);
                        }
                    }
                    if (flags.stream().noneMatch(f -> f.startsWith("-XX:MaxRAMPercentage="))) {
                        problems.add(id + " JVM heap is not sized to the container (-XX:MaxRAMPercentage)");
                    }
                    Map<String, Quantity> requests = c.getResources() == null ? null : c.getResources().getRequests();
                    Map<String, Quantity> limits = c.getResources() == null ? null : c.getResources().getLimits();
                    if (requests == null || !requests.containsKey("cpu") || !requests.containsKey("memory")) {
                        problems.add(id + " requests no cpu or memory");
                    }
                    if (limits == null || !limits.containsKey("memory")) {
                        problems.add(id + " has no memory limit (the heap percentage would apply to the node's memory)");
                    } else if (requests != null && requests.containsKey("memory")
                            && Quantity.getAmountInBytes(requests.get("memory")).compareTo(Quantity.getAmountInBytes(limits.get("memory"))) != 0) {
                        problems.add(id + " memory request and limit differ");
                    }
                    writablePathsAreMounted(build, c, flags, id, problems);
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void adGridPodsTakeNoServiceLinkVariables() {
        // Service adgrid-gateway would inject ADGRID_GATEWAY_PORT=tcp://10.0.0.1:80 (a Docker link variable)
        // into every pod of the namespace, and so on for each Service: names AdGrid reads as settings.
        List<String> problems = new ArrayList<>();
        for (KustomizeBuild.Result build : builds) {
            for (Workload w : workloads(build)) {
                boolean adGrid = w.containers().stream().anyMatch(ManifestConsistencyTest::isAdGrid);
                if (adGrid && !Boolean.FALSE.equals(w.template().getSpec().getEnableServiceLinks())) {
                    problems.add(build.dir() + ": " + w.id() + " keeps enableServiceLinks");
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void theImageRunsTheJarWithTheJvmFlagsOfThePom() throws IOException {
        String dockerfile = Files.readString(module.resolve("Dockerfile"));
        Matcher env = Pattern.compile("ENV JDK_JAVA_OPTIONS=\"([^\"]*)\"").matcher(dockerfile);
        assertThat(env.find()).as("Dockerfile sets JDK_JAVA_OPTIONS").isTrue();
        assertThat(flags(env.group(1))).containsAll(pomJvmFlags());
        assertThat(dockerfile).contains("ENTRYPOINT [\"java\", \"-jar\", \"/opt/adgrid/adgrid.jar\"]")
                .contains("COPY adgrid-exec.jar ./")
                .containsPattern("(?m)^USER 10001");
    }

    // ---------------------------------------------------------------- helpers

    private static void writablePathsAreMounted(KustomizeBuild.Result build, Container c, List<String> flags, String id,
                                                List<String> problems) {
        if (c.getSecurityContext() == null || !Boolean.TRUE.equals(c.getSecurityContext().getReadOnlyRootFilesystem())) {
            return;
        }
        List<String> writable = new ArrayList<>(List.of("/tmp"));
        for (String f : flags) {
            if (f.startsWith("-Djna.tmpdir=") || f.startsWith("-Djava.util.prefs.userRoot=")) {
                writable.add(f.substring(f.indexOf('=') + 1));
            }
        }
        env(build, c, "ADGRID_VAR_DIR").ifPresentOrElse(writable::add,
                () -> problems.add(id + " has no ADGRID_VAR_DIR (the default ./var is on the read-only root)"));
        List<VolumeMount> mounts = c.getVolumeMounts() == null ? List.of() : c.getVolumeMounts();
        for (String path : writable) {
            if (mounts.stream().noneMatch(m -> (path + "/").startsWith(m.getMountPath() + "/") && !Boolean.TRUE.equals(m.getReadOnly()))) {
                problems.add(id + " writes " + path + " on a read-only root filesystem without a volume there");
            }
        }
    }

    private static List<Path> manifestFiles() throws IOException {
        return yamlFiles().stream().filter(f -> !f.getFileName().toString().equals("kustomization.yaml")).toList();
    }

    private static List<Path> kustomizationFiles() throws IOException {
        return yamlFiles().stream().filter(f -> f.getFileName().toString().equals("kustomization.yaml")).toList();
    }

    private static List<Path> yamlFiles() throws IOException {
        List<Path> files = new ArrayList<>();
        for (String root : List.of("base", "overlays")) {
            try (Stream<Path> walk = Files.walk(module.resolve(root))) {
                walk.filter(Files::isRegularFile)
                        .filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml"))
                        .sorted().forEach(files::add);
            }
        }
        return files;
    }

    static List<Workload> workloads(KustomizeBuild.Result build) {
        List<Workload> all = new ArrayList<>();
        build.all(Deployment.class).forEach(d -> all.add(new Workload(d, d.getSpec().getTemplate(), d.getSpec().getSelector())));
        build.all(StatefulSet.class).forEach(s -> all.add(new Workload(s, s.getSpec().getTemplate(), s.getSpec().getSelector())));
        build.all(DaemonSet.class).forEach(s -> all.add(new Workload(s, s.getSpec().getTemplate(), s.getSpec().getSelector())));
        return all;
    }

    private static Workload workloadOfRole(KustomizeBuild.Result build, String role) {
        return workloads(build).stream()
                .filter(w -> w.containers().stream().anyMatch(c -> isAdGrid(c) && role.equals(role(c))))
                .findFirst().orElseThrow(() -> new AssertionError(build.dir() + ": no workload runs the " + role + " role"));
    }

    static boolean isAdGrid(Container c) {
        String image = c.getImage() == null ? "" : c.getImage();
        String repository = image.contains(":") ? image.substring(0, image.lastIndexOf(':')) : image;
        return repository.substring(repository.lastIndexOf('/') + 1).equals("adgrid");
    }

    static String role(Container c) {
        return c.getArgs() == null || c.getArgs().isEmpty() ? "(none)" : c.getArgs().get(0);
    }

    private static Map<String, String> matchLabels(LabelSelector selector, String owner, List<String> problems) {
        if (selector == null) {
            problems.add(owner + " has no selector");
            return Map.of();
        }
        if (selector.getMatchExpressions() != null && !selector.getMatchExpressions().isEmpty()) {
            problems.add(owner + " uses matchExpressions, which this test does not model");
        }
        return selector.getMatchLabels() == null ? Map.of() : selector.getMatchLabels();
    }

    static boolean selects(Map<String, String> selector, Map<String, String> labels) {
        return selector != null && !selector.isEmpty() && labels != null && labels.entrySet().containsAll(selector.entrySet());
    }

    private static boolean declaresPort(List<Container> containers, IntOrString port) {
        return containers.stream().flatMap(c -> c.getPorts() == null ? Stream.<ContainerPort>empty() : c.getPorts().stream())
                .anyMatch(p -> port.getStrVal() != null ? port.getStrVal().equals(p.getName())
                        : port.getIntVal() != null && port.getIntVal().equals(p.getContainerPort()));
    }

    private static String describe(IntOrString port) {
        if (port == null) {
            return "nothing";
        }
        return port.getStrVal() != null ? "port name '" + port.getStrVal() + "'" : "port " + port.getIntVal();
    }

    private static Set<String> keys(ConfigMap map) {
        Set<String> keys = new HashSet<>();
        if (map.getData() != null) {
            keys.addAll(map.getData().keySet());
        }
        if (map.getBinaryData() != null) {
            keys.addAll(map.getBinaryData().keySet());
        }
        return keys;
    }

    private static Set<String> keys(Secret secret) {
        Set<String> keys = new HashSet<>();
        if (secret.getData() != null) {
            keys.addAll(secret.getData().keySet());
        }
        if (secret.getStringData() != null) {
            keys.addAll(secret.getStringData().keySet());
        }
        return keys;
    }

    private static Set<String> envFromKeys(KustomizeBuild.Result build, Container c) {
        Set<String> keys = new HashSet<>();
        for (EnvFromSource from : c.getEnvFrom() == null ? List.<EnvFromSource>of() : c.getEnvFrom()) {
            String prefix = from.getPrefix() == null ? "" : from.getPrefix();
            if (from.getConfigMapRef() != null) {
                ConfigMap map = build.named(ConfigMap.class, from.getConfigMapRef().getName());
                if (map != null) {
                    keys(map).forEach(k -> keys.add(prefix + k));
                }
            }
            if (from.getSecretRef() != null) {
                Secret secret = build.named(Secret.class, from.getSecretRef().getName());
                if (secret != null) {
                    keys(secret).forEach(k -> keys.add(prefix + k));
                }
            }
        }
        return keys;
    }

    /** The value a container sees for a variable set literally, from a ConfigMap key, or from a whole ConfigMap. */
    static Optional<String> env(KustomizeBuild.Result build, Container c, String name) {
        for (EnvVar e : c.getEnv() == null ? List.<EnvVar>of() : c.getEnv()) {
            if (e.getName().equals(name)) {
                if (e.getValue() != null) {
                    return Optional.of(e.getValue());
                }
                if (e.getValueFrom() != null && e.getValueFrom().getConfigMapKeyRef() != null) {
                    ConfigMap map = build.named(ConfigMap.class, e.getValueFrom().getConfigMapKeyRef().getName());
                    return map == null || map.getData() == null ? Optional.empty()
                            : Optional.ofNullable(map.getData().get(e.getValueFrom().getConfigMapKeyRef().getKey()));
                }
                return Optional.empty();
            }
        }
        String found = null;
        for (EnvFromSource from : c.getEnvFrom() == null ? List.<EnvFromSource>of() : c.getEnvFrom()) {
            if (from.getConfigMapRef() != null) {
                ConfigMap map = build.named(ConfigMap.class, from.getConfigMapRef().getName());
                String prefix = from.getPrefix() == null ? "" : from.getPrefix();
                if (map != null && map.getData() != null && name.startsWith(prefix) && map.getData().containsKey(name.substring(prefix.length()))) {
                    found = map.getData().get(name.substring(prefix.length())); // a later source wins
                }
            }
        }
        return Optional.ofNullable(found);
    }

    /** JVM options as flags; {@code --add-modules java.se} style options keep their value. */
    static List<String> flags(String options) {
        List<String> flags = new ArrayList<>();
        String[] tokens = options.trim().split("\\s+");
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i].isEmpty()) {
                continue;
            }
            if (tokens[i].startsWith("--") && !tokens[i].contains("=") && i + 1 < tokens.length && !tokens[i + 1].startsWith("-")) {
                flags.add(tokens[i] + "=" + tokens[++i]);
            } else {
                flags.add(tokens[i]);
            }
        }
        return flags;
    }

    private static List<String> pomJvmFlags() throws IOException {
        String pom = Files.readString(module.toAbsolutePath().getParent().resolve("pom.xml"));
        Matcher m = Pattern.compile("<adgrid\\.jvm\\.flags>([^<]*)</adgrid\\.jvm\\.flags>").matcher(pom);
        assertThat(m.find()).as("parent pom defines adgrid.jvm.flags").isTrue();
        return flags(m.group(1));
    }

    private static Map<String, Set<String>> sorted(Map<String, Set<String>> map) {
        Map<String, Set<String>> sorted = new HashMap<>();
        map.forEach((k, v) -> sorted.put(k, new TreeSet<>(v)));
        return sorted;
    }

    /** Fields the model did not know (a typo such as {@code readinesProbe}) land in additionalProperties. */
    private static void unknownFields(Object o, String path, List<String> problems, IdentityHashMap<Object, Boolean> seen) {
        if (o == null || seen.put(o, Boolean.TRUE) != null) {
            return;
        }
        if (o instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                unknownFields(item, path + "[" + i++ + "]", problems, seen);
            }
            return;
        }
        if (o instanceof Map<?, ?> map) {
            map.forEach((k, v) -> unknownFields(v, path + "." + k, problems, seen));
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || m.getDeclaringClass() == Object.class) {
                continue;
            }
            String name = m.getName();
            if (!name.startsWith("get") || name.length() == 3) {
                continue;
            }
            Object value;
            try {
                value = m.invoke(o);
            } catch (IllegalAccessException | InvocationTargetException e) {
                continue;
            }
            if (name.equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    problems.add(path + ": unknown field(s) " + extra.keySet());
                }
            } else {
                String property = Character.toLowerCase(name.charAt(3)) + name.substring(4);
                unknownFields(value, path + "." + property, problems, seen);
            }
        }
    }
}
