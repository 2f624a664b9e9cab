package io.adgrid.catalog;

import io.adgrid.signing.BeaconSigner;
import javax.crypto.spec.SecretKeySpec;

/** A campaign: who pays, in which currency, and the secret its beacons are signed with. */
public record Campaign(long id, String name, String currency, SecretKeySpec signingKey) {

    public static Campaign of(long id, String name, String currency, String secret) {
        return new Campaign(id, name, currency, BeaconSigner.key(secret));
    }

    @Override
    public String toString() {
        // Never print the secret.
        return "Campaign[id=" + id + ", name=" + name + ", currency=" + currency + "]";
    }
}
