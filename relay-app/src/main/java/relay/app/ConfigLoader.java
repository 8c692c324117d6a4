package relay.app;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Reads the configuration in three layers: the embedded {@code conf/relay.yaml}, then an
 * optional file, then {@code RELAY_*} environment variables (for containers). Unknown keys and
 * bad values are errors that name the key, so a typo never passes silently.
 */
public final class ConfigLoader {

    static final String ENV_PREFIX = "RELAY_";
    private static final String DEFAULTS = "/conf/relay.yaml";

    private final Map<String, String> environment;
    private final ObjectMapper yaml;

    public ConfigLoader(Map<String, String> environment) {
        this.environment = environment;
        SimpleModule values = new SimpleModule("relay-values")
                .addDeserializer(Duration.class, scalar(Durations::parse))
                .addDeserializer(Size.class, scalar(Size::parse))
                .addDeserializer(Path.class, scalar(Path::of));
        this.yaml = new ObjectMapper(new YAMLFactory())
                .setPropertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .registerModule(values);
    }

    /** @throws ConfigException naming the file, key or variable that is wrong */
    public RelayConfig load(Optional<Path> file) throws ConfigException {
        ObjectNode tree = defaults();
        List<String> known = leafKeys(tree);
        if (file.isPresent()) {
            merge(tree, readFile(file.get()), "");
        }
        applyEnvironment(tree, known);
        RelayConfig config = bind(tree);
        ConfigCheck.validate(config);
        return config;
    }

    private ObjectNode defaults() throws ConfigException {
        try (InputStream in = ConfigLoader.class.getResourceAsStream(DEFAULTS)) {
            if (in == null) {
                throw new ConfigException("the embedded default configuration " + DEFAULTS + " is missing from the jar");
            }
            return (ObjectNode) yaml.readTree(in);
        } catch (IOException e) {
            throw new ConfigException("cannot read the embedded default configuration: " + e.getMessage(), e);
        }
    }

    private JsonNode readFile(Path file) throws ConfigException {
        try {
            JsonNode node = yaml.readTree(Files.readString(file));
            if (node == null || node.isMissingNode() || node.isNull()) {
                return yaml.createObjectNode();
            }
            if (!node.isObject()) {
                throw new ConfigException(file + ": the configuration must be a YAML mapping of keys to values");
            }
            return node;
        } catch (NoSuchFileException e) {
            throw new ConfigException("configuration file " + file + " does not exist");
        } catch (JsonProcessingException e) {
            throw new ConfigException(file + " is not valid YAML: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ")" : ""));
        } catch (IOException e) {
            throw new ConfigException("cannot read configuration file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Mappings merge key by key; anything else (scalars, lists) replaces. Unknown keys fail. */
    private static void merge(ObjectNode target, JsonNode overlay, String path) throws ConfigException {
        Iterator<Map.Entry<String, JsonNode>> fields = overlay.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            String key = path.isEmpty() ? f.getKey() : path + "." + f.getKey();
            JsonNode existing = target.get(f.getKey());
            if (existing == null) {
                throw new ConfigException("unknown configuration key '" + key + "'");
            }
            boolean mergeable = existing.isObject() && existing.size() > 0;
            if (mergeable && f.getValue().isObject()) {
                merge((ObjectNode) existing, f.getValue(), key);
            } else if (mergeable) {
                throw new ConfigException("configuration key '" + key + "' must be a mapping of keys to values");
            } else {
                target.set(f.getKey(), f.getValue());
            }
        }
    }

    /** Every settable key path, such as {@code smtp.port} or {@code smtp.auth.users}. */
    private static List<String> leafKeys(JsonNode node) {
        List<String> keys = new ArrayList<>();
        collect(node, "", keys);
        return keys;
    }

    private static void collect(JsonNode node, String path, List<String> keys) {
        node.fields().forEachRemaining(f -> {
            String key = path.isEmpty() ? f.getKey() : path + "." + f.getKey();
            if (f.getValue().isObject() && f.getValue().size() > 0) {
                collect(f.getValue(), key, keys);
            } else {
                keys.add(key);
            }
        });
    }

    static String envName(String key) {
        return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    private void applyEnvironment(ObjectNode tree, List<String> known) throws ConfigException {
        Map<String, String> byVariable = new TreeMap<>();
        for (String key : known) {
            byVariable.put(envName(key), key);
        }
        for (Map.Entry<String, String> e : new TreeMap<>(environment).entrySet()) {
            if (!e.getKey().startsWith(ENV_PREFIX)) {
                continue;
            }
            String key = byVariable.get(e.getKey());
            if (key == null) {
                throw new ConfigException("environment variable " + e.getKey() + " names no configuration key"
                        + " (known: " + String.join(", ", byVariable.keySet()) + ")");
            }
            JsonNode value;
            try {
                value = yaml.readTree(e.getValue());
            } catch (JsonProcessingException ex) {
                throw new ConfigException("environment variable " + e.getKey() + " (" + key + ") is not valid YAML: "
                        + ex.getOriginalMessage());
            }
            if (value == null || value.isNull() || value.isMissingNode()) {
                value = TextNode.valueOf("");
            }
            ObjectNode parent = tree;
            String[] parts = key.split("\\.");
            for (int i = 0; i < parts.length - 1; i++) {
                parent = (ObjectNode) parent.get(parts[i]);
            }
            parent.set(parts[parts.length - 1], value);
        }
    }

    private RelayConfig bind(ObjectNode tree) throws ConfigException {
        try {
            return yaml.treeToValue(tree, RelayConfig.class);
        } catch (UnrecognizedPropertyException e) {
            throw new ConfigException("unknown configuration key '" + keyOf(e) + "'");
        } catch (JsonMappingException e) {
            String key = keyOf(e);
            Throwable cause = e.getCause() instanceof IllegalArgumentException iae ? iae : null;
            String why = cause != null ? cause.getMessage() : e.getOriginalMessage();
            throw new ConfigException("configuration key '" + key + "' (" + envName(key) + "): " + why);
        } catch (JsonProcessingException e) {
            throw new ConfigException("configuration error: " + e.getOriginalMessage());
        }
    }

    private static String keyOf(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                sb.append(sb.length() == 0 ? "" : ".").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    private static <T> JsonDeserializer<T> scalar(java.util.function.Function<String, T> parse) {
        return new JsonDeserializer<>() {
            @Override
            public T deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
                String text = p.getValueAsString();
                if (text == null) {
                    return ctx.reportInputMismatch(this, "expected a single value");
                }
                try {
                    return parse.apply(text);
                } catch (IllegalArgumentException e) {
                    return ctx.reportInputMismatch(this, e.getMessage());
                }
            }
        };
    }
}
