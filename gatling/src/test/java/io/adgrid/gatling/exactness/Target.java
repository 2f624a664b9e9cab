package io.adgrid.gatling.exactness;

/** What a stats query totals: {@code campaign=ID} or {@code banner=ID}. */
public record Target(String dimension, long id) {

    public static Target campaign(long id) {
        return new Target("campaign", id);
    }

    public static Target banner(long id) {
        return new Target("banner", id);
    }

    @Override
    public String toString() {
        return dimension + " " + id;
    }
}
