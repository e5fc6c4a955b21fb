package io.guestmem.tdx.emu;

import java.util.List;

/** The emulated TD lifecycle hit a status it did not expect; {@link #log()} tells how far it got. */
public final class EmulationException extends Exception {
  private static final long serialVersionUID = 1L;

  private final List<String> log;

  public EmulationException(String message, List<String> log) {
    super(message);
    this.log = List.copyOf(log);
  }

  public List<String> log() {
    return log;
  }
}
