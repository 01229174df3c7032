/* SPDX-License-Identifier: MIT */
/* The guest does not compile libsecp256k1: signer recovery is the VM's
 * ecrecover host call (src/guest/crypto.c). src/crypto/crypto_int.h only
 * needs the context's type name, which this opaque declaration gives. */
#ifndef CLEARLINE_GUEST_SECP256K1_H
#define CLEARLINE_GUEST_SECP256K1_H

typedef struct secp256k1_context_struct secp256k1_context;

#endif
