package io.adgrid.gateway.beacon;

/** A click's redirect target: the banner's registered landing URL, with the click's id for the advertiser (issue 21). */
final class Landing {

    private Landing() {
    }

    /**
     * {@code https://shop.example/p?x=1#top} with {@code agclid=ID} gives {@code https://shop.example/p?x=1&agclid=ID#top}.
     * The id is base64url and the name a checked setting or campaign value ({@code [A-Za-z0-9_]{1,32}}), so neither
     * needs escaping; nothing of the request is used.
     *
     * @param param the parameter's name (the campaign's, else the deployment's), or null or empty: the landing URL as registered
     * @param id    the click's id, or null: likewise
     */
    static String withClickId(String landing, String param, String id) {
        if (id == null || param == null || param.isEmpty()) {
            return landing;
        }
        int hash = landing.indexOf('#');
        String base = hash < 0 ? landing : landing.substring(0, hash);
        String fragment = hash < 0 ? "" : landing.substring(hash);
        String separator = base.indexOf('?') < 0 ? "?" : base.endsWith("?") || base.endsWith("&") ? "" : "&";
        return base + separator + param + '=' + id + fragment;
    }
}
