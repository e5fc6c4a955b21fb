package io.guestmem.vectors;

import io.guestmem.vectors.format.AttestationCase;
import io.guestmem.vectors.format.MalformedVectorException;
import io.guestmem.vectors.format.MemoryCase;
import io.guestmem.vectors.format.VectorCase;
import io.guestmem.vectors.format.VectorGroup;
import io.guestmem.vectors.format.VectorLoader;
import io.guestmem.vectors.run.AttestationCaseRunner;
import io.guestmem.vectors.run.MemoryCaseRunner;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The library behind {@code guestmem vectors run}: loads vector group files, runs every selected
 * case and collects every outcome before returning (a failing case never stops the run).
 *
 * <pre>
 * RunReport r = VectorRunner.run(List.of(), null, ProgressListener.NONE);   // the bundled vectors
 * System.out.print(r.table());                                             // or r.toJson()
 * System.exit(r.allPassed() ? 0 : 1);
 * </pre>
 *
 * <ul>
 *   <li>A path may be a group file (any name) or a directory, searched recursively for files
 *       named {@code *.vectors.json}. No paths means the vectors bundled in this module
 *       ({@link #bundledVectorsDir()}).
 *   <li>{@code filterGlob} (may be null) selects cases by {@code group/case-id}, e.g.
 *       {@code tdx-*}{@code /*} or {@code snp-emulated/revoked-*}; a glob without {@code /}
 *       matches the group name or the case id.
 *   <li>Real-hardware groups read their files from system property {@code guestmem.vectors.dir}
 *       (else {@code ../shared/vectors}); without them their cases are skipped, with the reason.
 *   <li>A file that does not load is listed in {@link RunReport#loadErrors()} and makes the run fail.
 * </ul>
 */
public final class VectorRunner {
  /** Group files found in directories end with this. */
  public static final String GROUP_SUFFIX = ".vectors.json";
  /** Classpath location of the bundled vectors. */
  public static final String BUNDLED = "/vectors";

  private VectorRunner() {}

  public static RunReport run(List<Path> paths, String filterGlob, ProgressListener progress) throws IOException {
    List<Path> files = new ArrayList<>();
    for (Path p : paths.isEmpty() ? List.of(bundledVectorsDir()) : paths) {
      files.addAll(groupFiles(p));
    }
    List<VectorGroup> groups = new ArrayList<>();
    List<String> loadErrors = new ArrayList<>();
    for (Path f : files) {
      try {
        groups.add(VectorLoader.load(f));
      } catch (MalformedVectorException e) {
        loadErrors.add(f + ": " + e.path() + ": " + e.problem());
      }
    }
    Selector selector = new Selector(filterGlob);
    int total = 0;
    for (VectorGroup g : groups) {
      total += (int) g.cases().stream().filter(c -> selector.matches(g.group(), c.id())).count();
    }
    progress.started(total);
    Path scratch = Files.createTempDirectory("guestmem-vectors-");
    try {
      AttestationCaseRunner attestation = new AttestationCaseRunner(AttestationCaseRunner::discoveredVerifiers, scratch);
      MemoryCaseRunner memory = null;
      List<GroupResult> results = new ArrayList<>();
      int done = 0;
      for (VectorGroup g : groups) {
        List<CaseResult> cases = new ArrayList<>();
        for (VectorCase c : g.cases()) {
          if (!selector.matches(g.group(), c.id())) {
            continue;
          }
          List<CaseResult> rs;
          if (c instanceof AttestationCase a) {
            rs = List.of(attestation.run(g, a));
          } else {
            if (memory == null) {
              memory = new MemoryCaseRunner(scratch);
            }
            rs = memory.run(g.group(), (MemoryCase) c);
          }
          cases.addAll(rs);
          done++;
          for (CaseResult r : rs) {
            progress.caseFinished(r, done, total);
          }
        }
        if (!cases.isEmpty() || filterGlob == null) {
          results.add(new GroupResult(g.group(), g.file().toString(), g.kind().jsonName(), g.description(), cases));
        }
      }
      return new RunReport(results, loadErrors);
    } finally {
      Trees.delete(scratch);
    }
  }

  /** The group files under {@code p}: {@code p} itself if it is a file, else its {@code *.vectors.json}, sorted. */
  public static List<Path> groupFiles(Path p) throws IOException {
    if (!Files.exists(p)) {
      throw new java.nio.file.NoSuchFileException(p.toString(), null, "no such vector file or directory");
    }
    if (!Files.isDirectory(p)) {
      return List.of(p);
    }
    try (Stream<Path> s = Files.walk(p)) {
      return s.filter(f -> f.getFileName().toString().endsWith(GROUP_SUFFIX) && Files.isRegularFile(f))
          .sorted(Comparator.comparing(Path::toString)).toList();
    }
  }

  /**
   * The directory of the vectors bundled in this module. When the module is a directory on the
   * class path it is used in place; inside a jar, the vectors are copied once per JVM to a
   * temporary directory (deleted at exit).
   */
  public static synchronized Path bundledVectorsDir() throws IOException {
    if (bundled != null) {
      return bundled;
    }
    URL url = VectorRunner.class.getResource(BUNDLED);
    if (url == null) {
      throw new IOException("the bundled vectors (" + BUNDLED + ") are not on the class path");
    }
    try {
      URI uri = url.toURI();
      if (uri.getScheme().equals("file")) {
        bundled = Path.of(uri);
        return bundled;
      }
      Path out = Files.createTempDirectory("guestmem-bundled-vectors-");
      try (FileSystem fs = FileSystems.newFileSystem(uri, Map.of())) {
        Path src = fs.provider().getPath(uri);
        copyTree(src, out);
      }
      Runtime.getRuntime().addShutdownHook(new Thread(() -> Trees.delete(out)));
      bundled = out;
      return out;
    } catch (URISyntaxException e) {
      throw new IOException("bad resource URL " + url, e);
    }
  }

  private static Path bundled;

  private static void copyTree(Path src, Path dst) throws IOException {
    try (Stream<Path> s = Files.walk(src)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Path t = dst.resolve(src.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t);
        }
      }
    }
  }

  /** Matches {@code group/case-id} against the filter glob. */
  static final class Selector {
    private final PathMatcher matcher;
    private final boolean hasSlash;

    Selector(String glob) {
      this.matcher = glob == null || glob.isBlank() ? null : FileSystems.getDefault().getPathMatcher("glob:" + glob);
      this.hasSlash = glob != null && glob.contains("/");
    }

    boolean matches(String group, String id) {
      if (matcher == null) {
        return true;
      }
      if (hasSlash) {
        return matcher.matches(Path.of(group, id));
      }
      return matcher.matches(Path.of(group)) || matcher.matches(Path.of(id));
    }
  }
}
