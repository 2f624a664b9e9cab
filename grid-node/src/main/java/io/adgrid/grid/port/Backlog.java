package io.adgrid.grid.port;

/**
 * What one grid entry holds that PostgreSQL does not have yet, and what it remembers for replay dedup.
 *
 * @param unwrittenKeys   counter keys (minute, banner, publisher), pending or sealed, not yet written
 * @param identities      event identities remembered for replay dedup
 * @param identityBytes   heap bytes of the sets holding them
 */
public record Backlog(long unwrittenKeys, long identities, long identityBytes) {
}
