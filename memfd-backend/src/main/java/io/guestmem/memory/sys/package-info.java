/** Raw Linux system calls and KVM uAPI constants, bound with JNA; errno becomes {@link io.guestmem.memory.sys.ErrnoException}. */
package io.guestmem.memory.sys;
