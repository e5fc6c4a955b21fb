package io.guestmem.vectors.generate;

import io.guestmem.memory.EngineConfig;
import io.guestmem.memory.MemoryEngine;
import io.guestmem.memory.MemoryException;
import io.guestmem.snp.abi.MalformedLayoutException;
import io.guestmem.snp.emu.SnpEmulation;
import io.guestmem.tdx.emu.EmulationException;
import io.guestmem.vectors.format.VectorGroup;
import io.guestmem.vectors.format.VectorWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The library behind {@code guestmem vectors generate}: runs the TDX and SEV-SNP emulators (on
 * leases of an emulated-backend memory engine in a temporary state directory) and writes the
 * generated vector groups with their evidence and collateral:
 *
 * <pre>
 * outDir/tdx-emulated.vectors.json    outDir/tdx/…   quotes, TCB Info, QE Identity, CRLs, emulated root
 * outDir/snp-emulated.vectors.json    outDir/snp/…   reports, certificate tables, KDS trees, emulated ARKs
 * </pre>
 *
 * Everything derives from fixed seeds and fixed issue times, so the output is byte-identical on
 * every run and machine; the committed copy lives in this module's resources under
 * {@code vectors/generated/}. {@code outDir} must be empty or absent.
 */
public final class VectorGenerator {
  private VectorGenerator() {}

  /** Writes the generated groups under {@code outDir}; returns every file written, group files first. */
  public static List<Path> generate(Path outDir) throws IOException, GenerationException {
    if (Files.exists(outDir)) {
      try (var s = Files.list(outDir)) {
        if (s.findAny().isPresent()) {
          throw new GenerationException("output directory " + outDir + " is not empty");
        }
      }
    }
    Files.createDirectories(outDir);
    Path scratch = Files.createTempDirectory("guestmem-vector-generation-");
    try (MemoryEngine engine = MemoryEngine.open(EngineConfig.emulated(scratch.resolve("state")))) {
      List<Path> out = new ArrayList<>();
      VectorGroup tdx = new TdxVectorSet().write(outDir, engine, scratch);
      VectorGroup snp = new SnpVectorSet().write(outDir, engine, scratch);
      for (VectorGroup g : List.of(tdx, snp)) {
        Files.write(g.file(), VectorWriter.toJson(g));
        out.add(g.file());
      }
      try (var s = Files.walk(outDir)) {
        s.filter(Files::isRegularFile).filter(p -> !out.contains(p)).sorted().forEach(out::add);
      }
      return List.copyOf(out);
    } catch (MemoryException | EmulationException | SnpEmulation.EmulationException | MalformedLayoutException e) {
      throw new GenerationException("emulation failed: " + e.getMessage(), e);
    } finally {
      io.guestmem.vectors.Trees.delete(scratch);
    }
  }

  /** The emulators or the memory engine refused to produce a vector; nothing usable was written. */
  public static final class GenerationException extends Exception {
    private static final long serialVersionUID = 1L;

    public GenerationException(String message) {
      super(message);
    }

    public GenerationException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
