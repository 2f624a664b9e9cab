package io.adgrid.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class EventTypeTest {

    @ParameterizedTest(name = "\"{0}\" is {1}")
    @CsvSource({
        "i, IMPRESSION", "I, IMPRESSION", "impression, IMPRESSION", "IMPRESSION, IMPRESSION", "Impression, IMPRESSION",
        "c, CLICK", "C, CLICK", "click, CLICK", "CLICK, CLICK", "cLiCk, CLICK",
        "s, SALE", "S, SALE", "sale, SALE", "SALE, SALE", "Sale, SALE"
    })
    void parseAcceptsCodeOrFullNameInAnyCase(String text, EventType expected) {
        assertThat(EventType.parse(text)).contains(expected);
    }

    @ParameterizedTest(name = "\"{0}\" is refused")
    @NullAndEmptySource
    @ValueSource(strings = {
        "x", "e", "ii", "im", "impressions", "clicks", "sales", "conversion", " i", "i ", "click ", "\ti",
        "IMPRESSION\n", "sale;", "0", "\u0130" /* Turkish dotted capital I */, "s\u0307"
    })
    void parseRefusesAnythingElse(String text) {
        assertThat(EventType.parse(text)).isEmpty();
    }

    @Test
    void codesAreTheBeaconPathLetters() {
        assertThat(EventType.IMPRESSION.code()).isEqualTo('i');
        assertThat(EventType.CLICK.code()).isEqualTo('c');
        assertThat(EventType.SALE.code()).isEqualTo('s');
    }

    @Test
    void ofCodeRoundTripsEveryType() {
        for (EventType type : EventType.values()) {
            assertThat(EventType.ofCode((byte) type.code())).isEqualTo(type);
        }
    }

    @Test
    void ofCodeRefusesUnknownBytes() {
        assertThatThrownBy(() -> EventType.ofCode((byte) 'x')).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EventType.ofCode((byte) 'I')).isInstanceOf(IllegalArgumentException.class);
    }
}
