package io.adgrid.attribution;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A campaign's own click attribution (issue 21): the landing-URL parameter its click ids go in and
 * how long after a click a sale posted by its id counts. Null fields are the deployment's settings
 * ({@code ADGRID_ATTRIBUTION_CLICKPARAM}, {@code ADGRID_ATTRIBUTION_WINDOW}), so clearing a value
 * gives the campaign the default back, and a default changed later reaches it.
 *
 * @param clickParam the parameter's name, {@link #CLICK_PARAM}; null: the deployment's
 * @param window     the attribution window, whole seconds from {@link #MIN_WINDOW} to {@link #MAX_WINDOW}; null: the deployment's
 */
public record Attribution(String clickParam, Duration window) {

    /**
     * A name the redirect can append unescaped and every web stack reads back as written: no '.',
     * which PHP turns into '_' in {@code $_GET}, no '-' or '~' either (the deployment setting's alphabet).
     */
    public static final Pattern CLICK_PARAM = Pattern.compile("[A-Za-z0-9_]{1,32}");
    public static final Duration MIN_WINDOW = Duration.ofMinutes(1);
    /** The deployment setting's bound too. Nothing stores clicks (the id is the click), so no retention has to cover it. */
    public static final Duration MAX_WINDOW = Duration.ofDays(366);
    /** Nothing of its own: the deployment's settings. */
    public static final Attribution DEFAULTS = new Attribution(null, null);

    private static final Pattern SIMPLE = Pattern.compile("([0-9]{1,9})(s|m|h|d)");

    public Attribution {
        String problem = clickParamProblem(clickParam);
        if (problem == null) {
            problem = windowProblem(window);
        }
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** Why a campaign's click parameter cannot be used, or null (null itself is the default: fine). */
    public static String clickParamProblem(String name) {
        return name == null || CLICK_PARAM.matcher(name).matches() ? null
                : "click_param must be 1-32 characters of A-Z a-z 0-9 _ (null: the deployment's ADGRID_ATTRIBUTION_CLICKPARAM)";
    }

    /** Why a campaign's window cannot be used, or null (null itself is the default: fine). */
    public static String windowProblem(Duration window) {
        if (window == null) {
            return null;
        }
        if (window.getNano() != 0) {
            return "window must be whole seconds";
        }
        return window.compareTo(MIN_WINDOW) < 0 || window.compareTo(MAX_WINDOW) > 0 ? "window must be from 1m to 366d" : null;
    }

    /**
     * A window as the admin API takes it: {@code 30m}, {@code 36h}, {@code 7d}, {@code 90s} (what the
     * deployment setting takes) or ISO-8601 ({@code PT36H}, {@code P7D}). Null when it is neither; its
     * bounds are {@link #windowProblem}'s to check.
     */
    public static Duration parseWindow(String text) {
        if (text == null) {
            return null;
        }
        Matcher m = SIMPLE.matcher(text);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        }
        if (!text.startsWith("P") || text.length() > 40) {
            return null;
        }
        try {
            return Duration.parse(text);
        } catch (java.time.format.DateTimeParseException | ArithmeticException e) {
            return null;
        }
    }

    /** The shortest of {@code 7d}, {@code 36h}, {@code 90m}, {@code 45s} that says it exactly. */
    public static String show(Duration window) {
        long s = window.getSeconds();
        return s % 86_400 == 0 ? s / 86_400 + "d" : s % 3_600 == 0 ? s / 3_600 + "h" : s % 60 == 0 ? s / 60 + "m" : s + "s";
    }

    public boolean isDefault() {
        return clickParam == null && window == null;
    }
}
