package io.guestmem.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SizesTest {
  @Test
  void parsesBytesAndBinaryUnits() {
    assertThat(Sizes.parse("4096")).isEqualTo(4096);
    assertThat(Sizes.parse("4KiB")).isEqualTo(4096);
    assertThat(Sizes.parse("2MiB")).isEqualTo(2L << 20);
    assertThat(Sizes.parse("64mib")).isEqualTo(64L << 20);
    assertThat(Sizes.parse("1GiB")).isEqualTo(1L << 30);
    assertThat(Sizes.parse("1TiB")).isEqualTo(1L << 40);
    assertThat(Sizes.parse("0x200000")).isEqualTo(2L << 20);
  }

  @Test
  void refusesGarbageAndOverflow() {
    assertThatThrownBy(() -> Sizes.parse("lots")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Sizes.parse("-4KiB")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Sizes.parse("99999999999TiB")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Sizes.parse("0xzz")).isInstanceOf(IllegalArgumentException.class);
  }
}
