package io.adgrid.app.architecture.planted.a;

import io.adgrid.app.architecture.planted.b.B;

/** A planted package cycle for {@code ArchitectureTest}: a uses b, b uses a. */
public class A {
    public B b() {
        return new B();
    }
}
