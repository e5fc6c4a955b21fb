/** A mini VMM run as a separate process, driving a running guestmem the way a real VMM would: lease, fd channel, its own KVM VM and vCPU. */
package io.guestmem.rpc.vmm;
