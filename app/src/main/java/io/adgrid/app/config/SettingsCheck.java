package io.adgrid.app.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import jakarta.validation.ValidatorFactory;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.PropertySourcesPlaceholdersResolver;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.convert.ApplicationConversionService;
import org.springframework.boot.origin.Origin;
import org.springframework.boot.origin.PropertySourceOrigin;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.SimpleCommandLinePropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.support.ResourcePropertySource;

/**
 * Checks every {@code adgrid.*} setting before anything starts (no PostgreSQL, no grid member, no
 * journal): unknown names (a misspelt flag or {@code ADGRID_*} variable, with the closest valid
 * name), values that do not convert, and values out of their range ({@link AdGridProperties},
 * {@link OpsProperties}). Each problem is one line naming the setting as the user wrote it.
 */
public final class SettingsCheck {

    /** Variables the launcher and tools read themselves; they are no {@code adgrid.*} setting. */
    static final Set<String> TOOL_VARIABLES = Set.of("ADGRID_JAVA_OPTS", "ADGRID_GATEWAY_URL", "ADGRID_KUBERNETES_SERVICE_DNS", "ADGRID_PID");

    /** The settings are wrong; {@link #problems()} holds one line each. */
    public static final class InvalidSettingsException extends RuntimeException {
        private final List<String> problems;

        InvalidSettingsException(List<String> problems) {
            super(String.join("\n", problems), null, false, false);
            this.problems = problems;
        }

        public List<String> problems() {
            return problems;
        }
    }

    private SettingsCheck() {
    }

    /** What Spring will see for {@code args}: command line, system properties, environment, application.properties. */
    public static ConfigurableEnvironment environment(String... args) {
        return environment(null, args);
    }

    /** @param variables stand-in for the process environment (tests); null: the real one */
    static ConfigurableEnvironment environment(Map<String, Object> variables, String... args) {
        StandardEnvironment env = new StandardEnvironment();
        if (variables != null) {
            env.getPropertySources().replace(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                    new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, variables));
        }
        env.getPropertySources().addFirst(new SimpleCommandLinePropertySource(args));
        try {
            env.getPropertySources().addLast(new ResourcePropertySource("applicationProperties", new ClassPathResource("application.properties")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return env;
    }

    /** Throws {@link InvalidSettingsException} listing every problem of {@code env}'s settings. */
    public static void check(ConfigurableEnvironment env) {
        List<String> problems = problems(env);
        if (!problems.isEmpty()) {
            throw new InvalidSettingsException(problems);
        }
    }

    public static List<String> problems(ConfigurableEnvironment env) {
        quietValidatorLog();
        List<String> problems = new ArrayList<>(unknownNames(env));
        Iterable<ConfigurationPropertySource> sources = ConfigurationPropertySources.from(env.getPropertySources());
        Binder binder = new Binder(sources, new PropertySourcesPlaceholdersResolver(env), ApplicationConversionService.getSharedInstance());
        try (ValidatorFactory factory = Validation.buildDefaultValidatorFactory()) {
            Validator validator = factory.getValidator();
            validate(binder, sources, validator, "adgrid", AdGridProperties.class, problems);
            validate(binder, sources, validator, "adgrid.ops", OpsProperties.class, problems);
        }
        return problems;
    }

    /** Logging is not configured yet: keep Hibernate Validator's version line off the terminal. */
    private static void quietValidatorLog() {
        if (LoggerFactory.getLogger("org.hibernate.validator") instanceof ch.qos.logback.classic.Logger logger && logger.getLevel() == null) {
            logger.setLevel(ch.qos.logback.classic.Level.WARN);
        }
    }

    private static <T> void validate(Binder binder, Iterable<ConfigurationPropertySource> sources, Validator validator,
                                     String prefix, Class<T> type, List<String> problems) {
        T bound;
        try {
            bound = binder.bind(prefix, type).orElse(null);
        } catch (BindException e) {
            ConfigurationProperty p = e.getProperty();
            Throwable cause = e.getCause() != null && e.getCause().getCause() != null ? e.getCause().getCause() : e.getCause();
            if (cause instanceof IllegalArgumentException refused && refused.getMessage() != null && refused.getMessage().contains("ADGRID_")) {
                // A check across settings (a record's constructor) names them itself.
                problems.add(refused.getMessage());
                return;
            }
            String why = cause == null ? "cannot be read" : "cannot be read (" + cause.getMessage() + ")";
            problems.add(p != null ? shown(p) + ": " + why : prefix + ": " + why);
            return;
        }
        if (bound == null) {
            return;
        }
        List<String> lines = new ArrayList<>();
        for (ConstraintViolation<T> v : validator.validate(bound)) {
            String path = v.getPropertyPath().toString().replaceAll("InRange$", "");
            String name = prefix + "." + kebab(path);
            ConfigurationProperty p = find(sources, name);
            lines.add((p != null ? shown(p) : name + "=" + v.getInvalidValue()) + ": " + v.getMessage());
        }
        lines.sort(Comparator.naturalOrder());
        problems.addAll(lines);
    }

    private static ConfigurationProperty find(Iterable<ConfigurationPropertySource> sources, String name) {
        ConfigurationPropertyName key = ConfigurationPropertyName.of(name);
        for (ConfigurationPropertySource s : sources) {
            ConfigurationProperty p = s.getConfigurationProperty(key);
            if (p != null) {
                return p;
            }
        }
        return null;
    }

    /** The setting as the user gave it: {@code ADGRID_GATEWAY_PORT=99999} or {@code --adgrid.gateway.port=99999}. */
    private static String shown(ConfigurationProperty p) {
        Origin origin = p.getOrigin();
        String value = String.valueOf(p.getValue());
        if (origin instanceof PropertySourceOrigin o) {
            String source = o.getPropertySource().getName();
            if (source.equals(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME)) {
                return o.getPropertyName() + "=" + value;
            }
            if (source.equals(SimpleCommandLinePropertySource.COMMAND_LINE_PROPERTY_SOURCE_NAME)) {
                return "--" + o.getPropertyName() + "=" + value;
            }
            if (source.equals(StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME)) {
                return "-D" + o.getPropertyName() + "=" + value;
            }
            return o.getPropertyName() + "=" + value + " (" + source + ")";
        }
        return p.getName() + "=" + value;
    }

    private static List<String> unknownNames(ConfigurableEnvironment env) {
        Map<String, String> known = knownNames();
        List<String> problems = new ArrayList<>();
        for (PropertySource<?> source : env.getPropertySources()) {
            if (!(source instanceof EnumerablePropertySource<?> names)) {
                continue;
            }
            boolean environment = source.getName().equals(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME);
            for (String name : names.getPropertyNames()) {
                boolean ours = environment ? name.startsWith("ADGRID_") && !TOOL_VARIABLES.contains(name)
                        : name.toLowerCase(Locale.ROOT).startsWith("adgrid.");
                // -Dadgrid.test.* are test hooks (the fault runner's), not settings.
                boolean testHook = source.getName().equals(StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME)
                        && name.startsWith("adgrid.test.");
                if (!ours || testHook || known.containsKey(canonical(name))) {
                    continue;
                }
                String closest = closest(canonical(name), known);
                String prefix = source.getName().equals(SimpleCommandLinePropertySource.COMMAND_LINE_PROPERTY_SOURCE_NAME) ? "--" : "";
                String suggestion = environment ? variable(closest) : prefix + closest;
                problems.add((environment ? name : prefix + name) + ": unknown setting; did you mean " + suggestion + "?");
            }
        }
        return problems;
    }

    /** Every valid setting, canonical form (letters and digits, lower case) to its dotted name. */
    public static Map<String, String> knownNames() {
        Map<String, String> names = new TreeMap<>();
        collect("adgrid", AdGridProperties.class, names);
        collect("adgrid.ops", OpsProperties.class, names);
        return names;
    }

    private static void collect(String prefix, Class<?> type, Map<String, String> names) {
        RecordComponent[] components = type.getRecordComponents();
        for (int i = 0; i < components.length; i++) {
            RecordComponent c = components[i];
            String name = prefix + "." + propertyName(type, i, c);
            if (c.getType().isRecord() && !(c.getGenericType() instanceof ParameterizedType)) {
                collect(name, c.getType(), names);
            } else {
                names.put(canonical(name), name);
            }
        }
    }

    /** The name Spring binds a component under: its {@code @Name} (on the canonical constructor's parameter), else kebab case. */
    private static String propertyName(Class<?> type, int index, RecordComponent c) {
        try {
            Class<?>[] types = java.util.Arrays.stream(type.getRecordComponents()).map(RecordComponent::getType).toArray(Class<?>[]::new);
            org.springframework.boot.context.properties.bind.Name name =
                    type.getDeclaredConstructor(types).getParameters()[index].getAnnotation(org.springframework.boot.context.properties.bind.Name.class);
            return name != null ? name.value() : kebab(c.getName());
        } catch (NoSuchMethodException e) {
            return kebab(c.getName());
        }
    }

    private static String closest(String canonical, Map<String, String> known) {
        Map<String, Integer> distances = new LinkedHashMap<>();
        known.forEach((k, name) -> distances.put(name, levenshtein(canonical, k)));
        return distances.entrySet().stream().min(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElseThrow();
    }

    static String canonical(String name) {
        return name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
    }

    /** {@code adgrid.gateway.max-age} as a variable: {@code ADGRID_GATEWAY_MAXAGE}. */
    static String variable(String dotted) {
        return dotted.replace("-", "").replace('.', '_').toUpperCase(Locale.ROOT);
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    private static int levenshtein(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] t = previous;
            previous = current;
            current = t;
        }
        return previous[b.length()];
    }
}
