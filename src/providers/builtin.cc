#include "providers/builtin.h"

#include <array>

namespace aigw::providers {
namespace {

constexpr std::array kBuiltins = {
    BuiltinProvider{"mock", ProviderApi::kMock, "", KeyStyle::kNone, "", "mock-gpt"},
    BuiltinProvider{"openai", ProviderApi::kOpenAi, "https://api.openai.com/v1", KeyStyle::kBearer,
                    "OPENAI_API_KEY", "gpt-4o-mini"},
    BuiltinProvider{"anthropic", ProviderApi::kAnthropic, "https://api.anthropic.com/v1",
                    KeyStyle::kXApiKey, "ANTHROPIC_API_KEY", "claude-3-5-haiku-latest"},
    BuiltinProvider{"google", ProviderApi::kGoogle,
                    "https://generativelanguage.googleapis.com/v1beta", KeyStyle::kGoogApiKey,
                    "GEMINI_API_KEY", "gemini-2.0-flash"},
    BuiltinProvider{"azure-openai", ProviderApi::kOpenAi, "", KeyStyle::kAzureApiKey,
                    "AZURE_OPENAI_API_KEY", ""},
    BuiltinProvider{"mistral", ProviderApi::kOpenAi, "https://api.mistral.ai/v1", KeyStyle::kBearer,
                    "MISTRAL_API_KEY", "mistral-small-latest"},
    BuiltinProvider{"groq", ProviderApi::kOpenAi, "https://api.groq.com/openai/v1",
                    KeyStyle::kBearer, "GROQ_API_KEY", "llama-3.1-8b-instant"},
    BuiltinProvider{"together", ProviderApi::kOpenAi, "https://api.together.xyz/v1",
                    KeyStyle::kBearer, "TOGETHER_API_KEY",
                    "meta-llama/Llama-3.2-3B-Instruct-Turbo"},
    BuiltinProvider{"deepseek", ProviderApi::kOpenAi, "https://api.deepseek.com/v1",
                    KeyStyle::kBearer, "DEEPSEEK_API_KEY", "deepseek-chat"},
    BuiltinProvider{"openrouter", ProviderApi::kOpenAi, "https://openrouter.ai/api/v1",
                    KeyStyle::kBearer, "OPENROUTER_API_KEY", "openai/gpt-4o-mini"},
    BuiltinProvider{"ollama", ProviderApi::kOpenAi, "http://127.0.0.1:11434/v1", KeyStyle::kNone,
                    "", ""},
    BuiltinProvider{"vllm", ProviderApi::kOpenAi, "http://127.0.0.1:8000/v1", KeyStyle::kBearer,
                    "VLLM_API_KEY", ""},
};

}  // namespace

std::span<const BuiltinProvider> builtin_providers() { return kBuiltins; }

std::optional<BuiltinProvider> find_builtin(std::string_view name) {
  for (const auto& b : kBuiltins) {
    if (b.name == name) return b;
  }
  return std::nullopt;
}

}  // namespace aigw::providers
