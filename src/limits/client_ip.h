// Which address a request comes from. X-Forwarded-For is believed only when the connection
// itself comes from a trusted proxy (the load balancer), and then only up to the first
// address that is not a trusted proxy, read from the right: a client cannot spoof its way
// past a per-IP limit by sending the header itself.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aigw::limits {

// An IPv4 or IPv6 address. IPv4-mapped IPv6 (::ffff:a.b.c.d) is the IPv4 address, so a
// dual-stack listener and an IPv4 one count the same client under the same key.
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};  // IPv4 in the first 4
  int family_bytes = 4;                  // 4 or 16

  // "1.2.3.4", "::1", "[::1]", and with a port as some proxies write it: "1.2.3.4:5678",
  // "[2001:db8::1]:443". Surrounding spaces are ignored. nullopt when malformed.
  static std::optional<IpAddress> parse(std::string_view text);
  // Canonical text ("1.2.3.4", "2001:db8::1"): the key the per-IP limit counts under.
  std::string to_string() const;
  // The address with every bit after the first `prefix_bits` cleared (the network it is in).
  IpAddress masked(int prefix_bits) const;
  bool operator==(const IpAddress&) const = default;
};

class Cidr {
 public:
  // "10.0.0.0/8", "192.168.1.7", "fd00::/8", "::1"; nullopt when malformed.
  static std::optional<Cidr> parse(std::string_view text);
  bool contains(const IpAddress& ip) const;
  bool contains(std::string_view ip) const;  // false for malformed text
  std::string to_string() const;             // "10.0.0.0/8"

 private:
  IpAddress base_;
  int prefix_ = 32;
};

// The client address of a request, in canonical form. `x_forwarded_for` is every
// X-Forwarded-For value joined with commas, as received.
//  - From an untrusted peer the header is ignored: the peer is the client.
//  - From a trusted proxy the list is walked from the right (each proxy appends the address
//    it saw), skipping trusted proxies; the first untrusted address is the client.
//  - A malformed entry (e.g. "unknown", junk) stops the walk: nothing left of it can be
//    vouched for, so the last address a trusted proxy reported is used.
//  - Every entry trusted: the leftmost one.
std::string client_ip(std::string_view peer_ip, std::optional<std::string_view> x_forwarded_for,
                      const std::vector<Cidr>& trusted_proxies);

// The same from every X-Forwarded-For line of a request, in the order received. A proxy may
// append its own line instead of extending the last one, so reading only the first line would
// take the client's own (spoofed) line as the answer: the lines are one list, joined with
// commas (HTTP's rule for repeated list headers) before the walk from the right. Blank lines
// add nothing.
std::string client_ip(std::string_view peer_ip,
                      const std::vector<std::string_view>& x_forwarded_for_lines,
                      const std::vector<Cidr>& trusted_proxies);

// The key the per-IP limit counts a client under: its network with the given prefix lengths,
// "2001:db8:1:2::/64" for IPv6 (one household or host usually holds a whole /64, so counting
// single addresses would give it 2^64 buckets), the address itself when the prefix is the full
// length ("198.51.100.7" with /32). Text that is not an address is its own key.
std::string rate_limit_key(std::string_view client_ip, int ipv4_prefix, int ipv6_prefix);

}  // namespace aigw::limits
