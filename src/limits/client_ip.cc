// Address and CIDR parsing (inet_pton: no hand-rolled IPv6 parser) and the X-Forwarded-For walk.
#include "limits/client_ip.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace aigw::limits {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Drops a port: "[v6]:port" → "v6", "[v6]" → "v6", "v4:port" → "v4". A bare IPv6 address
// (several colons) is left alone.
std::string_view strip_port(std::string_view s) {
  if (!s.empty() && s.front() == '[') {
    const auto close = s.find(']');
    if (close == std::string_view::npos) return {};
    const auto rest = s.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || rest.size() == 1)) return {};
    return s.substr(1, close - 1);
  }
  const auto colon = s.find(':');
  if (colon != std::string_view::npos && s.find(':', colon + 1) == std::string_view::npos) {
    return s.substr(0, colon);
  }
  return s;
}

// Dotted-quad IPv4 as inet_pton(AF_INET) reads it (four decimal parts of 0-255, no leading
// zeros), without the copy into a C string: every request reads its peer's address this way.
// false leaves anything else (IPv6, junk) to inet_pton.
bool parse_dotted_quad(std::string_view text, IpAddress& ip) {
  std::size_t i = 0;
  for (std::size_t part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= text.size() || text[i] != '.') return false;
      ++i;
    }
    const std::size_t first = i;
    unsigned value = 0;
    while (i < text.size() && i - first < 3 && text[i] >= '0' && text[i] <= '9') {
      value = value * 10 + static_cast<unsigned>(text[i++] - '0');
    }
    const std::size_t digits = i - first;
    if (digits == 0 || value > 255 || (digits > 1 && text[first] == '0')) return false;
    ip.bytes[part] = static_cast<std::uint8_t>(value);
  }
  return i == text.size();
}

// An address without port or brackets.
std::optional<IpAddress> parse_bare(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;  // INET6_ADDRSTRLEN - 1
  if (IpAddress v4; parse_dotted_quad(text, v4)) return v4;
  char buf[64];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress ip;
  if (inet_pton(AF_INET, buf, ip.bytes.data()) == 1) return ip;
  if (inet_pton(AF_INET6, buf, ip.bytes.data()) != 1) return std::nullopt;
  ip.family_bytes = 16;
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(ip.bytes.data(), kMapped, 12) == 0) {
    std::memmove(ip.bytes.data(), ip.bytes.data() + 12, 4);
    std::fill(ip.bytes.begin() + 4, ip.bytes.end(), 0);
    ip.family_bytes = 4;
  }
  return ip;
}

bool is_trusted(const IpAddress& ip, const std::vector<Cidr>& proxies) {
  return std::any_of(proxies.begin(), proxies.end(), [&](const Cidr& c) { return c.contains(ip); });
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  return parse_bare(strip_port(trim(text)));
}

std::string IpAddress::to_string() const {
  if (family_bytes == 4) {  // every request formats one (inet_ntop goes through sprintf)
    char text[16];
    char* end = text;
    for (std::size_t i = 0; i < 4; ++i) {
      if (i > 0) *end++ = '.';
      const unsigned b = bytes[i];
      if (b >= 100) *end++ = static_cast<char>('0' + b / 100);
      if (b >= 10) *end++ = static_cast<char>('0' + b / 10 % 10);
      *end++ = static_cast<char>('0' + b % 10);
    }
    return std::string(text, end);  // at most 15 bytes: no heap
  }
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family_bytes == 4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

IpAddress IpAddress::masked(int prefix_bits) const {
  IpAddress out = *this;
  const int bits = std::clamp(prefix_bits, 0, family_bytes * 8);
  for (int i = 0; i < family_bytes; ++i) {
    const int keep = std::clamp(bits - i * 8, 0, 8);
    out.bytes[static_cast<std::size_t>(i)] &= static_cast<std::uint8_t>(0xff00 >> keep);
  }
  return out;
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  text = trim(text);
  std::string_view address = text;
  int prefix = -1;
  if (const auto slash = text.find('/'); slash != std::string_view::npos) {
    address = text.substr(0, slash);
    const auto digits = text.substr(slash + 1);
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || ec != std::errc{} || p != digits.data() + digits.size() || prefix < 0) {
      return std::nullopt;
    }
  }
  const auto ip = parse_bare(address);  // a port has no place in a network
  if (!ip) return std::nullopt;
  Cidr c;
  c.base_ = *ip;
  const bool mapped = ip->family_bytes == 4 && address.find(':') != std::string_view::npos;
  if (prefix < 0) {
    c.prefix_ = ip->family_bytes * 8;
  } else {
    // A mapped network (::ffff:10.0.0.0/104) is the IPv4 network 10.0.0.0/8.
    c.prefix_ = mapped ? prefix - 96 : prefix;
  }
  if (c.prefix_ < 0 || c.prefix_ > ip->family_bytes * 8) return std::nullopt;
  return c;
}

bool Cidr::contains(const IpAddress& ip) const {
  if (ip.family_bytes != base_.family_bytes) return false;
  const int full = prefix_ / 8;
  if (std::memcmp(ip.bytes.data(), base_.bytes.data(), static_cast<std::size_t>(full)) != 0) {
    return false;
  }
  const int rest = prefix_ % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (ip.bytes[full] & mask) == (base_.bytes[full] & mask);
}

bool Cidr::contains(std::string_view ip) const {
  const auto parsed = IpAddress::parse(ip);
  return parsed && contains(*parsed);
}

std::string Cidr::to_string() const { return base_.to_string() + "/" + std::to_string(prefix_); }

std::string client_ip(std::string_view peer_ip, std::optional<std::string_view> xff,
                      const std::vector<Cidr>& trusted_proxies) {
  const auto peer = IpAddress::parse(peer_ip);
  if (!peer) return std::string(trim(peer_ip));  // not an address (unix socket?): as is
  if (!xff || !is_trusted(*peer, trusted_proxies)) return peer->to_string();
  IpAddress last_reported = *peer;
  std::string_view rest = *xff;
  while (!trim(rest).empty()) {
    const auto comma = rest.rfind(',');
    const std::string_view hop = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    const auto ip = IpAddress::parse(hop);
    if (!ip) break;  // junk: whatever is left of it came from the untrusted side
    last_reported = *ip;
    if (!is_trusted(*ip, trusted_proxies)) break;
  }
  return last_reported.to_string();
}

std::string client_ip(std::string_view peer_ip, const std::vector<std::string_view>& xff_lines,
                      const std::vector<Cidr>& trusted_proxies) {
  std::string joined;
  bool any = false;
  for (const auto line : xff_lines) {
    if (trim(line).empty()) continue;
    if (any) joined.push_back(',');
    joined.append(line);
    any = true;
  }
  if (!any) return client_ip(peer_ip, std::nullopt, trusted_proxies);
  return client_ip(peer_ip, std::string_view(joined), trusted_proxies);
}

std::string rate_limit_key(std::string_view client_ip, int ipv4_prefix, int ipv6_prefix) {
  const auto ip = IpAddress::parse(client_ip);
  if (!ip) return std::string(client_ip);
  const int prefix =
      std::clamp(ip->family_bytes == 4 ? ipv4_prefix : ipv6_prefix, 0, ip->family_bytes * 8);
  if (prefix == ip->family_bytes * 8) return ip->to_string();
  return ip->masked(prefix).to_string() + "/" + std::to_string(prefix);
}

}  // namespace aigw::limits
