package io.guestmem.memory.journal;

import io.guestmem.memory.LeaseMode;
import io.guestmem.memory.LeaseStatus;
import io.guestmem.memory.Owner;
import io.guestmem.memory.backend.FileId;

/**
 * A lease as stored. {@code privateId}/{@code sharedId} identify the kernel objects (null for the
 * emulated backend, or before an ATTACHED lease receives its fd); {@code bootId} is the kernel's
 * {@code /proc/sys/kernel/random/boot_id} when the lease was opened, since inode numbers mean
 * nothing across a reboot.
 */
public record LeaseRecord(String id, long size, LeaseMode mode, String backend, Owner owner, String teeKind,
                          LeaseStatus status, FileId privateId, FileId sharedId, String bootId) {
  public LeaseRecord withStatus(LeaseStatus s) {
    return new LeaseRecord(id, size, mode, backend, owner, teeKind, s, privateId, sharedId, bootId);
  }

  public LeaseRecord withPrivateId(FileId p) {
    return new LeaseRecord(id, size, mode, backend, owner, teeKind, status, p, sharedId, bootId);
  }
}
