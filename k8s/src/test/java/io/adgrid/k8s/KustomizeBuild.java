package io.adgrid.k8s;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.zjsonpatch.JsonPatch;

/**
 * The part of {@code kustomize build} AdGrid's manifests use, so the test checks what
 * {@code kubectl apply -k} would send: resources (files and directories), secret and ConfigMap
 * generators, JSON 6902 patches, images and the namespace. A kustomization using anything else
 * fails the build here instead of being checked half.
 */
final class KustomizeBuild {

    static final YAMLMapper YAML = new YAMLMapper();
    static final KubernetesSerialization KUBERNETES = new KubernetesSerialization();

    private static final Set<String> SUPPORTED_FIELDS = Set.of("apiVersion", "kind", "namespace", "resources",
            "patches", "secretGenerator", "configMapGenerator", "generatorOptions", "images");

    /** The objects a kustomization directory builds to, and every file it (or a kustomization it includes) names. */
    record Result(Path dir, List<HasMetadata> objects, Set<Path> referencedFiles) {

        <T extends HasMetadata> List<T> all(Class<T> type) {
            return objects.stream().filter(type::isInstance).map(type::cast).toList();
        }

        <T extends HasMetadata> T named(Class<T> type, String name) {
            return all(type).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst().orElse(null);
        }
    }

    private KustomizeBuild() {
    }

    static Result build(Path dir) {
        Set<Path> files = new LinkedHashSet<>();
        List<ObjectNode> nodes = buildNodes(dir.normalize(), files);
        List<HasMetadata> objects = new ArrayList<>();
        for (ObjectNode node : nodes) {
            objects.add(toModel(node, "built from " + dir));
        }
        return new Result(dir, objects, files);
    }

    /** Every YAML document of a file, as trees. */
    static List<JsonNode> documents(Path file) {
        try (JsonParser parser = new YAMLFactory().createParser(file.toFile());
             MappingIterator<JsonNode> it = YAML.readValues(parser, JsonNode.class)) {
            List<JsonNode> docs = new ArrayList<>();
            while (it.hasNext()) {
                JsonNode doc = it.next();
                if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
                    docs.add(doc);
                }
            }
            return docs;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** A tree as its typed Kubernetes model object (a Deployment, a Service, ...); never the generic fallback. */
    static HasMetadata toModel(JsonNode node, String where) {
        KubernetesResource resource = KUBERNETES.convertValue(node, KubernetesResource.class);
        if (!(resource instanceof HasMetadata object) || resource instanceof GenericKubernetesResource) {
            throw new AssertionError(where + ": " + node.path("apiVersion").asText() + " " + node.path("kind").asText()
                    + " is not a kind of the Kubernetes model");
        }
        return object;
    }

    static JsonNode kustomization(Path dir) {
        List<JsonNode> docs = documents(dir.resolve("kustomization.yaml"));
        if (docs.size() != 1) {
            throw new AssertionError(dir + "/kustomization.yaml must hold one document");
        }
        return docs.get(0);
    }

    private static List<ObjectNode> buildNodes(Path dir, Set<Path> files) {
        JsonNode k = kustomization(dir);
        files.add(dir.resolve("kustomization.yaml"));
        for (Iterator<String> it = k.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!SUPPORTED_FIELDS.contains(field)) {
                throw new AssertionError(dir + "/kustomization.yaml uses '" + field + "', which this test does not "
                        + "model: extend KustomizeBuild so the result is still checked");
            }
        }
        List<ObjectNode> nodes = new ArrayList<>();
        for (JsonNode r : k.path("resources")) {
            Path p = existing(dir, r.asText(), "resource");
            if (Files.isDirectory(p)) {
                nodes.addAll(buildNodes(p.normalize(), files));
            } else {
                files.add(p.normalize());
                for (JsonNode doc : documents(p)) {
                    nodes.add((ObjectNode) doc.deepCopy());
                }
            }
        }
        for (JsonNode g : k.path("configMapGenerator")) {
            nodes.add(generated("ConfigMap", "data", g, dir, files));
        }
        for (JsonNode g : k.path("secretGenerator")) {
            nodes.add(generated("Secret", "stringData", g, dir, files));
        }
        for (JsonNode patch : k.path("patches")) {
            applyPatch(patch, nodes, dir, files);
        }
        for (JsonNode image : k.path("images")) {
            setImage(image, nodes);
        }
        if (k.hasNonNull("namespace")) {
            for (ObjectNode n : nodes) {
                if (!n.path("kind").asText().equals("Namespace")) {
                    ((ObjectNode) n.get("metadata")).put("namespace", k.get("namespace").asText());
                }
            }
        }
        return nodes;
    }

    static Path existing(Path dir, String relative, String what) {
        Path p = dir.resolve(relative).normalize();
        if (!Files.exists(p)) {
            throw new AssertionError(dir + "/kustomization.yaml lists " + what + " '" + relative + "', which does not exist");
        }
        return p;
    }

    private static ObjectNode generated(String kind, String dataField, JsonNode generator, Path dir, Set<Path> files) {
        ObjectNode object = YAML.createObjectNode();
        object.put("apiVersion", "v1");
        object.put("kind", kind);
        object.putObject("metadata").put("name", generator.path("name").asText());
        ObjectNode data = object.putObject(dataField);
        for (JsonNode literal : generator.path("literals")) {
            String[] kv = literal.asText().split("=", 2);
            data.put(kv[0], kv.length > 1 ? kv[1] : "");
        }
        try {
            for (JsonNode env : generator.path("envs")) {
                Path p = existing(dir, env.asText(), "env file");
                files.add(p);
                for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
                    if (!line.isBlank() && !line.startsWith("#")) {
                        String[] kv = line.split("=", 2);
                        data.put(kv[0].trim(), kv.length > 1 ? kv[1] : "");
                    }
                }
            }
            for (JsonNode file : generator.path("files")) {
                String[] kv = file.asText().split("=", 2);
                Path p = existing(dir, kv[kv.length - 1], "file");
                files.add(p);
                data.put(kv.length > 1 ? kv[0] : p.getFileName().toString(), Files.readString(p));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return object;
    }

    private static void applyPatch(JsonNode patch, List<ObjectNode> nodes, Path dir, Set<Path> files) {
        JsonNode ops;
        if (patch.hasNonNull("path")) {
            Path p = existing(dir, patch.get("path").asText(), "patch");
            files.add(p);
            ops = documents(p).get(0);
        } else {
            try {
                ops = YAML.readTree(patch.path("patch").asText());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (!ops.isArray()) {
            throw new AssertionError(dir + ": only JSON 6902 patches (a list of operations) are modelled: " + patch);
        }
        JsonNode target = patch.path("target");
        int matched = 0;
        for (int i = 0; i < nodes.size(); i++) {
            ObjectNode n = nodes.get(i);
            if (n.path("kind").asText().equals(target.path("kind").asText())
                    && n.path("metadata").path("name").asText().equals(target.path("name").asText())) {
                nodes.set(i, (ObjectNode) JsonPatch.apply(ops, n));
                matched++;
            }
        }
        if (matched == 0) {
            throw new AssertionError(dir + ": a patch targets " + target + ", which no resource is");
        }
    }

    private static void setImage(JsonNode image, List<ObjectNode> nodes) {
        String name = image.path("name").asText();
        for (ObjectNode n : nodes) {
            for (JsonNode c : n.path("spec").path("template").path("spec").path("containers")) {
                String current = c.path("image").asText();
                String repository = current.contains(":") ? current.substring(0, current.lastIndexOf(':')) : current;
                if (repository.equals(name)) {
                    String tag = current.contains(":") ? current.substring(current.lastIndexOf(':') + 1) : "latest";
                    ((ObjectNode) c).put("image", image.path("newName").asText(repository) + ":" + image.path("newTag").asText(tag));
                }
            }
        }
    }

    static Map<String, String> labels(HasMetadata object) {
        Map<String, String> l = object.getMetadata().getLabels();
        return l == null ? Map.of() : l;
    }
}
