package io.adgrid.faults;

/**
 * One thing a client wants counted once: an impression, a click (clean: its impression was
 * acknowledged before; suspect: no impression of that rendering was ever sent) or a sale.
 *
 * @param amountMicros a sale's amount in millionths (whole cents here), 0 otherwise
 */
record Event(String id, Kind kind, long banner, long publisher, long campaign, long amountMicros) {

    enum Kind { IMPRESSION, CLEAN_CLICK, SUSPECT_CLICK, SALE }

    Key key() {
        return new Key(banner, publisher);
    }

    /** A counter row's key, as in PostgreSQL's counter_minute (all minutes together). */
    record Key(long banner, long publisher) {
        @Override
        public String toString() {
            return "b=" + banner + ",p=" + publisher;
        }
    }
}
