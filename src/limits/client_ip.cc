#include "limits/client_ip.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace aigw::limits {
namespace {

// Parses an address into 16 bytes (IPv4 as the first 4); returns the family size or 0.
int parse_ip(std::string_view text, std::array<std::uint8_t, 16>& out) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  const std::string s(text);
  out.fill(0);
  if (inet_pton(AF_INET, s.c_str(), out.data()) == 1) return 4;
  if (inet_pton(AF_INET6, s.c_str(), out.data()) == 1) {
    // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address.
    static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(out.data(), kMapped, 12) == 0) {
      std::memmove(out.data(), out.data() + 12, 4);
      std::fill(out.begin() + 4, out.end(), 0);
      return 4;
    }
    return 16;
  }
  return 0;
}

bool trusted(std::string_view ip, const std::vector<Cidr>& proxies) {
  return std::any_of(proxies.begin(), proxies.end(), [&](const Cidr& c) { return c.contains(ip); });
}

}  // namespace

std::optional<Cidr> Cidr::parse(std::string_view text) {
  Cidr c;
  std::string_view address = text;
  int prefix = -1;
  if (const auto slash = text.find('/'); slash != std::string_view::npos) {
    address = text.substr(0, slash);
    const auto digits = text.substr(slash + 1);
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (ec != std::errc{} || p != digits.data() + digits.size()) return std::nullopt;
  }
  c.family_bytes_ = parse_ip(address, c.bytes_);
  if (c.family_bytes_ == 0) return std::nullopt;
  c.prefix_ = prefix < 0 ? c.family_bytes_ * 8 : prefix;
  if (c.prefix_ > c.family_bytes_ * 8) return std::nullopt;
  return c;
}

bool Cidr::contains(std::string_view ip) const {
  std::array<std::uint8_t, 16> b{};
  if (parse_ip(ip, b) != family_bytes_) return false;
  const int full = prefix_ / 8;
  if (std::memcmp(b.data(), bytes_.data(), static_cast<std::size_t>(full)) != 0) return false;
  const int rest = prefix_ % 8;
  if (rest == 0) return true;
  const std::uint8_t mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (b[full] & mask) == (bytes_[full] & mask);
}

std::string client_ip(std::string_view peer_ip, std::optional<std::string_view> xff,
                      const std::vector<Cidr>& trusted_proxies) {
  if (!xff || xff->empty() || !trusted(peer_ip, trusted_proxies)) return std::string(peer_ip);
  // Walk from the right: each hop appended the address it saw.
  std::string_view rest = *xff;
  std::string_view last_valid = peer_ip;
  while (!rest.empty()) {
    const auto comma = rest.rfind(',');
    std::string_view hop = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    while (!hop.empty() && hop.front() == ' ') hop.remove_prefix(1);
    while (!hop.empty() && hop.back() == ' ') hop.remove_suffix(1);
    std::array<std::uint8_t, 16> scratch{};
    if (parse_ip(hop, scratch) == 0) break;  // junk: stop believing the header here
    last_valid = hop;
    if (!trusted(hop, trusted_proxies)) return std::string(hop);
  }
  return std::string(last_valid);
}

}  // namespace aigw::limits
