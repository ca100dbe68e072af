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

class Cidr {
 public:
  // "10.0.0.0/8", "192.168.1.7", "fd00::/8", "::1"; nullopt when malformed.
  static std::optional<Cidr> parse(std::string_view text);
  bool contains(std::string_view ip) const;

 private:
  std::array<std::uint8_t, 16> bytes_{};
  int family_bytes_ = 4;  // 4 or 16
  int prefix_ = 32;
};

std::string client_ip(std::string_view peer_ip, std::optional<std::string_view> x_forwarded_for,
                      const std::vector<Cidr>& trusted_proxies);

}  // namespace aigw::limits
