package io.guestmem.vectors.format;

/** What a group's relative input paths are relative to. */
public enum InputRoot {
  /** The directory holding the group file (generated and hand-written vectors). */
  GROUP_DIR("group-dir"),
  /**
   * The real-hardware vectors directory: system property {@code guestmem.vectors.dir}, else
   * {@code ../shared/vectors} next to the project. When it is absent every case is skipped.
   */
  SHARED_VECTORS("shared-vectors");

  private final String jsonName;

  InputRoot(String jsonName) {
    this.jsonName = jsonName;
  }

  public String jsonName() {
    return jsonName;
  }
}
