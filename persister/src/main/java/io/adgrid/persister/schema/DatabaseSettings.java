package io.adgrid.persister.schema;

import java.util.regex.Pattern;

/** Where PostgreSQL is. Printing it never shows the password, not even one written into the URL. */
public record DatabaseSettings(String url, String user, String password) {

    private static final Pattern PASSWORD_PARAMETER = Pattern.compile("(?i)((?:^|[?&;])password=)[^&;]*");
    private static final Pattern USER_INFO = Pattern.compile("(//[^/:@?]*:)[^/@?]*@");

    /** The URL with any password in it ({@code ?password=}, {@code //user:password@}) replaced by {@code ****}. */
    public String redactedUrl() {
        return redact(url);
    }

    public static String redact(String url) {
        if (url == null) {
            return null;
        }
        return USER_INFO.matcher(PASSWORD_PARAMETER.matcher(url).replaceAll("$1****")).replaceAll("$1****@");
    }

    @Override
    public String toString() {
        return "DatabaseSettings[url=" + redactedUrl() + ", user=" + user + "]";
    }
}
