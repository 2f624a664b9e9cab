package io.adgrid.gateway.beacon;

import io.adgrid.gateway.validation.Rejection;

/** Input that cannot even be read as parameters; carries the precise 4xx to answer. */
final class BadRequestException extends RuntimeException {

    private final Rejection rejection;

    BadRequestException(Rejection rejection) {
        super(rejection.reason(), null, false, false);
        this.rejection = rejection;
    }

    Rejection rejection() {
        return rejection;
    }
}
