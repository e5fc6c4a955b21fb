package io.guestmem.memory.sys;

/**
 * KVM uAPI constants for Linux 6.18, hard-coded because distribution headers lag behind
 * (see {@code guest-memfd.md} §1). Ioctl numbers follow {@code _IO/_IOW/_IOWR(KVMIO=0xAE, nr, size)}.
 */
public final class Kvm {
  private Kvm() {}

  public static final String DEVICE = "/dev/kvm";

  private static final int KVMIO = 0xAE;

  private static long io(int nr) {
    return ((long) KVMIO << 8) | nr;
  }

  private static long iow(int nr, int size) {
    return (1L << 30) | ((long) size << 16) | ((long) KVMIO << 8) | nr;
  }

  private static long iowr(int nr, int size) {
    return (3L << 30) | ((long) size << 16) | ((long) KVMIO << 8) | nr;
  }

  // system ioctls
  public static final long KVM_GET_API_VERSION = io(0x00);
  public static final long KVM_CREATE_VM = io(0x01);
  public static final long KVM_CHECK_EXTENSION = io(0x03);
  public static final long KVM_GET_VCPU_MMAP_SIZE = io(0x04);
  // VM ioctls
  public static final long KVM_CREATE_VCPU = io(0x41);
  /** struct kvm_userspace_memory_region2 is 160 bytes. */
  public static final int MEMORY_REGION2_SIZE = 160;
  public static final long KVM_SET_USER_MEMORY_REGION2 = iow(0x49, MEMORY_REGION2_SIZE);
  /** struct kvm_memory_attributes is 32 bytes. */
  public static final long KVM_SET_MEMORY_ATTRIBUTES = iow(0xd2, 32);
  /** struct kvm_create_guest_memfd is 64 bytes. */
  public static final int CREATE_GUEST_MEMFD_SIZE = 64;
  public static final long KVM_CREATE_GUEST_MEMFD = iowr(0xd4, CREATE_GUEST_MEMFD_SIZE);
  // vCPU ioctls
  public static final long KVM_RUN = io(0x80);

  // capabilities
  public static final int KVM_CAP_USER_MEMORY2 = 231;
  public static final int KVM_CAP_MEMORY_FAULT_INFO = 232;
  public static final int KVM_CAP_MEMORY_ATTRIBUTES = 233;
  public static final int KVM_CAP_GUEST_MEMFD = 234;
  public static final int KVM_CAP_VM_TYPES = 235;
  public static final int KVM_CAP_PRE_FAULT_MEMORY = 236;
  public static final int KVM_CAP_GUEST_MEMFD_FLAGS = 244;

  // guest_memfd creation flags
  public static final long GUEST_MEMFD_FLAG_MMAP = 1L;
  public static final long GUEST_MEMFD_FLAG_INIT_SHARED = 1L << 1;

  // memslot flags
  public static final int KVM_MEM_LOG_DIRTY_PAGES = 1;
  public static final int KVM_MEM_READONLY = 2;
  public static final int KVM_MEM_GUEST_MEMFD = 4;

  public static final long KVM_MEMORY_ATTRIBUTE_PRIVATE = 1L << 3;

  // x86 VM types
  public static final int KVM_X86_DEFAULT_VM = 0;
  public static final int KVM_X86_SW_PROTECTED_VM = 1;
  public static final int KVM_X86_SEV_VM = 2;
  public static final int KVM_X86_SEV_ES_VM = 3;
  public static final int KVM_X86_SNP_VM = 4;
  public static final int KVM_X86_TDX_VM = 5;

  /** Name of an x86 VM type as guestmem reports it. */
  public static String vmTypeName(int type) {
    switch (type) {
      case KVM_X86_DEFAULT_VM: return "DEFAULT";
      case KVM_X86_SW_PROTECTED_VM: return "SW_PROTECTED";
      case KVM_X86_SEV_VM: return "SEV";
      case KVM_X86_SEV_ES_VM: return "SEV_ES";
      case KVM_X86_SNP_VM: return "SNP";
      case KVM_X86_TDX_VM: return "TDX";
      default: return "TYPE" + type;
    }
  }

  /** Name of a guest_memfd creation flag bit. */
  public static String guestMemfdFlagName(int bit) {
    switch (bit) {
      case 0: return "MMAP";
      case 1: return "INIT_SHARED";
      default: return "BIT" + bit;
    }
  }
}
