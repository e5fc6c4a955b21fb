package io.guestmem.snp.emu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The RMP transition table of {@link Rmp}, row by row. */
class RmpTest {
  static final int ASID = 5;
  final Rmp rmp = new Rmp(4L * 1024 * 1024);

  @Test
  void newRmp_everyPageIsHypervisorOwned() {
    assertThat(rmp.entry(0x3000)).isEqualTo(RmpEntry.HYPERVISOR);
    assertThat(rmp.pages()).isEqualTo(1024);
  }

  @Test
  void rmpUpdateAssign_givesAnUnvalidatedGuestPage() {
    assertThat(rmp.rmpUpdate(0x3000, PageSize.SIZE_4K, true, ASID)).isEqualTo(Rmp.SUCCESS);
    RmpEntry e = rmp.entry(0x3000);
    assertThat(e.assigned()).isTrue();
    assertThat(e.validated()).isFalse();
    assertThat(e.asid()).isEqualTo(ASID);
    assertThat(e.gpa()).isEqualTo(0x3000);
    assertThat(e.pageSize()).isEqualTo(PageSize.SIZE_4K);
  }

  @Test
  void pvalidate_validateThenDoubleValidate_givesNoUpdateWithCarry() {
    rmp.rmpUpdate(0x3000, PageSize.SIZE_4K, true, ASID);
    assertThat(rmp.pvalidate(ASID, 0x3000, PageSize.SIZE_4K, true)).isEqualTo(Rmp.PvalidateResult.SUCCESS);
    assertThat(rmp.entry(0x3000).validated()).isTrue();
    Rmp.PvalidateResult again = rmp.pvalidate(ASID, 0x3000, PageSize.SIZE_4K, true);
    assertThat(again).isEqualTo(Rmp.PvalidateResult.NO_UPDATE);
    assertThat(again.rax()).isZero();
    assertThat(again.carryFlag()).isTrue();
  }

  @Test
  void pvalidate_rescind_clearsValidated_andRescindingAgainIsNoUpdate() {
    rmp.rmpUpdate(0x3000, PageSize.SIZE_4K, true, ASID);
    rmp.pvalidate(ASID, 0x3000, PageSize.SIZE_4K, true);
    assertThat(rmp.pvalidate(ASID, 0x3000, PageSize.SIZE_4K, false)).isEqualTo(Rmp.PvalidateResult.SUCCESS);
    assertThat(rmp.entry(0x3000).validated()).isFalse();
    assertThat(rmp.pvalidate(ASID, 0x3000, PageSize.SIZE_4K, false)).isEqualTo(Rmp.PvalidateResult.NO_UPDATE);
  }

  @Test
  void rmpUpdate_alwaysClearsTheValidatedBit() {
    rmp.rmpUpdate(0x3000, PageSize.SIZE_4K, true, ASID);
    rmp.pvalidate(ASID, 0x3000, PageSize.SIZE_4K, true);
    assertThat(rmp.rmpUpdate(0x3000, PageSize.SIZE_4K, true, ASID)).isEqualTo(Rmp.SUCCESS);
    assertThat(rmp.entry(0x3000).validated()).as("the hypervisor can never leave a page valid").isFalse();
    assertThat(rmp.rmpUpdate(0x3000, PageSize.SIZE_4K, false, ASID)).isEqualTo(Rmp.SUCCESS);
    assertThat(rmp.entry(0x3000)).isEqualTo(RmpEntry.HYPERVISOR);
  }

  @Test
  void pvalidate_sizeMismatch_failsAndChangesNothing() {
    rmp.rmpUpdate(0x200000, PageSize.SIZE_2M, true, ASID);
    assertThat(rmp.pvalidate(ASID, 0x200000, PageSize.SIZE_4K, true)).isEqualTo(Rmp.PvalidateResult.FAIL_SIZEMISMATCH);
    assertThat(Rmp.PvalidateResult.FAIL_SIZEMISMATCH.rax()).isEqualTo(6);
    rmp.rmpUpdate(0x1000, PageSize.SIZE_4K, true, ASID);
    assertThat(rmp.validatedPages()).isZero();
    assertThat(rmp.pvalidate(ASID, 0x0, PageSize.SIZE_2M, true)).as("2M over a hypervisor page: not the guest's")
        .isEqualTo(Rmp.PvalidateResult.NESTED_PAGE_FAULT);
  }

  @Test
  void pvalidate_2mPage_validatesAll512Entries() {
    rmp.rmpUpdate(0x200000, PageSize.SIZE_2M, true, ASID);
    assertThat(rmp.pvalidate(ASID, 0x200000, PageSize.SIZE_2M, true)).isEqualTo(Rmp.PvalidateResult.SUCCESS);
    assertThat(rmp.validatedPages()).isEqualTo(512);
  }

  @Test
  void pvalidate_inputErrorsAndForeignPages() {
    assertThat(rmp.pvalidate(ASID, 0x1001, PageSize.SIZE_4K, true)).isEqualTo(Rmp.PvalidateResult.FAIL_INPUT);
    assertThat(rmp.pvalidate(ASID, 4L * 1024 * 1024, PageSize.SIZE_4K, true)).isEqualTo(Rmp.PvalidateResult.FAIL_INPUT);
    assertThat(rmp.pvalidate(ASID, 0x1000, PageSize.SIZE_4K, true)).isEqualTo(Rmp.PvalidateResult.NESTED_PAGE_FAULT);
    rmp.rmpUpdate(0x1000, PageSize.SIZE_4K, true, ASID);
    assertThat(rmp.pvalidate(ASID + 1, 0x1000, PageSize.SIZE_4K, true)).isEqualTo(Rmp.PvalidateResult.NESTED_PAGE_FAULT);
    rmp.makeFirmwarePage(0x2000);
    assertThat(rmp.pvalidate(ASID, 0x2000, PageSize.SIZE_4K, true)).isEqualTo(Rmp.PvalidateResult.NESTED_PAGE_FAULT);
  }

  @Test
  void rmpUpdate_errors_leaveTheTableUnchanged() {
    assertThat(rmp.rmpUpdate(0x201000, PageSize.SIZE_2M, true, ASID)).isEqualTo(Rmp.FAIL_INPUT);
    assertThat(rmp.rmpUpdate(0x1000, PageSize.SIZE_4K, true, 0)).isEqualTo(Rmp.FAIL_INPUT);
    rmp.makeFirmwarePage(0x2000);
    assertThat(rmp.rmpUpdate(0x2000, PageSize.SIZE_4K, false, ASID)).isEqualTo(Rmp.FAIL_PERMISSION);
    rmp.rmpUpdate(0x200000, PageSize.SIZE_2M, true, ASID);
    assertThat(rmp.rmpUpdate(0x201000, PageSize.SIZE_4K, false, ASID)).as("4K inside an assigned 2M page")
        .isEqualTo(Rmp.FAIL_OVERLAP);
    rmp.rmpUpdate(0x1000, PageSize.SIZE_4K, true, ASID);
    assertThat(rmp.rmpUpdate(0x0, PageSize.SIZE_2M, true, ASID)).as("2M over an assigned 4K page")
        .isEqualTo(Rmp.FAIL_OVERLAP);
    assertThat(rmp.assignedPages()).isEqualTo(1 + 1 + 512);
    assertThat(rmp.entry(0x0)).isEqualTo(RmpEntry.HYPERVISOR);
  }

  @Test
  void psmash_splits2mInto4kEntries_keepingValidated() {
    rmp.rmpUpdate(0x200000, PageSize.SIZE_2M, true, ASID);
    rmp.pvalidate(ASID, 0x200000, PageSize.SIZE_2M, true);
    assertThat(rmp.psmash(0x200000)).isEqualTo(Rmp.SUCCESS);
    RmpEntry e = rmp.entry(0x3FF000);
    assertThat(e.pageSize()).isEqualTo(PageSize.SIZE_4K);
    assertThat(e.validated()).isTrue();
    assertThat(e.gpa()).isEqualTo(0x3FF000);
    assertThat(rmp.pvalidate(ASID, 0x201000, PageSize.SIZE_4K, false)).isEqualTo(Rmp.PvalidateResult.SUCCESS);
    assertThat(rmp.rmpUpdate(0x201000, PageSize.SIZE_4K, false, ASID)).isEqualTo(Rmp.SUCCESS);
  }

  @Test
  void psmash_errors() {
    assertThat(rmp.psmash(0x201000)).isEqualTo(Rmp.FAIL_INPUT);
    assertThat(rmp.psmash(0x200000)).isEqualTo(Rmp.FAIL_BADADDR);
    rmp.rmpUpdate(0x1000, PageSize.SIZE_4K, true, ASID);
    assertThat(rmp.psmash(0x0)).isEqualTo(Rmp.FAIL_BADADDR);
  }
}
