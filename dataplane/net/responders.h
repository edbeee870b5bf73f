// The frames the packet layer answers or originates by itself: ARP replies
// and ICMP echo replies made in place from the request (the mbuf goes
// straight back out), and ARP requests and announcements built into an empty
// buffer. Each returns the frame length, or a negative errno when the input
// is not what it must be; none allocates or throws.
//
// A reply keeps the request's 802.1Q tag (same VID and PCP). When the NIC
// stripped the tag on receive (RxOffload::vlan_stripped), the caller asks
// the NIC to insert it again on transmit.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/net/classify.h"
#include "dataplane/net/ethernet.h"
#include "dataplane/net/interface.h"

namespace trunkgw::net {

// RFC 826 "Packet reception", for a frame classified arp_request_for_us
// (v): "Swap hardware and protocol fields, putting the local hardware and
// protocol addresses in the sender fields. Set the ar$op field to
// ares_op$REPLY. Send the packet to the (new) target hardware address on the
// same hardware on which the request was received." The local protocol
// address is the one asked for. The Ethernet destination is the requester,
// the source ifc.mac. A frame shorter than 60 octets is padded with zeros to
// 60 when cap allows. Returns the new length, or -EINVAL if v is not an
// arp_request_for_us that fits in len.
int arp_reply_in_place(uint8_t* frame, std::size_t len, std::size_t cap, const Verdict& v, const Interface& ifc);

// RFC 792 "Echo or Echo Reply Message", for a frame classified
// icmp_echo_for_us (v):
// - ICMP: type 0 and code 0; identifier, sequence number and data as they
//   came ("The data received in the echo message must be returned in the
//   echo reply message"); checksum updated incrementally (RFC 1624).
// - IPv4: source and destination swapped (RFC 1122 3.2.2.6: "The IP source
//   address in an ICMP Echo Reply MUST be the same as the
//   specific-destination address ... of the corresponding ICMP Echo Request
//   message"); DSCP kept (RFC 1349 5.1: "SHOULD be sent with the same value
//   in the TOS field"); ECN 0; TTL 64; DF set; ID kept (an atomic
//   datagram's ID is free, RFC 6864). IP options are not returned: the
//   header becomes 20 octets and the ICMP message moves up. RFC 1122
//   3.2.2.6 asks to return Record Route and Timestamp options and to
//   reverse a Source Route; we do neither (a documented deviation).
// - Ethernet: back to the request's source MAC, from ifc.mac.
// Returns the new length (shorter by the options; when under 60 octets,
// zero-padded up to the old length or 60), or -EINVAL if v is not an
// icmp_echo_for_us that fits in len.
int icmp_echo_reply_in_place(uint8_t* frame, std::size_t len, const Verdict& v, const Interface& ifc);

// An ARP request for target_ip from sender_ip (one of ifc's addresses),
// ar$tha zero (RFC 5227 2.1.1: "The 'target hardware address' field is
// ignored and SHOULD be set to all zeroes"), padded to 60 octets. dst is
// broadcast to resolve, or the cached MAC for a unicast poll (RFC 1122
// 2.3.2.1 (2)). Returns 60, -ENOSPC if cap < 60, -EINVAL if sender_ip is not
// ifc's.
int build_arp_request(uint8_t* out, std::size_t cap, const Interface& ifc, uint32_t sender_ip, uint32_t target_ip,
                      const MacAddress& dst = broadcast_mac);

// A gratuitous ARP for ip (one of ifc's), as RFC 5227 3 "Announcing an
// Address" makes it: a broadcast ARP request with sender and target
// protocol address both ip. Sent when a port comes up so that peers and
// switches refresh their tables. Returns 60, -ENOSPC, or -EINVAL.
int build_gratuitous_arp(uint8_t* out, std::size_t cap, const Interface& ifc, uint32_t ip);

}  // namespace trunkgw::net
