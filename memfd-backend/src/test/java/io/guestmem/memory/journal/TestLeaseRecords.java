package io.guestmem.memory.journal;

import io.guestmem.memory.LeaseMode;
import io.guestmem.memory.LeaseStatus;
import io.guestmem.memory.Owner;

/** The lease row the journal tests record their records against (the journal does not check ranges against its size). */
final class TestLeaseRecords {
  private TestLeaseRecords() {
  }

  /** An open, owned 1 GiB emulated lease of uid 1000. */
  static LeaseRecord open(String id) {
    return new LeaseRecord(id, 1 << 30, LeaseMode.OWNED, "emulated", new Owner(1000, 1), "none", LeaseStatus.OPEN, null, null, "boot");
  }
}
