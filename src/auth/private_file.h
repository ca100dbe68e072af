// Files only this user may read (signing keys, the demo client's secret, client hashes):
// created 0600 before any byte is written, then renamed into place whole.
#pragma once

#include <optional>
#include <string>

namespace aigw::auth {

// Throws std::runtime_error naming the file when it cannot be written.
void write_private_file(const std::string& path, const std::string& text);
// The whole file, or nullopt when it cannot be read.
std::optional<std::string> read_text_file(const std::string& path);

}  // namespace aigw::auth
