// libsrtp's two SRTP primitives -- AES-128 in counter mode (RFC 3711 4.1.1,
// "AES-CM") and HMAC-SHA1 (4.2.1) -- on OpenSSL's libcrypto.
//
// Why: Debian builds libsrtp 2 against NSS, whose counter mode opens a new
// PKCS#11 context (a softoken session) for every packet's IV and keeps every
// key as a softoken object in a hash table of 32 buckets (libsrtp initialises
// NSS with NSS_INIT_OPTIMIZESPACE): ~4 us a packet at 100 sessions, ~10 us at
// 1,000, growing with the number of keys. libsrtp keeps the protocol (key
// derivation, RFC 3711 4.3; rollover counter, 3.3.1; replay list, 3.3.2;
// SRTCP's index), and its crypto kernel lets an application replace a
// primitive by its type id (srtp_replace_cipher_type, _auth_type): the
// replacement must pass libsrtp's own known answers for that id and ours
// (RFC 3711 B.2's keystream, RFC 2202's HMAC-SHA1 case 1) before the kernel
// takes it. OpenSSL uses AES-NI and the SHA extensions where the CPU has them:
// AES-CTR through EVP (IV set per packet, key schedule kept), HMAC from
// precomputed inner and outer SHA-1 states (no allocation per packet).
// intel-ipsec-mb's job API was slower here (~1.2 us a packet against
// OpenSSL's ~0.9 with EVP_MAC, ~0.4 now: a multi-buffer HMAC flushed for
// one job).
//
// AES-GCM and the 192/256-bit counter modes stay on NSS: no suite we offer
// uses them.
#pragma once

namespace trunkgw::media {

// Replaces libsrtp's AES-ICM-128 cipher and HMAC-SHA1 auth with the ones
// here. Call once, after srtp_init() and before the first srtp_create().
// False when libsrtp refuses either (its self-test failed): SRTP is then
// not ready.
bool srtp_use_openssl_primitives();

}  // namespace trunkgw::media
