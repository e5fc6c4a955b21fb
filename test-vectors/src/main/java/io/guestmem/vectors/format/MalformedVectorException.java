package io.guestmem.vectors.format;

/**
 * A vector file does not follow the format. The message names the file and the JSON path of the
 * offending value, e.g. {@code tdx-real.json: $.cases[3].expected.status: must be one of …}.
 */
public final class MalformedVectorException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String source;
  private final String path;
  private final String problem;

  public MalformedVectorException(String source, String path, String problem) {
    super(source + ": " + path + ": " + problem);
    this.source = source;
    this.path = path;
    this.problem = problem;
  }

  /** What is wrong at {@link #path()}. */
  public String problem() {
    return problem;
  }

  /** The file (or resource) that was being read. */
  public String source() {
    return source;
  }

  /** The JSON path of the offending value, {@code $} for the document. */
  public String path() {
    return path;
  }
}
