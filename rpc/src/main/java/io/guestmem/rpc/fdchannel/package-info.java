/** The fd side channel: SOCK_SEQPACKET with SCM_RIGHTS, one-time handoff tokens, attach waiters (contract in docs/FD-CHANNEL.md). */
package io.guestmem.rpc.fdchannel;
