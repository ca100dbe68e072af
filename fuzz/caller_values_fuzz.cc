// libFuzzer target: the validators of caller values (src/router/caller_values.h). Whatever
// bytes arrive as a model, provider name, header value, query or custom host, a value that is
// accepted must be safe where it goes: no CR, LF, NUL or space in anything that reaches a
// request line or header, no dot segment or '?'/'#' in a path, and a custom host that the
// allow-list accepted is exactly the allowed host and port.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/text.h"
#include "router/caller_values.h"
#include "router/upstream_target.h"
#include "translate/translate.h"

namespace {

namespace router = aigw::router;

bool has_any(std::string_view s, std::string_view chars) {
  return s.find_first_of(chars) != std::string_view::npos;
}

void require(bool ok) {
  if (!ok) std::abort();
}

const std::string kRequestLineBreakers("\r\n\0 \t", 5);

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  if (!router::check_model_id(input)) {
    require(!has_any(input, kRequestLineBreakers) && !has_any(input, "?#%\\"));
    require(input.size() <= router::kMaxModelIdLength);
  }
  // Whatever the model, the Gemini path it builds stays one segment of plain characters.
  const std::string path =
      aigw::translate::provider_path(aigw::translate::Dialect::kGoogleGemini, input, false);
  require(path.rfind("/models/", 0) == 0);
  const std::string_view segment = std::string_view(path).substr(8, path.size() - 8 - 16);
  require(!has_any(segment, kRequestLineBreakers) && !has_any(segment, "/?#") && segment != ".." &&
          segment != ".");

  if (!router::check_header_value("x", input))
    require(!has_any(input, std::string_view("\r\n\0", 3)));
  if (!router::check_query(input))
    require(!has_any(input, kRequestLineBreakers) && !has_any(input, "#"));
  if (!router::check_provider_name(input))
    require(!has_any(input, kRequestLineBreakers) && !has_any(input, "/:"));

  const auto url = router::parse_custom_host(input);
  if (url) {
    require(!has_any(url->host, kRequestLineBreakers) && !has_any(url->host, "%@/?#"));
    require(!has_any(url->path, kRequestLineBreakers) && !has_any(url->path, "%?#"));
    require(!has_any(url->host_header, kRequestLineBreakers) &&
            !has_any(url->host_header, "%@/?#"));
    const std::vector<aigw::config::AllowedHost> allowed = {{true, "llm.internal", "8443", {}}};
    if (router::custom_host_allowed(url.value(), "openai", allowed)) {
      require(url->tls && url->host == "llm.internal" && url->port == "8443");
    }
  }
  return 0;
}
