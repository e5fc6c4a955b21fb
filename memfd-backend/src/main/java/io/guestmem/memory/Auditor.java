package io.guestmem.memory;

import io.guestmem.memory.backend.FileId;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads {@code /proc/<pid>/maps} and {@code /proc/<pid>/fd} and matches every entry against the
 * kernel identities ({@code st_dev}, {@code st_ino}) of the leases' backings. Matching by inode,
 * not by name, is what catches an fd that lied about what it is.
 */
final class Auditor {
  private Auditor() {}

  private record Target(String leaseId, FileId id, boolean isPrivate, String kind) {}

  static AuditReport audit(int pid, String backend, List<EngineLease> leases) throws MemoryException {
    List<String> notes = new ArrayList<>();
    List<Target> targets = new ArrayList<>();
    for (EngineLease l : leases) {
      Optional<FileId> p = l.privateFileId();
      p.ifPresent(id -> targets.add(new Target(l.id(), id, true, l.privateKind())));
      l.sharedFileId().ifPresent(id -> targets.add(new Target(l.id(), id, false, "memfd")));
    }
    if ("emulated".equals(backend)) {
      notes.add("emulated backend: leases have no kernel objects, so no mapping or fd can refer to them; "
          + "this audit proves nothing about isolation");
    }
    Path proc = Path.of("/proc", Integer.toString(pid));
    if (!Files.isDirectory(proc)) {
      throw new MemoryException(MemoryException.Reason.INVALID_ARGUMENT, "no process " + pid + " (" + proc + " absent)");
    }
    List<AuditFinding> findings = new ArrayList<>();
    int mappings = 0;
    try {
      for (String line : Files.readAllLines(proc.resolve("maps"))) {
        mappings++;
        String[] f = line.trim().split("\\s+", 6);
        if (f.length < 5) {
          continue;
        }
        String[] dev = f[3].split(":");
        long ino;
        long major;
        long minor;
        try {
          ino = Long.parseLong(f[4]);
          major = Long.parseLong(dev[0], 16);
          minor = Long.parseLong(dev[1], 16);
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
          notes.add("unparsable maps line: " + line);
          continue;
        }
        if (ino == 0) {
          continue;
        }
        for (Target t : targets) {
          if (t.id.ino() == ino && t.id.major() == major && t.id.minor() == minor) {
            findings.add(new AuditFinding(t.isPrivate ? AuditFinding.Kind.PRIVATE_BACKING_MAPPED : AuditFinding.Kind.SHARED_BACKING_MAPPED,
                t.leaseId, line, t.isPrivate
                    ? "a mapping of the private backing (" + t.kind + ") exists: host userspace can touch private pages"
                    : "shared backing mapped"));
          }
        }
      }
    } catch (IOException e) {
      throw new MemoryException(MemoryException.Reason.SYSCALL_FAILED, "cannot read " + proc.resolve("maps") + ": " + e.getMessage(), e);
    }
    int fds = 0;
    long self = ProcessHandle.current().pid();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(proc.resolve("fd"))) {
      for (Path fd : ds) {
        fds++;
        Map<String, Object> a;
        try {
          a = Files.readAttributes(fd, "unix:dev,ino");
        } catch (IOException | UnsupportedOperationException e) {
          continue; // closed meanwhile, or not stat-able
        }
        long dev = ((Number) a.get("dev")).longValue();
        long ino = ((Number) a.get("ino")).longValue();
        for (Target t : targets) {
          if (!t.isPrivate || t.id.ino() != ino || t.id.dev() != dev) {
            continue;
          }
          if ("kvm-gmem".equals(t.kind)) {
            findings.add(new AuditFinding(AuditFinding.Kind.PRIVATE_FD_HELD_UNMAPPABLE, t.leaseId, fd.toString(),
                "holds the private guest_memfd, which the kernel refuses to map"));
          } else if (pid != self) {
            findings.add(new AuditFinding(AuditFinding.Kind.PRIVATE_FD_MAPPABLE, t.leaseId, fd.toString(),
                "holds the private " + t.kind + " fd, which any holder can map"));
          }
        }
      }
    } catch (IOException e) {
      throw new MemoryException(MemoryException.Reason.SYSCALL_FAILED, "cannot list " + proc.resolve("fd") + ": " + e.getMessage(), e);
    }
    return new AuditReport(pid, backend, mappings, fds, findings, notes);
  }
}
