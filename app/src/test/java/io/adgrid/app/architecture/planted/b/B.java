package io.adgrid.app.architecture.planted.b;

import io.adgrid.app.architecture.planted.a.A;

/** A planted package cycle for {@code ArchitectureTest}: a uses b, b uses a. */
public class B {
    public A a() {
        return new A();
    }
}
